//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package up

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// crashChildEnv makes a re-executed test binary save tokens to the file it
// names, without end, until it is killed.
const crashChildEnv = "UP_TEST_CRASH_SAVER"

// longTests reports whether the slow, thorough variants of the storm and
// crash tests were asked for (UP_TEST_LONG=1).
func longTests() bool { return os.Getenv("UP_TEST_LONG") != "" }

// crashToken is the token number seq the saver writes. Every field depends
// on seq, and the refresh token's length varies, so that a file mixing two
// saves, or cut short, cannot pass for a token.
func crashToken(seq int) *oauth2.Token {
	return &oauth2.Token{
		AccessToken:  "crash-" + strconv.Itoa(seq),
		TokenType:    "Bearer",
		RefreshToken: strings.Repeat(string(rune('a'+seq%26)), 64+seq%300),
		Expiry:       time.Unix(1_700_000_000+int64(seq), 0).UTC(),
	}
}

// crashSeq checks that tok is exactly a token the saver wrote and returns
// its number.
func crashSeq(tok *oauth2.Token) (int, error) {
	seq, err := strconv.Atoi(strings.TrimPrefix(tok.AccessToken, "crash-"))
	if err != nil || !strings.HasPrefix(tok.AccessToken, "crash-") {
		return 0, fmt.Errorf("access token %q is not one the saver wrote", tok.AccessToken)
	}
	want := crashToken(seq)
	if tok.RefreshToken != want.RefreshToken || tok.TokenType != want.TokenType || !tok.Expiry.Equal(want.Expiry) {
		return 0, fmt.Errorf("token %d is not whole: refresh token of %d bytes, type %q, expiry %v",
			seq, len(tok.RefreshToken), tok.TokenType, tok.Expiry)
	}
	return seq, nil
}

// TestFileStorageSurvivesSIGKILL kills a process that saves tokens in a
// loop at random moments, many times over. After every kill the file must
// hold a whole token the process saved, no older than the one seen after
// the previous kill, and at most one temporary file may be left over (the
// one the killed Save was writing), since each Save under the lock, as the
// SDK makes them, removes the leftovers of earlier crashes. UP_TEST_LONG=1
// kills ten times as often.
func TestFileStorageSurvivesSIGKILL(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		runCrashSaver(t, path)
		return
	}
	kills := 50
	if longTests() {
		kills = 500
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "token.json")
	s := NewFileStorage(path)
	ctx := t.Context()
	last, maxTemps, sawTemp := 0, 0, 0
	for i := range kills {
		delay := time.Duration(1+rand.IntN(20)) * time.Millisecond
		if err := runAndKill(ctx, path, delay); err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
		tok, err := s.Load(ctx)
		if err != nil {
			t.Fatalf("kill %d after %v: Load: %v", i, delay, err)
		}
		seq, err := crashSeq(tok)
		if err != nil {
			t.Fatalf("kill %d after %v: %v", i, delay, err)
		}
		if seq < last {
			t.Fatalf("kill %d: the file went back from token %d to %d", i, last, seq)
		}
		last = seq
		temps := tempFiles(t, dir, "token.json")
		if len(temps) > 0 {
			sawTemp++
		}
		maxTemps = max(maxTemps, len(temps))
		if len(temps) > 1 {
			t.Fatalf("kill %d: %d temporary files left over: %q", i, len(temps), temps)
		}
	}
	t.Logf("%d kills; last token %d; a temporary file was left by %d of them, never more than %d at once", kills, last, sawTemp, maxTemps)

	if err := lockedSave(ctx, s, crashToken(last+1)); err != nil {
		t.Fatal(err)
	}
	if tok, err := s.Load(ctx); err != nil || tok.AccessToken != crashToken(last+1).AccessToken {
		t.Fatalf("after the crashes, Save then Load = %v, %v", tok, err)
	}
	assertOnlyFiles(t, dir, "token.json", "token.json.lock")
}

