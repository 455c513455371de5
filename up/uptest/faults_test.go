package uptest_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/uptest"
)

// send makes a request and returns the response, its body and the error of
// the round trip or of reading the body.
func send(t *testing.T, method, rawURL, token string) (*reply, []byte, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	r := replyOf(resp)
	return &r, body, err
}

func TestFaultStatus(t *testing.T) {
	s := uptest.NewServer(t)
	tok := s.MintToken().AccessToken
	s.Inject(uptest.Fault{Path: "/users/@me/workouts", Kind: uptest.FaultStatus, Status: 429, RetryAfter: 1500 * time.Millisecond, Count: 2})
	for range 2 {
		resp, body := get(t, s, tok, "/users/@me/workouts")
		errorMeta(t, resp, body, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
		if ra := resp.Header.Get("Retry-After"); ra != "2" {
			t.Errorf("Retry-After %q, want 2", ra)
		}
	}
	if got := status(t, s, tok, "/users/@me/workouts"); got != http.StatusOK {
		t.Errorf("third request after a count-2 fault: %d", got)
	}
	if got := status(t, s, tok, "/users/@me/sleeps"); got != http.StatusOK {
		t.Errorf("another path: %d", got)
	}
	// Paths are matched as @me whatever names the user, and "*" matches a prefix.
	remove := s.Inject(uptest.Fault{Method: "GET", Path: "/users/@me/*", Kind: uptest.FaultStatus, Status: 503})
	if got := status(t, s, tok, "/users/"+s.UserXID()+"/moves"); got != http.StatusServiceUnavailable {
		t.Errorf("prefix fault on an XID path: %d, want 503", got)
	}
	if got := status(t, s, tok, "/moves/"+"x"); got == http.StatusServiceUnavailable {
		t.Error("prefix fault hit a path it does not prefix")
	}
	remove()
	if got := status(t, s, tok, "/users/@me/moves"); got != http.StatusOK {
		t.Errorf("after remove: %d", got)
	}
}

func TestFaultLatency(t *testing.T) {
	s := uptest.NewServer(t)
	tok := s.MintToken().AccessToken
	s.Inject(uptest.Fault{Kind: uptest.FaultLatency, Latency: 150 * time.Millisecond})
	began := time.Now()
	if got := status(t, s, tok, "/users/@me"); got != http.StatusOK {
		t.Errorf("slow request: %d", got)
	}
	if d := time.Since(began); d < 150*time.Millisecond {
		t.Errorf("answered in %v, want at least 150ms", d)
	}
}

func TestFaultTruncatedBody(t *testing.T) {
	s := uptest.NewServer(t)
	tok := s.MintToken().AccessToken
	s.Inject(uptest.Fault{Path: "/users/@me/moves", Kind: uptest.FaultTruncatedBody})
	resp, body, err := send(t, http.MethodGet, s.URL+"/users/@me/moves", tok)
	if resp == nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("want the status before the cut: %v %v", resp, err)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) || len(body) == 0 || int64(len(body)) >= resp.ContentLength {
		t.Errorf("read %d of %d bytes, error %v; want part of the body and an unexpected EOF", len(body), resp.ContentLength, err)
	}
}

