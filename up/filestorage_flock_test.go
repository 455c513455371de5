//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package up

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// storageChildEnv tells a re-executed test binary to act as one writer:
// its value is "path;writer id;iterations".
const storageChildEnv = "UP_TEST_FILESTORAGE_WRITER"

// TestFileStorageTwoProcesses runs two OS processes that each, many times
// and under the file lock, read the token, save its successor and read it
// back, while also reading without the lock. No read may see a damaged
// file, no update may be lost, and the last token saved must be the one left.
func TestFileStorageTwoProcesses(t *testing.T) {
	if spec := os.Getenv(storageChildEnv); spec != "" {
		runStorageWriter(t, spec)
		return
	}
	const writers, iterations = 2, 150
	dir := t.TempDir()
	path := filepath.Join(dir, "token.json")
	if !runWriters(t, "TestFileStorageTwoProcesses", storageChildEnv, path, writers, iterations) {
		return
	}
	tok, err := NewFileStorage(path).Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if seq := tokenSeq(t, tok); seq != writers*iterations {
		t.Errorf("final token is number %d, want %d: updates were lost", seq, writers*iterations)
	}
	assertOnlyFiles(t, dir, "token.json", "token.json.lock")
}

// runWriters runs the test named test again in writers OS processes at
// once, telling each through the environment variable env where to write
// (place), its id and its iterations; it reports whether all succeeded.
func runWriters(t *testing.T, test, env, place string, writers, iterations int) bool {
	t.Helper()
	var wg sync.WaitGroup
	for id := range writers {
		wg.Go(func() {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
			cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s;%d;%d", env, place, id, iterations))
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				t.Errorf("writer %d: %v\n%s", id, err, out.String())
			}
		})
	}
	wg.Wait()
	return !t.Failed()
}

// runStorageWriter is one writer process of TestFileStorageTwoProcesses.
func runStorageWriter(t *testing.T, spec string) {
	parts := strings.Split(spec, ";")
	path, id := parts[0], parts[1]
	n, _ := strconv.Atoi(parts[2])
	ctx := t.Context()
	s := NewFileStorage(path)
	for range n {
		if _, err := s.Load(ctx); err != nil && !errors.Is(err, ErrNoToken) {
			t.Fatalf("writer %s: unlocked Load: %v", id, err)
		}
		unlock, err := s.Lock(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held := WithLockHeld(ctx, s)
		seq := 0
		cur, err := s.Load(held)
		switch {
		case err == nil:
			seq = tokenSeq(t, cur)
		case !errors.Is(err, ErrNoToken):
			t.Fatalf("writer %s: locked Load: %v", id, err)
		}
		next := &oauth2.Token{
			AccessToken:  fmt.Sprintf("seq-%d-writer-%s", seq+1, id),
			TokenType:    "Bearer",
			RefreshToken: strings.Repeat("r", 100+seq%50), // varying sizes expose torn writes
			Expiry:       time.Now().Add(time.Hour),
		}
		if err := s.Save(held, next); err != nil {
			t.Fatalf("writer %s: Save: %v", id, err)
		}
		back, err := s.Load(held)
		if err != nil || back.AccessToken != next.AccessToken || back.RefreshToken != next.RefreshToken {
			t.Fatalf("writer %s: read back %v (%v), want %s", id, back, err, next.AccessToken)
		}
		if err := unlock(); err != nil {
			t.Fatal(err)
		}
	}
}

// tokenSeq returns the sequence number written into a writer's token.
func tokenSeq(t *testing.T, tok *oauth2.Token) int {
	t.Helper()
	var seq int
	var writer string
	if _, err := fmt.Sscanf(tok.AccessToken, "seq-%d-writer-%s", &seq, &writer); err != nil {
		t.Fatalf("token %q is not a writer's: %v", tok.AccessToken, err)
	}
	return seq
}

// mkfifo makes a FIFO at path.
func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
}

// storeChildEnv tells a re-executed test binary to act as one writer of
// TestFileStoreTwoProcesses: its value is "dir;writer id;iterations".
const storeChildEnv = "UP_TEST_FILESTORE_WRITER"

// storeUsers are the users TestFileStoreTwoProcesses counts for.
var storeUsers = []string{"alice", "../bob", "ユーザー"}

// TestFileStoreTwoProcesses runs two OS processes that each, many times,
// increment a counter kept as the token of each of three users in one
// FileStore directory, through Update. The per-user lock must hold across
// the processes: no increment may be lost, and nothing but the users'
// token and lock files may be left.
func TestFileStoreTwoProcesses(t *testing.T) {
	if spec := os.Getenv(storeChildEnv); spec != "" {
		runStoreWriter(t, spec)
		return
	}
	const writers, iterations = 2, 100
	dir := t.TempDir()
	if !runWriters(t, "TestFileStoreTwoProcesses", storeChildEnv, dir, writers, iterations) {
		return
	}
	s := NewFileStore(dir)
	var files []string
	for _, u := range storeUsers {
		tok, err := s.Load(t.Context(), u)
		if err != nil {
			t.Fatal(err)
		}
		if n := counterOf(t, tok); n != writers*iterations {
			t.Errorf("%s's counter is %d, want %d: updates were lost", u, n, writers*iterations)
		}
		files = append(files, fileName(u)+".json", fileName(u)+".lock")
	}
	assertOnlyFiles(t, dir, files...)
}

// runStoreWriter is one writer process of TestFileStoreTwoProcesses.
func runStoreWriter(t *testing.T, spec string) {
	parts := strings.Split(spec, ";")
	n, _ := strconv.Atoi(parts[2])
	s := NewFileStore(parts[0])
	for i := range n {
		for _, u := range storeUsers {
			err := s.Update(t.Context(), u, func(_ context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
				return counterToken(counterOf(t, stored) + 1), nil
			})
			if err != nil {
				t.Fatalf("writer %s, round %d, %s: %v", parts[1], i, u, err)
			}
		}
	}
}
