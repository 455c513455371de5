package uptest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/uptest"
)

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       10 * time.Second,
}

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// start is a fixed moment for tests that need one: noon in Los Angeles.
var start = time.Date(2015, time.March, 18, 12, 0, 0, 0, time.FixedZone("PDT", -7*3600))

// reply is what tests look at in a response, whose body is read and closed.
type reply struct {
	StatusCode    int
	Header        http.Header
	ContentLength int64
}

func replyOf(resp *http.Response) reply {
	return reply{StatusCode: resp.StatusCode, Header: resp.Header, ContentLength: resp.ContentLength}
}

// do sends a request and returns the answer with its body read.
func do(t *testing.T, method, rawURL, token string, body io.Reader, contentType string) (reply, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, rawURL, err)
	}
	return replyOf(resp), b
}

func get(t *testing.T, s *uptest.Server, token, path string) (reply, []byte) {
	t.Helper()
	return do(t, http.MethodGet, s.URL+path, token, nil, "")
}

func postForm(t *testing.T, s *uptest.Server, token, path string, form url.Values) (reply, []byte) {
	t.Helper()
	return do(t, http.MethodPost, s.URL+path, token, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

// decodeStrict decodes b into v, refusing fields v does not declare.
func decodeStrict(t *testing.T, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %T: %v\n%s", v, err, b)
	}
}

// errorMeta decodes an error envelope and checks its status and message.
func errorMeta(t *testing.T, resp reply, body []byte, status int, message string) gen.Meta {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, body)
	}
	var env gen.ErrorEnvelope
	decodeStrict(t, body, &env)
	if env.Meta.Code != status || env.Meta.Message != message {
		t.Fatalf("meta code %d message %q, want %d %q", env.Meta.Code, env.Meta.Message, status, message)
	}
	if env.Data != nil {
		t.Errorf("error envelope has data: %v", env.Data)
	}
	return env.Meta
}

// client is the generated typed client, authorized with token.
func client(t *testing.T, s *uptest.Server, token string) *gen.ClientWithResponses {
	t.Helper()
	c, err := gen.NewClientWithResponses(s.URL, gen.WithHTTPClient(noRedirect), gen.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+token)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
