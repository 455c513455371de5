// Package realpart decides what a test does when a real part it runs
// against (a PostgreSQL server, headless Chromium, Prism, Redocly) is not
// available: skip with a message that says what was skipped and how to
// provide the part, or fail when the run requires the part, as CI does.
//
// Two environment variables drive it:
//
//   - UP_REQUIRE_REAL_PARTS lists the parts a run must have, separated by
//     commas or spaces ("postgres,chromium"), or "all". A test whose part
//     is required but absent fails instead of skipping. .ci/run sets it.
//   - UP_REAL_PARTS_SKIPPED_LOG names a file to which every skip appends
//     a line "part<TAB>test<TAB>how to run it"; the Makefile sets it and
//     prints the lines as a NOTICE after the tests.
package realpart

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// The environment variables of the package documentation.
const (
	RequireEnv    = "UP_REQUIRE_REAL_PARTS"
	SkippedLogEnv = "UP_REAL_PARTS_SKIPPED_LOG"
)

// Names of the real parts.
const (
	Postgres = "postgres"
	Chromium = "chromium"
	Prism    = "prism"
	Redocly  = "redocly"
)

// Required reports whether the environment requires part.
func Required(part string) bool {
	list := strings.FieldsFunc(os.Getenv(RequireEnv), func(r rune) bool { return r == ',' || r == ' ' })
	return slices.Contains(list, part) || slices.Contains(list, "all")
}

// Absent ends t because part is not available: it fails t when the run
// requires part, and otherwise skips it, recording the skip in the log the
// Makefile reads. howTo tells how to provide the part, e.g. "set
// UP_TEST_POSTGRES_DSN to a database the tests may create tables in".
func Absent(t testing.TB, part, howTo string) {
	t.Helper()
	if Required(part) {
		t.Fatalf("%s is required (%s=%q) but not available: %s", part, RequireEnv, os.Getenv(RequireEnv), howTo)
	}
	if path := os.Getenv(SkippedLogEnv); path != "" {
		// O_APPEND: test binaries of several packages write at once.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err == nil {
			_, err = fmt.Fprintf(f, "%s\t%s\t%s\n", part, t.Name(), howTo)
			err = joinClose(err, f)
		}
		if err != nil {
			t.Logf("recording the skip in %s: %v", path, err)
		}
	}
	t.Skipf("SKIPPED: needs %s, which is not available: %s", part, howTo)
}

func joinClose(err error, f *os.File) error {
	if cerr := f.Close(); err == nil {
		return cerr
	}
	return err
}