func TestFaultMalformedJSON(t *testing.T) {
	s := uptest.NewServer(t)
	tok := s.MintToken().AccessToken
	s.Inject(uptest.Fault{Path: "/users/@me", Kind: uptest.FaultMalformedJSON})
	resp, body := get(t, s, tok, "/users/@me")
	var v any
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" || json.Unmarshal(body, &v) == nil {
		t.Errorf("%d %q %s: want a 200 whose JSON does not parse", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

func TestFaultDropConnection(t *testing.T) {
	s := uptest.NewServer(t)
	tok := s.MintToken().AccessToken
	s.Inject(uptest.Fault{Method: "GET", Path: "/users/@me/sleeps", Kind: uptest.FaultDropConnection, Count: 1})
	if _, _, err := send(t, http.MethodGet, s.URL+"/users/@me/sleeps", tok); err == nil {
		t.Error("a dropped connection gave no error")
	}
	if got := status(t, s, tok, "/users/@me/sleeps"); got != http.StatusOK {
		t.Errorf("next request: %d", got)
	}
}

func TestFaultHTMLError(t *testing.T) {
	s := uptest.NewServer(t)
	tok := s.MintToken().AccessToken
	s.Inject(uptest.Fault{Kind: uptest.FaultHTMLError, Status: 504})
	resp, body := get(t, s, tok, "/users/@me")
	if resp.StatusCode != http.StatusGatewayTimeout || resp.Header.Get("Content-Type") != "text/html" || !strings.Contains(string(body), "<h1>504 Gateway Timeout</h1>") {
		t.Errorf("%d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

func TestFaultUnauthorized(t *testing.T) {
	s := uptest.NewServer(t)
	tok := s.MintToken().AccessToken
	s.Inject(uptest.Fault{Kind: uptest.FaultUnauthorized, Count: 1})
	resp, body := get(t, s, tok, "/users/@me")
	errorMeta(t, resp, body, http.StatusUnauthorized, "NOT_AUTHORIZED")
	if resp.Header.Get("WWW-Authenticate") == "" {
		t.Error("no WWW-Authenticate")
	}
	if got := status(t, s, tok, "/users/@me"); got != http.StatusOK {
		t.Errorf("the token still works after the fault: %d", got)
	}
}

func TestFaultProbabilityIsSeeded(t *testing.T) {
	pattern := func(seed int64) string {
		s := uptest.NewServer(t, uptest.WithSeed(seed))
		tok := s.MintToken().AccessToken
		s.Inject(uptest.Fault{Kind: uptest.FaultStatus, Status: 500, Probability: 0.5})
		var b strings.Builder
		for range 24 {
			if status(t, s, tok, "/users/@me") == 500 {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b := pattern(3), pattern(3)
	if a != b {
		t.Errorf("same seed, different fault patterns %s %s", a, b)
	}
	if !strings.Contains(a, "x") || !strings.Contains(a, ".") {
		t.Errorf("probability 0.5 gave %s", a)
	}
}

func TestFaultOnTokenEndpoint(t *testing.T) {
	s := uptest.NewServer(t)
	tok := s.MintToken()
	// A fault for every API path leaves the token endpoint alone.
	s.Inject(uptest.Fault{Kind: uptest.FaultLatency, Latency: time.Millisecond})
	s.Inject(uptest.Fault{Path: "/*", Kind: uptest.FaultStatus, Status: 500})
	s.Inject(uptest.Fault{Path: "/users/@me/moves", Kind: uptest.FaultDropConnection})
	s.Inject(uptest.Fault{Path: "/auth/oauth2/token", Kind: uptest.FaultStatus, Status: 503, Count: 1})
	st, _, oerr := tokenCall(t, s, refreshForm(s, tok.RefreshToken))
	if st != http.StatusServiceUnavailable || oerr.Error != "temporarily_unavailable" {
		t.Errorf("faulted refresh: %d %+v", st, oerr)
	}
	st, _, oerr = tokenCall(t, s, refreshForm(s, tok.RefreshToken))
	if st != http.StatusOK {
		t.Errorf("refresh after the fault: %d %+v (the faulted one must not have used the token)", st, oerr)
	}
	if n := s.TokenRequests()["refresh_token"]; n != 2 {
		t.Errorf("TokenRequests counted %d refreshes, want 2", n)
	}
	s.Inject(uptest.Fault{Path: "/auth/oauth2/token", Kind: uptest.FaultDropConnection})
	form := refreshForm(s, tok.RefreshToken)
	if _, _, err := send(t, http.MethodGet, s.TokenURL+"?"+form.Encode(), ""); err == nil {
		t.Error("dropped token request gave no error")
	}
}

func TestParseFault(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want uptest.Fault
	}{
		{"path=/users/@me/workouts,status=503,count=2,retry-after=1s",
			uptest.Fault{Path: "/users/@me/workouts", Kind: uptest.FaultStatus, Status: 503, Count: 2, RetryAfter: time.Second}},
		{"latency=250ms", uptest.Fault{Kind: uptest.FaultLatency, Latency: 250 * time.Millisecond}},
		{"kind=html, status=502, probability=0.25", uptest.Fault{Kind: uptest.FaultHTMLError, Status: 502, Probability: 0.25}},
		{"method=post,path=/auth/oauth2/token,kind=drop", uptest.Fault{Method: "POST", Path: "/auth/oauth2/token", Kind: uptest.FaultDropConnection}},
		{"kind=truncated-body", uptest.Fault{Kind: uptest.FaultTruncatedBody}},
		{"kind=malformed-json,path=/moves/*", uptest.Fault{Kind: uptest.FaultMalformedJSON, Path: "/moves/*"}},
		{"kind=unauthorized", uptest.Fault{Kind: uptest.FaultUnauthorized}},
	} {
		got, err := uptest.ParseFault(tc.spec)
		if err != nil || got != tc.want {
			t.Errorf("ParseFault(%q) = %+v, %v; want %+v", tc.spec, got, err, tc.want)
		}
		back, err := uptest.ParseFault(got.String())
		if err != nil || back != got {
			t.Errorf("ParseFault(%q.String() = %q) = %+v, %v", tc.spec, got.String(), back, err)
		}
	}
	for _, bad := range []string{"", "path=/x", "kind=explode", "status=42", "status=abc", "latency=-1s", "kind=latency",
		"count=-1,status=500", "probability=2,status=500", "shade=red,status=500", "status"} {
		if f, err := uptest.ParseFault(bad); err == nil {
			t.Errorf("ParseFault(%q) = %+v, want an error", bad, f)
		}
	}
}

func FuzzParseFault(f *testing.F) {
	for _, seed := range []string{"path=/users/@me/workouts,status=503,count=2,retry-after=1s", "latency=1s,probability=0.5", "kind=drop,method=GET"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		fault, err := uptest.ParseFault(spec)
		if err != nil {
			return
		}
		back, err := uptest.ParseFault(fault.String())
		if err != nil || back != fault {
			t.Errorf("ParseFault(%q) = %+v, but its String %q reads back as %+v, %v", spec, fault, fault.String(), back, err)
		}
	})
}

func TestFaultsSkipValidation(t *testing.T) {
	// Faults break the contract on purpose; NewServer must not fail the test for them.
	s := uptest.NewServer(t)
	s.Inject(uptest.Fault{Kind: uptest.FaultMalformedJSON})
	_, body := postForm(t, s, s.MintToken().AccessToken, "/users/@me/mood", url.Values{"title": {"Good"}, "sub_type": {"4"}})
	var env gen.MoodEnvelope
	if json.Unmarshal(body, &env) == nil {
		t.Errorf("malformed fault left valid JSON: %s", body)
	}
}
