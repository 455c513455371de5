//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package up

import (
	"context"
	"io/fs"
	"os"
	"time"
)

// staleTempAge is how old a temporary file must be for a write to remove
// it: without flock, a write in another process may be making a younger one.
const staleTempAge = time.Hour

// exclusiveWrites reports that a write holds a lock excluding every other
// write of the same file: not without flock, where the temporary files of
// a FileStore get names of their own.
const exclusiveWrites = false

// openNoFollow opens path with flag and perm like os.OpenFile, but refuses
// a symbolic link and anything but a regular file. Without O_NOFOLLOW the
// link is looked for before the open, which a link made in between escapes.
func openNoFollow(path string, flag int, perm os.FileMode) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil, &fs.PathError{Op: "open", Path: path, Err: errSymlink}
	}
	f, err := os.OpenFile(path, flag, perm)
	if err != nil {
		return nil, err
	}
	return checkRegular(f, path)
}

// lockFile has no cross-process lock to take on this system: the
// in-process lock is all there is. It still refuses a lock file that is a
// symbolic link or not a regular file, and creates none.
func lockFile(_ context.Context, path string) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		if fi.Mode()&fs.ModeSymlink != 0 {
			return nil, &fs.PathError{Op: "open", Path: path, Err: errSymlink}
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: errNotRegular}
	}
	return nil, nil
}

// unlockFile releases nothing, matching lockFile.
func unlockFile(*os.File) error { return nil }

// syncDir does nothing: not every system can sync a directory.
func syncDir(string) error { return nil }
