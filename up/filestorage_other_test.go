//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package up

import "testing"

// mkfifo skips the test: this system has no FIFOs in the file system.
func mkfifo(t *testing.T, _ string) {
	t.Skip("no mkfifo on this system")
}
