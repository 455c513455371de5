// Package busy recognizes SQLite's "database is locked" errors for the
// store and for the package that opens SQLite files, whatever the driver.
package busy

import (
	"errors"
	"strings"
)

// Is reports a SQLite error saying the database is locked by another
// connection (SQLITE_BUSY or SQLITE_LOCKED, with any extended code), from
// any driver that reports codes by a Code method, or by its message.
func Is(err error) bool {
	if err == nil {
		return false
	}
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		code := coded.Code() & 0xff
		return code == 5 || code == 6
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}