// runAndKill starts a saver process on path, waits until it has saved
// once, lets it go on for delay and kills it with SIGKILL.
func runAndKill(ctx context.Context, path string, delay time.Duration) error {
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestFileStorageSurvivesSIGKILL$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(out).ReadString('\n')
		if err == nil && line != "saving\n" {
			err = fmt.Errorf("saver said %q", line)
		}
		ready <- err
	}()
	select {
	case err = <-ready:
	case <-time.After(30 * time.Second):
		err = errors.New("the saver did not start saving within 30s")
	}
	if err == nil {
		time.Sleep(delay)
	}
	_ = cmd.Process.Kill() // SIGKILL: no deferred call, no cleanup runs
	werr := cmd.Wait()
	if err != nil {
		return fmt.Errorf("%w (stderr: %s)", errors.Join(err, werr), stderr.String())
	}
	return nil
}

// runCrashSaver is the saver process: it saves token after token under the
// lock, each numbered one more than the one it finds, until it is killed
// (or a minute has passed, should its parent have died).
func runCrashSaver(t *testing.T, path string) {
	ctx := t.Context()
	s := NewFileStorage(path)
	seq := 0
	if tok, err := s.Load(ctx); err == nil {
		if seq, err = crashSeq(tok); err != nil {
			t.Fatal(err)
		}
	} else if !errors.Is(err, ErrNoToken) {
		t.Fatal(err)
	}
	announced := false
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		seq++
		if err := lockedSave(ctx, s, crashToken(seq)); err != nil {
			t.Fatal(err)
		}
		if !announced {
			fmt.Println("saving")
			announced = true
		}
	}
}

// lockedSave saves tok as the SDK does: under the storage's lock, from
// reading the stored token to saving the new one.
func lockedSave(ctx context.Context, s *FileStorage, tok *oauth2.Token) error {
	return storageStore{s}.Update(ctx, "", func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		return tok, nil
	})
}

// tempFiles lists the temporary files of the token file name in dir.
func tempFiles(t *testing.T, dir, name string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var temps []string
	for _, e := range entries {
		if isTempName(e.Name(), "."+name+".") {
			temps = append(temps, e.Name())
		}
	}
	return temps
}

// TestFileStorageRemovesStaleTemps plants what crashed Saves leave, and
// files that only look alike, and checks that Save and Delete remove the
// former and keep the latter. Under the lock, as the SDK saves, every
// leftover goes; without it, where another process's Save may be writing,
// only leftovers untouched for an hour.
func TestFileStorageRemovesStaleTemps(t *testing.T) {
	for _, op := range []string{"save", "delete"} {
		for _, locked := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/locked=%v", op, locked), func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "token.json")
				young := []string{".token.json.1.tmp", ".token.json.4294967295.tmp"}
				old := ".token.json.77.tmp"
				kept := []string{
					".token.json.old.1.tmp", // another token file's, token.json.old
					".token.json..tmp",      // no digits: not os.CreateTemp's
					".token.json.12a.tmp",   //
					".token.json.1.tmp.bak", //
					".other.json.1.tmp",     // another token file's
					"token.json.1.tmp",      // no leading dot
					"notes.txt",
				}
				for _, n := range append(append([]string{old}, young...), kept...) {
					writeFile(t, filepath.Join(dir, n), "{", 0o600)
				}
				hoursAgo := time.Now().Add(-2 * time.Hour)
				if err := os.Chtimes(filepath.Join(dir, old), hoursAgo, hoursAgo); err != nil {
					t.Fatal(err)
				}
				if err := os.Mkdir(filepath.Join(dir, ".token.json.7.tmp"), 0o700); err != nil {
					t.Fatal(err)
				}
				kept = append(kept, ".token.json.7.tmp") // a directory, which no Save made
				if !locked {
					kept = append(kept, young...)
				}
				s := NewFileStorage(path)
				ctx := t.Context()
				if locked {
					unlock, err := s.Lock(ctx)
					if err != nil {
						t.Fatal(err)
					}
					defer func() { _ = unlock() }()
					ctx = WithLockHeld(ctx, s)
					kept = append(kept, "token.json.lock")
				}
				var err error
				if op == "save" {
					err = s.Save(ctx, storedToken(3))
					kept = append(kept, "token.json")
				} else {
					err = s.Delete(ctx)
				}
				if err != nil {
					t.Fatal(err)
				}
				assertOnlyFiles(t, dir, kept...)
				for _, n := range kept {
					if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
						t.Errorf("%s was removed: %v", n, err)
					}
				}
			})
		}
	}
}
