package main

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/upapi/up-go/up"
)

// TestFmtDurationHugeValues formats durations in seconds as a hostile
// server might send them: a number of seconds too large for a
// time.Duration still prints as whole hours and minutes, not a negative or
// wrapped value.
func TestFmtDurationHugeValues(t *testing.T) {
	for _, tt := range []struct {
		secs int64
		want string
	}{
		{59, "0m"},
		{3599, "59m"},
		{3600, "1h00m"},
		{9223372037, "2562047h47m"}, // overflows time.Duration by a second
		{math.MaxInt64, "2562047788015215h30m"},
	} {
		secs := int(tt.secs)
		if int64(secs) != tt.secs {
			continue // does not fit this platform's int
		}
		if got := fmtDuration(secs); got != tt.want {
			t.Errorf("fmtDuration(%d) = %q, want %q", tt.secs, got, tt.want)
		}
	}
}

// FuzzLoginCallback sends login's callback server any request to any path
// with any query. Only a request to the callback path whose state is the
// login's ends the login, and only the first one; every other request is
// refused (404 for another path, 400 for a wrong or missing state) without
// reaching the token endpoint, whatever else its query says (a forged
// error=access_denied included).
func FuzzLoginCallback(f *testing.F) {
	const state = "s3cr3t-login-state-0123456789abcdefghijklmn"
	for _, q := range []string{
		"code=abc&state=" + state,
		"error=access_denied&state=" + state,
		"error=access_denied&state=forged",
		"error=access_denied",
		"code=abc",
		"state=forged&state=" + state + "&code=abc",
		"state=" + state + "&state=forged&code=abc",
		"code=abc&state=" + url.QueryEscape(state) + "%00",
		"%zz&state=" + state,
		"state=" + strings.ToUpper(state),
		";state=" + state,
	} {
		f.Add("/callback", q)
	}
	f.Add("/other", "code=abc&state="+state)
	f.Fuzz(func(t *testing.T, path, rawQuery string) {
		var tokenRequests atomic.Int32
		cfg := &up.Config{
			ClientID: "id", ClientSecret: "secret", RedirectURL: "http://127.0.0.1:1/callback", TokenURL: "http://127.0.0.1:1/token",
			HTTPClient: &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
				tokenRequests.Add(1)
				return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}, Request: r,
					Body: io.NopCloser(strings.NewReader(`{"access_token":"a","token_type":"Bearer","refresh_token":"r","expires_in":3600}`))}, nil
			})},
		}
		results := make(chan loginResult, 2)
		h := &callbackHandler{path: "/callback", cfg: cfg, state: state, results: results}
		u := &url.URL{Path: path, RawQuery: rawQuery}
		serve := func() int {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, &http.Request{Method: http.MethodGet, URL: u, Host: "127.0.0.1:1", Header: http.Header{}})
			return rec.Code
		}
		genuine := path == "/callback" && u.Query().Get("state") == state
		first, second := serve(), serve()
		switch {
		case genuine:
			if len(results) != 1 || second != http.StatusConflict {
				t.Fatalf("the login's answer %q: %d results, then %d", rawQuery, len(results), second)
			}
			if res := <-results; res.err == nil && tokenRequests.Load() != 1 {
				t.Fatalf("logged in after %d token requests", tokenRequests.Load())
			}
		case len(results) != 0 || tokenRequests.Load() != 0:
			t.Fatalf("request %s?%s ended the login (%d results, %d token requests)", path, rawQuery, len(results), tokenRequests.Load())
		case path != "/callback" && (first != http.StatusNotFound || second != http.StatusNotFound):
			t.Fatalf("request to %q: %d, %d; want 404", path, first, second)
		case path == "/callback" && (first != http.StatusBadRequest || second != http.StatusBadRequest):
			t.Fatalf("request with state %q: %d, %d; want 400", u.Query().Get("state"), first, second)
		}
	})
}

// roundTrip makes a function an http.RoundTripper.
type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestConnNeverPrintsSecret prints the connection settings, which hold the
// client secret, every way the CLI might, and finds no secret.
func TestConnNeverPrintsSecret(t *testing.T) {
	const secret = "cli-secret-7e6d5c4b3a29"
	c := &conn{clientID: "id", clientSecret: secret, baseURL: "https://jawbone.com/nudge/api/v.1.1"}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%30v"} {
		out = append(out, fmt.Sprintf(verb, c), fmt.Sprintf(verb, *c), fmt.Sprintf(verb, struct{ C conn }{*c}))
	}
	var b bytes.Buffer
	slog.New(slog.NewTextHandler(&b, nil)).Info("settings", "conn", c, "value", *c)
	slog.New(slog.NewJSONHandler(&b, nil)).Info("settings", "conn", c, "value", *c)
	out = append(out, b.String())
	for _, s := range out {
		if strings.Contains(s, secret) || strings.Contains(s, hex.EncodeToString([]byte(secret))) {
			t.Errorf("printed the client secret: %s", s)
		}
	}
	if !strings.Contains(fmt.Sprint(c), `client_id: "id"`) {
		t.Errorf("printed %s", c)
	}
}
