//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package up

import (
	"context"
	"os"
	"time"
)

// staleTempAge is how old a temporary file must be for a Save to remove it:
// without flock, a Save in another process may be writing a younger one.
const staleTempAge = time.Hour

// lockFile has no cross-process lock to take on this system; FileStorage's
// in-process lock is all there is.
func lockFile(context.Context, string) (*os.File, error) { return nil, nil }

// unlockFile releases nothing, matching lockFile.
func unlockFile(*os.File) error { return nil }

// syncDir does nothing: not every system can sync a directory.
func syncDir(string) error { return nil }
