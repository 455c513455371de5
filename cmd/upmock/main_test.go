package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/upapi/up-go/cmd/internal/syncbuf"
	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/uptest"
)

// start runs upmock with args until the test ends and returns its output.
func start(t *testing.T, args ...string) (*uptest.Server, *syncbuf.Buffer, *syncbuf.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr syncbuf.Buffer
	ready := make(chan *uptest.Server, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), &stdout, &stderr, func(s *uptest.Server) { ready <- s })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("upmock did not stop")
		}
	})
	select {
	case s := <-ready:
		return s, &stdout, &stderr
	case err := <-done:
		t.Fatalf("upmock ended: %v\n%s", err, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("upmock did not start")
	}
	return nil, nil, nil
}

var curlLine = regexp.MustCompile(`curl -H 'Authorization: Bearer ([^']+)' (\S+)`)

func TestServesAndPrintsCredentials(t *testing.T) {
	s, stdout, _ := start(t, "-seed", "5", "-days", "3", "-client-id", "my-app", "-client-secret", "my-secret",
		"-fault", "path=/users/@me/moves,status=503,count=1")
	out := stdout.String()
	for _, want := range []string{"client_id       my-app", "client_secret   my-secret", "api base URL    " + s.URL,
		"auth URL        " + s.AuthURL, "token URL       " + s.TokenURL, "secret_hash     " + s.SecretHash(),
		"user_xid        " + s.UserXID(), "fault           kind=status,path=/users/@me/moves,status=503,count=1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	m := curlLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no curl line in:\n%s", out)
	}
	token, target := m[1], m[2]
	// The environment for the up command, with the same token.
	for _, want := range []string{
		"  export UP_BASE_URL=" + s.URL + " UP_ACCESS_TOKEN=" + token + "\n  up whoami\n",
		"  export UP_CLIENT_ID=my-app UP_CLIENT_SECRET=my-secret UP_AUTH_URL=" + s.AuthURL + " UP_TOKEN_URL=" + s.TokenURL + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasPrefix(target, "http://127.0.0.1:") || !strings.HasSuffix(target, "/nudge/api/v.1.1/users/@me") {
		t.Errorf("curl target %q", target)
	}

	get := func(u string) (int, []byte) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	code, body := get(target)
	var env gen.UserEnvelope
	if err := json.Unmarshal(body, &env); err != nil || code != 200 || env.Meta.Message != "OK" || env.Data.XID != s.UserXID() {
		t.Errorf("the printed curl request: %d %s", code, body)
	}
	// The printed token holds every scope, and the fault flag took effect.
	if code, body := get(s.URL + "/users/@me/moves"); code != http.StatusServiceUnavailable {
		t.Errorf("first moves call under the fault: %d %s", code, body)
	}
	if code, body := get(s.URL + "/users/@me/moves"); code != http.StatusOK || !strings.Contains(string(body), `"size":3`) {
		t.Errorf("moves: %d %s", code, body)
	}
}

func TestStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr syncbuf.Buffer
	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, &stdout, &stderr, func(s *uptest.Server) { ready <- s.URL })
	}()
	url := <-ready
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("stderr %q", stderr.String())
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url+"/users/@me", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		_ = resp.Body.Close()
		t.Error("still serving after the context ended")
	}
}

func TestFlags(t *testing.T) {
	var out bytes.Buffer
	err := run(t.Context(), []string{"-help"}, &out, &out, nil)
	if !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-help: %v", err)
	}
	for _, want := range []string{"-addr", "-seed", "-days", "-token-lifetime", "-client-id", "-client-secret", "-redirect-prefix", "-deny", "-fault", "retry-after", "probability"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
	for _, args := range [][]string{
		{"-fault", "kind=explode"},
		{"-client-id", "only-the-id"},
		{"-addr", "127.0.0.1:99999"},
		{"stray"},
	} {
		if err := run(t.Context(), args, io.Discard, io.Discard, nil); err == nil {
			t.Errorf("run %q: no error", args)
		}
	}
}
