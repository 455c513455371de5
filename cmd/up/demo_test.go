package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestDemo(t *testing.T) {
	a, stdout, stderr := newEnv(t).app()
	start := time.Now()
	if code := a.run(t.Context(), []string{"demo"}); code != exitOK {
		t.Fatalf("demo: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the demo took %s", took)
	}
	out := stdout.String()
	titles := []string{"Build the login URL", "Consent", "Exchange the code", "The user", "Friends",
		"A week of workouts, page by page", "Create, update and delete a workout", "The access token expires",
		"The next call refreshes by itself", "Disconnect"}
	for i, title := range titles {
		if !strings.Contains(out, fmt.Sprintf("\n%2d. %s\n", i+1, title)) {
			t.Errorf("step %d (%s) is missing", i+1, title)
		}
	}
	if n := strings.Count(out, "    ✓ "); n != len(titles) {
		t.Errorf("%d steps passed, want %d", n, len(titles))
	}
	if strings.Contains(out, "✗") {
		t.Errorf("a step failed:\n%s", out)
	}
	for _, want := range []string{
		"302 Found, Location: http://127.0.0.1:8085/callback?code=…",
		"storage: saved token …",
		"Noah Franklin",
		"next link →",
		"(up.ErrNotFound)",
		"token requests (refresh_token): 0 → 1",
		"storage: deleted the token",
		"storage.Load → up.ErrNoToken; client.User → up.ErrNoToken",
		"✓ all 10 steps did what they said",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo does not show %q", want)
		}
	}
	// Two saves announced: the login's and the refresh's, with different fingerprints.
	saves := regexp.MustCompile(`storage: saved token …\S{4} \(fingerprint ([0-9a-f]{8})\)`).FindAllStringSubmatch(out, -1)
	if len(saves) != 2 || saves[0][1] == saves[1][1] {
		t.Errorf("storage saves announced: %q", saves)
	}
	// No token or code is ever shown whole (they are 43 characters of
	// base64url); the only such string shown is the login URL's state.
	state := regexp.MustCompile(`state=([A-Za-z0-9_-]{43})`).FindStringSubmatch(out)
	for _, s := range regexp.MustCompile(`[A-Za-z0-9_-]{43,}`).FindAllString(out, -1) {
		if state == nil || s != state[1] {
			t.Errorf("the demo shows a secret whole: %s", s)
		}
	}
	if stderr.String() != "" {
		t.Errorf("stderr: %s", stderr)
	}
}
