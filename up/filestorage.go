package up

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// FileStorage is a TokenStorage that keeps the token in a JSON file readable
// only by its owner: {"access_token", "token_type", "refresh_token", "expiry"}.
//
// Save replaces the file atomically (a temporary file in the same directory,
// synced, then renamed over the old one), so a reader sees the old token or
// the new one, never a mixture, even after a crash.
//
// A Save cut short by a crash (say, the process killed between creating the
// temporary file and renaming it) leaves the token file as it was and that
// temporary file, named ".NAME.DIGITS.tmp", beside it. The next Save or
// Delete removes such leftovers while it holds the lock, so at most one
// accumulates. Without flock, where another process's Save may be under
// way, only leftovers untouched for an hour are removed.
//
// FileStorage implements Locker with an advisory lock on the file
// path+".lock" (flock), so Clients in several processes sharing the file
// refresh one at a time. On systems without flock (such as Windows) the lock
// only excludes other users of the same *FileStorage in this process. The
// lock file is left in place, since removing it would race with lockers.
// Save and Delete take the lock themselves unless their context comes from
// WithLockHeld.
type FileStorage struct {
	path string
	lock chan struct{} // the in-process half of the lock
}

// NewFileStorage returns a FileStorage for the file at path. The file and
// its directory are created on the first Save, with modes 0600 and 0700.
func NewFileStorage(path string) *FileStorage {
	return &FileStorage{path: path, lock: make(chan struct{}, 1)}
}

// Path returns the file the token is kept in.
func (s *FileStorage) Path() string { return s.path }

// fileToken is the JSON layout of the token file.
type fileToken struct {
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
}

// errNoPath reports a FileStorage not made by NewFileStorage.
var errNoPath = errors.New("FileStorage has no path; use NewFileStorage")

// Load reads the token file. It returns ErrNoToken when the file does not
// exist and a *StorageError when it cannot be read or is not a token.
func (s *FileStorage) Load(ctx context.Context) (*oauth2.Token, error) {
	if err := s.usable(ctx); err != nil {
		return nil, &StorageError{Op: "load", Err: err}
	}
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoToken
	}
	if err != nil {
		return nil, &StorageError{Op: "load", Err: err}
	}
	var ft fileToken
	if err := json.Unmarshal(b, &ft); err != nil {
		return nil, &StorageError{Op: "load", Err: fmt.Errorf("%s is not a token file: %w", s.path, err)}
	}
	if ft.AccessToken == "" && ft.RefreshToken == "" {
		return nil, &StorageError{Op: "load", Err: fmt.Errorf("%s holds neither an access nor a refresh token", s.path)}
	}
	return &oauth2.Token{
		AccessToken:  ft.AccessToken,
		TokenType:    ft.TokenType,
		RefreshToken: ft.RefreshToken,
		Expiry:       ft.Expiry,
	}, nil
}

// Save replaces the token file atomically with tok.
func (s *FileStorage) Save(ctx context.Context, tok *oauth2.Token) error {
	if tok == nil {
		return &StorageError{Op: "save", Err: errors.New("nil token")}
	}
	err := s.withLock(ctx, func() error { return s.write(tok) })
	return storageErr("save", err)
}

// Delete removes the token file; a missing file is no error.
func (s *FileStorage) Delete(ctx context.Context) error {
	err := s.withLock(ctx, func() error {
		s.removeStaleTemps()
		if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return syncDir(filepath.Dir(s.path))
	})
	return storageErr("delete", err)
}

// Lock takes the lock shared by every user of the file, waiting at most
// until ctx is done. The returned unlock may be called more than once.
func (s *FileStorage) Lock(ctx context.Context) (unlock func() error, err error) {
	if err := s.usable(ctx); err != nil {
		return nil, &StorageError{Op: "lock", Err: err}
	}
	release, err := lockChan(ctx, s.lock)
	if err != nil {
		return nil, &StorageError{Op: "lock", Err: err}
	}
	f, err := s.lockFile(ctx)
	if err != nil {
		_ = release() // releasing a channel lock cannot fail
		return nil, &StorageError{Op: "lock", Err: err}
	}
	var once sync.Once
	var uerr error
	return func() error {
		once.Do(func() {
			uerr = errors.Join(unlockFile(f), release())
		})
		return uerr
	}, nil
}

// lockFile creates the directory if need be and takes the cross-process lock.
func (s *FileStorage) lockFile(ctx context.Context) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return nil, err
	}
	return lockFile(ctx, s.path+".lock")
}

// String names the file.
func (s *FileStorage) String() string { return "up.FileStorage{" + s.path + "}" }

// usable rejects a FileStorage without a path and a finished context.
func (s *FileStorage) usable(ctx context.Context) error {
	if s.path == "" || s.lock == nil {
		return errNoPath
	}
	return ctx.Err()
}

// withLock runs fn holding the lock, unless ctx says the caller holds it.
func (s *FileStorage) withLock(ctx context.Context, fn func() error) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	if LockHeld(ctx, s) {
		return fn()
	}
	unlock, err := s.Lock(ctx)
	if err != nil {
		return err
	}
	err = fn()
	if uerr := unlock(); err == nil {
		err = uerr
	}
	return err
}

// write stores tok through a synced temporary file renamed over the target,
// removing the temporary file if anything fails.
func (s *FileStorage) write(tok *oauth2.Token) error {
	b, err := json.MarshalIndent(fileToken{
		AccessToken:  tok.AccessToken,
		TokenType:    tok.TokenType,
		RefreshToken: tok.RefreshToken,
		Expiry:       tok.Expiry,
	}, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	s.removeStaleTemps()
	tmp, err := writeTemp(dir, "."+filepath.Base(s.path)+".*.tmp", append(b, '\n'))
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, s.path); err != nil {
		_ = os.Remove(tmp) // best effort: the rename error is the one to report
		return err
	}
	return syncDir(dir)
}

// writeTemp writes data to a new 0600 file in dir, syncs and closes it, and
// returns its name; on failure nothing is left behind.
func writeTemp(dir, pattern string, data []byte) (name string, err error) {
	f, err := os.CreateTemp(dir, pattern) // created with mode 0600
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			// Best effort: err is the failure to report.
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return "", err
	}
	if err = f.Sync(); err != nil {
		return "", err
	}
	if err = f.Close(); err != nil {
		return "", err
	}
	return f.Name(), nil
}

// removeStaleTemps removes what Saves cut short by a crash left beside the
// token file: files named as writeTemp names this file's temporary files,
// last changed at least staleTempAge ago. The caller holds the lock, which
// every Save holds from creating its temporary file to renaming it, so with
// flock no such file can belong to a Save under way. Failures are ignored:
// a leftover costs only disk space, and the next Save tries again.
func (s *FileStorage) removeStaleTemps() {
	dir, prefix := filepath.Dir(s.path), "."+filepath.Base(s.path)+"."
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !isTempName(e.Name(), prefix) {
			continue
		}
		if staleTempAge > 0 {
			info, err := e.Info()
			if err != nil || time.Since(info.ModTime()) < staleTempAge {
				continue
			}
		}
		_ = os.Remove(filepath.Join(dir, e.Name()))
	}
}

// isTempName reports whether name is prefix, decimal digits and ".tmp", as
// os.CreateTemp fills the pattern writeTemp gives it. The digits keep the
// temporary files of a token file named, say, "token.json.old" apart.
func isTempName(name, prefix string) bool {
	digits, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return false
	}
	digits, ok = strings.CutSuffix(digits, ".tmp")
	if !ok || digits == "" {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
