//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package up

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// maxLockPoll bounds the wait between two attempts to take a contended flock.
const maxLockPoll = 20 * time.Millisecond

// maxLockFileAttempts bounds how often lockFile starts again because the
// lock file it locked was removed or replaced meanwhile: a holder deletes a
// user's lock file once per Disconnect, so a file that keeps changing
// under the lock is something else's doing.
const maxLockFileAttempts = 100

// errLockFileReplaced reports a lock file that kept changing under the lock.
var errLockFileReplaced = errors.New("the lock file keeps being removed or replaced")

// staleTempAge is how old a temporary file must be for a write under the
// lock to remove it: any age, since the flock a write holds excludes every
// other write.
const staleTempAge time.Duration = 0

// exclusiveWrites reports that a write holds a lock excluding every other
// write of the same file, in any process, so that a FileStore may write
// each user's token through one temporary file of a fixed name.
const exclusiveWrites = true

// openNoFollow opens path with flag and perm like os.OpenFile, but refuses
// a symbolic link (O_NOFOLLOW: the link is not followed, and nothing is
// created where it points) and anything but a regular file. O_NONBLOCK
// keeps the open of a FIFO planted at path from waiting for a writer.
func openNoFollow(path string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, perm)
	if err != nil {
		// ELOOP on most systems, EMLINK on FreeBSD: ask the file itself.
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, &fs.PathError{Op: "open", Path: path, Err: errSymlink}
		}
		return nil, err
	}
	return checkRegular(f, path)
}

// lockFile opens the lock file at path, creating it if need be, and takes
// an exclusive flock on it, polling without blocking so that ctx can end
// the wait. The lock counts only on the file path still names once it is
// taken: a holder that deletes a user's token removes its lock file too,
// and a waiter that then gets the flock of the removed file starts again.
func lockFile(ctx context.Context, path string) (*os.File, error) {
	for attempt := 0; ; attempt++ {
		if attempt == maxLockFileAttempts {
			return nil, &os.PathError{Op: "flock", Path: path, Err: errLockFileReplaced}
		}
		f, err := openNoFollow(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, err
		}
		if err := flockWait(ctx, f, path); err != nil {
			_ = f.Close()
			return nil, err
		}
		held, err := f.Stat()
		if err != nil {
			_ = unlockFile(f)
			return nil, err
		}
		named, err := os.Lstat(path)
		if err == nil && os.SameFile(held, named) {
			return f, nil
		}
		_ = unlockFile(f) // the flock of a removed file excludes no one
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
}

// flockWait takes an exclusive flock on f, polling until ctx is done.
func flockWait(ctx context.Context, f *os.File, path string) error {
	wait := time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			return &os.PathError{Op: "flock", Path: path, Err: err}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, maxLockPoll)
	}
}

// unlockFile releases the flock taken by lockFile and closes the file.
func unlockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return errors.Join(err, f.Close())
}

// syncDir flushes a directory, making a rename or removal in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
