package busy

import (
	"errors"
	"fmt"
	"testing"
)

type coded int

func (c coded) Error() string { return fmt.Sprintf("code %d", int(c)) }
func (c coded) Code() int     { return int(c) }

func TestIs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{coded(5), true},        // SQLITE_BUSY
		{coded(6), true},        // SQLITE_LOCKED
		{coded(5 | 2<<8), true}, // SQLITE_BUSY_SNAPSHOT
		{coded(19), false},      // SQLITE_CONSTRAINT
		{fmt.Errorf("x: %w", coded(5)), true},
		{errors.New("database is locked (5) (SQLITE_BUSY)"), true},
		{errors.New("sqlite: opening f: database is locked"), true},
		{errors.New("no such table: up_tokens"), false},
	} {
		if got := Is(tc.err); got != tc.want {
			t.Errorf("Is(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
