package up

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
// synced, then renamed over the old one, and the directory synced), so a
// reader sees the old token or the new one, never a mixture, even after a
// crash. No symbolic link is followed: Load refuses a token file that is
// one, a Save replaces such a link rather than writing through it, and Lock
// refuses a lock file that is one (or is anything but a regular file).
//
// A Save cut short by a crash (say, the process killed between creating the
// temporary file and renaming it) leaves the token file as it was and that
// temporary file, named ".NAME.DIGITS.tmp", beside it. A later Save or
// Delete under the lock (as the SDK makes them) removes such leftovers, so
// at most one accumulates; one made without the lock, or on a system
// without flock, where another process's Save may be under way, removes
// only leftovers untouched for an hour.
//
// FileStorage implements Locker with an advisory lock on the file
// path+".lock" (flock), so Clients in several processes sharing the file
// refresh one at a time: the SDK holds the lock from reading the token to
// saving its successor. On systems without flock (such as Windows) the lock
// only excludes other users of the same *FileStorage in this process. The
// lock file is left in place, since removing it would race with lockers.
// Save and Delete never take the lock themselves.
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

// errNoPath reports a FileStorage not made by NewFileStorage.
var errNoPath = errors.New("FileStorage has no path; use NewFileStorage")

// Load reads the token file. It returns ErrNoToken when the file does not
// exist and a *StorageError when it cannot be read or is not a token.
func (s *FileStorage) Load(ctx context.Context) (*oauth2.Token, error) {
	if err := s.usable(ctx); err != nil {
		return nil, &StorageError{Op: "load", Err: err}
	}
	tok, err := readTokenFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoToken
	}
	if err != nil {
		return nil, &StorageError{Op: "load", Err: err}
	}
	return tok, nil
}

// Save replaces the token file atomically with tok. It does not take the
// lock: the SDK holds it already.
func (s *FileStorage) Save(ctx context.Context, tok *oauth2.Token) error {
	if tok == nil {
		return &StorageError{Op: "save", Err: errors.New("nil token")}
	}
	if err := s.usable(ctx); err != nil {
		return &StorageError{Op: "save", Err: err}
	}
	return storageErr("save", writeTokenFile(s.path, tok, s.tempAge(ctx)))
}

