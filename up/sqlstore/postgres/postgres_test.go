package postgres_test

import (
	"os"
	"strings"
	"testing"

	"github.com/upapi/up-go/internal/realpart"
	"github.com/upapi/up-go/up/sqlstore/postgres"
)

func TestOpenErrorsNeverQuoteThePassword(t *testing.T) {
	for _, dsn := range []string{
		"postgres://app:hunter2@[bad host/db",                                        // does not parse
		"host=/nonexistent/dir user=app password=hunter2 dbname=x connect_timeout=2", // cannot connect
	} {
		db, err := postgres.Open(t.Context(), dsn)
		if err == nil {
			_ = db.Close()
			t.Fatalf("Open(%q) succeeded", dsn)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the error quotes the password: %v", err)
		}
	}
}

func TestOpenConnects(t *testing.T) {
	dsn := os.Getenv("UP_TEST_POSTGRES_DSN")
	if dsn == "" {
		realpart.Absent(t, realpart.Postgres, "set UP_TEST_POSTGRES_DSN (README, Development)")
	}
	db, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	var one int
	if err := db.QueryRowContext(t.Context(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
}
