package up

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/oauth2"
)

// FileStore is a Store that keeps each user's token in a file of its own,
// in one directory, with the guarantees of FileStorage: files of mode 0600
// in a directory created with mode 0700, replaced atomically (a temporary
// file, synced, renamed over the old one, and the directory synced), a lock
// per user that holds across processes (flock on the user's lock file), no
// symbolic link followed (token, lock or temporary file), and leftovers of
// crashed writes removed by the next write for that user.
//
// A user's files are named after the SHA-256 of the key, in hexadecimal:
// KEY_HASH.json holds the token and KEY_HASH.lock is its lock, so any key
// (a path such as "../x", a long or a non-ASCII one) makes a short, safe
// name, two keys that differ only in case stay apart on file systems that
// ignore case, and a directory listing shows no user's identifier. The
// empty key is refused with an error matching ErrEmptyKey.
//
// Processes sharing the directory on one machine (or a file system with
// working flock) refresh each user one at a time; on systems without flock
// (such as Windows) the lock holds within the process only, and a write
// removes only leftovers untouched for an hour. Deleting a user's token
// removes the lock file too; other users' files are not touched.
type FileStore struct {
	dir   string
	locks keyLocks // the in-process half of each user's lock
}

// NewFileStore returns a FileStore keeping its files in dir, which is
// created with mode 0700 on the first write if it does not exist.
func NewFileStore(dir string) *FileStore { return &FileStore{dir: dir} }

// Dir returns the directory the tokens are kept in.
func (s *FileStore) Dir() string { return s.dir }

// errNoDir reports a FileStore not made by NewFileStore.
var errNoDir = errors.New("FileStore has no directory; use NewFileStore")

// Load reads key's token. It returns ErrNoToken when there is none and a
// *StorageError when the file cannot be read or is not a token. It does
// not wait for key's lock: a write replaces the file whole.
func (s *FileStore) Load(ctx context.Context, key string) (*oauth2.Token, error) {
	if err := s.usable(ctx, key); err != nil {
		return nil, &StorageError{Op: "load", Err: err}
	}
	tok, err := readTokenFile(s.tokenPath(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoToken
	}
	if err != nil {
		return nil, &StorageError{Op: "load", Err: err}
	}
	return tok, nil
}

// Update runs fn under key's lock, in this process and across processes,
// with key's token (nil when there is none), and then replaces the file
// with what fn returns, or removes it (and the lock file) when fn returns
// nil; see Store. A token file that cannot be read is reported, and fn is
// not run.
func (s *FileStore) Update(ctx context.Context, key string, fn UpdateFunc) error {
	if err := s.usable(ctx, key); err != nil {
		return &StorageError{Op: "update", Err: err}
	}
	unlock, err := s.locks.lock(ctx, key)
	if err != nil {
		return err
	}
	defer unlock()
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return &StorageError{Op: "lock", Err: err}
	}
	path, lockPath := s.tokenPath(key), s.lockPath(key)
	f, err := lockFile(ctx, lockPath)
	if err != nil {
		return &StorageError{Op: "lock", Err: err}
	}
	// The flock goes with the file descriptor, so an unlock failure
	// leaves nothing to repair.
	defer func() { _ = unlockFile(f) }()

	stored, err := readTokenFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		stored = nil
	case err != nil:
		return &StorageError{Op: "load", Err: err}
	}
	next, err := fn(ctx, stored)
	switch {
	case err != nil:
		return err
	case next == nil:
		if err := removeKeyedTokenFile(path); err != nil {
			return &StorageError{Op: "delete", Err: err}
		}
		// Waiters holding the removed lock file start again on a new one.
		if err := os.Remove(lockPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return &StorageError{Op: "delete", Err: err}
		}
		return nil
	case next == stored:
		return nil
	}
	return storageErr("save", writeKeyedTokenFile(path, next))
}

// String names the directory.
func (s *FileStore) String() string { return "up.FileStore{" + s.dir + "}" }

// usable rejects a FileStore without a directory, the empty key and a
// finished context.
func (s *FileStore) usable(ctx context.Context, key string) error {
	if s.dir == "" {
		return errNoDir
	}
	if err := checkKey(key); err != nil {
		return err
	}
	return ctx.Err()
}

// fileName returns the name, without extension, of key's files.
func fileName(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// tokenPath returns the file that holds key's token.
func (s *FileStore) tokenPath(key string) string {
	return filepath.Join(s.dir, fileName(key)+".json")
}

// lockPath returns the lock file of key.
func (s *FileStore) lockPath(key string) string {
	return filepath.Join(s.dir, fileName(key)+".lock")
}
