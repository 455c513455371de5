// Package postgres opens a PostgreSQL database for [sqlstore] through the
// pure-Go driver github.com/jackc/pgx/v5 (its database/sql adapter). It is
// a package of its own so that an application keeping its tokens in
// SQLite links no PostgreSQL driver.
//
//	db, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"))
//	store, err := sqlstore.New(ctx, db, sqlstore.Options{Dialect: sqlstore.PostgreSQL})
//
// An application that already has a *sql.DB on PostgreSQL (through pgx or
// lib/pq) passes it to sqlstore.New directly.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Open opens a pool of connections to the database dsn names, in either
// form pgx reads: a URL ("postgres://user@host/db?sslmode=verify-full") or
// key=value pairs ("host=/var/run/postgresql dbname=app user=app"). It
// connects once, so that a wrong address or password fails here. Errors
// never quote the DSN, which may hold a password.
func Open(ctx context.Context, dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("postgres: the DSN does not parse (it is not repeated here, as it may hold a password)")
	}
	db := stdlib.OpenDB(*cfg)
	if err := db.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("postgres: connecting to database %q on %s as %q: %w", cfg.Database, cfg.Host, cfg.User, err), db.Close())
	}
	return db, nil
}
