//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package up

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"
)

// maxLockPoll bounds the wait between two attempts to take a contended flock.
const maxLockPoll = 20 * time.Millisecond

// staleTempAge is how old a temporary file must be for a Save to remove it:
// any age, since the flock a Save holds excludes every other Save.
const staleTempAge time.Duration = 0

// lockFile opens path and takes an exclusive flock on it, polling without
// blocking so that ctx can end the wait.
func lockFile(ctx context.Context, path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	wait := time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, &os.PathError{Op: "flock", Path: path, Err: err}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			_ = f.Close()
			return nil, ctx.Err()
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