// Delete removes the token file; a missing file is no error. It does not
// take the lock: the SDK holds it already.
func (s *FileStorage) Delete(ctx context.Context) error {
	if err := s.usable(ctx); err != nil {
		return &StorageError{Op: "delete", Err: err}
	}
	return storageErr("delete", removeTokenFile(s.path, s.tempAge(ctx)))
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

// tempAge is how old a leftover temporary file must be for a Save or
// Delete with ctx to remove it: any age under the lock, when flock keeps
// every other Save out; otherwise only one untouched for an hour.
func (s *FileStorage) tempAge(ctx context.Context) time.Duration {
	if LockHeld(ctx, s) {
		return staleTempAge
	}
	return unlockedTempAge
}

// unlockedTempAge is how old a leftover temporary file must be for a write
// made without the lock to remove it: a Save of another process may be
// writing a younger one.
const unlockedTempAge = time.Hour

// maxTokenFile bounds how much of a token file is read: a token is a few
// hundred bytes.
const maxTokenFile = 64 << 10

// fileToken is the JSON layout of a token file.
type fileToken struct {
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
}

// readTokenFile reads the token file at path, refusing a symbolic link
// and anything but a regular file. A missing file is an error matching
// fs.ErrNotExist.
func readTokenFile(path string) (*oauth2.Token, error) {
	f, err := openNoFollow(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only: nothing to lose
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxTokenFile {
		return nil, fmt.Errorf("%s is larger than %d bytes: not a token file", path, maxTokenFile)
	}
	var ft fileToken
	if err := json.Unmarshal(b, &ft); err != nil {
		return nil, fmt.Errorf("%s is not a token file: %w", path, err)
	}
	if ft.AccessToken == "" && ft.RefreshToken == "" {
		return nil, fmt.Errorf("%s holds neither an access nor a refresh token", path)
	}
	return &oauth2.Token{
		AccessToken:  ft.AccessToken,
		TokenType:    ft.TokenType,
		RefreshToken: ft.RefreshToken,
		Expiry:       ft.Expiry,
	}, nil
}

// writeTokenFile stores tok at path through a synced temporary file renamed
// over the target, then syncs the directory, removing the temporary file if
// anything fails. It first removes leftovers of crashed writes at least
// tempAge old. The directory is created with mode 0700 if need be.
func writeTokenFile(path string, tok *oauth2.Token, tempAge time.Duration) error {
	return writeTokenFileVia(path, tok, func(dir, name string, data []byte) (string, error) {
		removeStaleTemps(dir, name, tempAge)
		return writeTemp(dir, "."+name+".*.tmp", data)
	})
}

// writeKeyedTokenFile stores tok at path for a FileStore, whose directory
// holds the files of every user. Where flock excludes every other write of
// the user, it writes through the user's one temporary file, replacing what
// a crashed write left there, instead of listing the directory to find
// leftovers: a listing costs time and memory in the number of users (20-40
// ms and 4 MB a write among 10,000 users' files, against 0.5 ms and 6 KB;
// BenchmarkFileStoreUpdate10000Users).
func writeKeyedTokenFile(path string, tok *oauth2.Token) error {
	if !exclusiveWrites {
		return writeTokenFile(path, tok, staleTempAge)
	}
	return writeTokenFileVia(path, tok, writeFixedTemp)
}

// writeTokenFileVia stores tok at path through the temporary file that
// temp writes, renamed over the target, then syncs the directory.
func writeTokenFileVia(path string, tok *oauth2.Token, temp func(dir, name string, data []byte) (string, error)) error {
	b, err := json.MarshalIndent(fileToken{
		AccessToken:  tok.AccessToken,
		TokenType:    tok.TokenType,
		RefreshToken: tok.RefreshToken,
		Expiry:       tok.Expiry,
	}, "", "  ")
	if err != nil {
		return err
	}
	dir, name := filepath.Split(path)
	dir = filepath.Clean(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := temp(dir, name, append(b, '\n'))
	if err != nil {
		return err
	}
	// rename replaces whatever path names, a symbolic link included,
	// without following it.
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp) // best effort: the rename error is the one to report
		return err
	}
	return syncDir(dir)
}

// removeTokenFile removes the token file at path (a missing one is no
// error) and leftovers of crashed writes at least tempAge old, and syncs
// the directory.
func removeTokenFile(path string, tempAge time.Duration) error {
	return removeTokenFileVia(path, func(dir, name string) error {
		removeStaleTemps(dir, name, tempAge)
		return nil
	})
}

// removeKeyedTokenFile removes the token file at path for a FileStore (a
// missing one is no error), and the user's temporary file, as
// writeKeyedTokenFile writes them, and syncs the directory.
func removeKeyedTokenFile(path string) error {
	if !exclusiveWrites {
		return removeTokenFile(path, staleTempAge)
	}
	return removeTokenFileVia(path, func(dir, name string) error {
		err := os.Remove(filepath.Join(dir, fixedTempName(name)))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	})
}

// removeTokenFileVia removes the temporary files of path with temps, then
// path itself (a missing one is no error), and syncs the directory.
func removeTokenFileVia(path string, temps func(dir, name string) error) error {
	dir, name := filepath.Split(path)
	dir = filepath.Clean(dir)
	if err := temps(dir, name); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	return syncDir(dir)
}

// Why a file is refused: the token, lock and temporary files are never
// reached through a symbolic link, and must be regular files.
var (
	errSymlink    = errors.New("is a symbolic link, which is never followed")
	errNotRegular = errors.New("is not a regular file")
)

// checkRegular returns f, opened from path, if it is a regular file, and
// otherwise closes it and refuses it.
func checkRegular(f *os.File, path string) (*os.File, error) {
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = &fs.PathError{Op: "open", Path: path, Err: errNotRegular}
	}
	if err != nil {
		_ = f.Close() // nothing was written
		return nil, err
	}
	return f, nil
}

// writeTemp writes data to a new 0600 file in dir, syncs and closes it, and
// returns its name; on failure nothing is left behind.
func writeTemp(dir, pattern string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, pattern) // created with mode 0600
	if err != nil {
		return "", err
	}
	return fillTemp(f, data)
}

// fixedTempName is the one temporary file of the token file name, for
// writers that exclude each other.
func fixedTempName(name string) string { return "." + name + ".tmp" }

// writeFixedTemp writes data to the token file name's one temporary file
// in dir, as writeTemp does, first removing whatever a crashed write left
// there (a symbolic link planted there is removed, not followed).
func writeFixedTemp(dir, name string, data []byte) (string, error) {
	tmp := filepath.Join(dir, fixedTempName(name))
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	f, err := openNoFollow(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	return fillTemp(f, data)
}

// fillTemp writes data to the new temporary file f, syncs and closes it,
// and returns its name; on failure it removes f.
func fillTemp(f *os.File, data []byte) (name string, err error) {
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

// removeStaleTemps removes what writes cut short by a crash left beside the
// token file name in dir: files named as writeTemp names its temporary
// files, last changed at least minAge ago. Under the lock, which every
// write holds from creating its temporary file to renaming it, minAge is
// staleTempAge, so with flock any age: no such file can belong to a write
// under way. Failures are ignored: a leftover costs only disk space, and
// the next write tries again. Only regular files are removed; a symbolic
// link is never followed.
func removeStaleTemps(dir, name string, minAge time.Duration) {
	prefix := "." + name + "."
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !isTempName(e.Name(), prefix) {
			continue
		}
		if minAge > 0 {
			info, err := e.Info()
			if err != nil || time.Since(info.ModTime()) < minAge {
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
