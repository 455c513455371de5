// Package realpart decides what a test does when a real part it runs
// against (a PostgreSQL server, headless Chromium, Prism, Redocly) is not
// available: skip with a message that says what was skipped and how to
// provide the part, or fail when the run requires the part, as CI does.
//
// Environment variables drive it:
//
//   - UP_REQUIRE_<PART>=1 (UP_REQUIRE_POSTGRES, UP_REQUIRE_CHROMIUM,
//     UP_REQUIRE_PRISM ...) requires one part: a test that needs it fails
//     instead of skipping when it is absent. .ci/run sets one for each
//     part it installs.
//   - UP_REQUIRE_REAL_PARTS lists parts the same way, separated by commas
//     or spaces ("postgres,chromium"), or "all" for every part.
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

// Required reports whether the environment requires part: by
// UP_REQUIRE_<PART>=1, or by naming it (or "all") in UP_REQUIRE_REAL_PARTS.
func Required(part string) bool {
	if os.Getenv(PartEnv(part)) == "1" {
		return true
	}
	list := strings.FieldsFunc(os.Getenv(RequireEnv), func(r rune) bool { return r == ',' || r == ' ' })
	return slices.Contains(list, part) || slices.Contains(list, "all")
}

// PartEnv returns the variable that requires part alone: UP_REQUIRE_POSTGRES
// for "postgres".
func PartEnv(part string) string { return "UP_REQUIRE_" + strings.ToUpper(part) }

// Absent ends t because part is not available: it fails t when the run
// requires part, and otherwise skips it, recording the skip in the log the
// Makefile reads. howTo tells how to provide the part, e.g. "set
// UP_TEST_POSTGRES_DSN to a database the tests may create tables in".
func Absent(t testing.TB, part, howTo string) {
	t.Helper()
	if Required(part) {
		t.Fatalf("%s is required (%s=%q, %s=%q) but not available: %s", part,
			PartEnv(part), os.Getenv(PartEnv(part)), RequireEnv, os.Getenv(RequireEnv), howTo)
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
