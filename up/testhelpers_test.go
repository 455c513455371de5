package up

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up/uptest"
)

// Application credentials shared by the tests; the secret is long and
// distinctive so a scan of error text finds any leak.
const (
	testClientID     = "app_id"
	testClientSecret = "app-secret-9f8e7d6c5b4a"
	testRedirectURL  = "http://127.0.0.1:8080/dummy"
	apiPrefix        = "/nudge/api/v.1.1"
	tokenPath        = "/auth/oauth2/token"
)

// newServer starts a fake UP server, closed when the test ends, whose one
// registered application is the tests' own. Jawbone's token endpoint was
// posted to: a token request of any other method fails the test.
func newServer(t *testing.T, opts ...uptest.Option) *uptest.Server {
	t.Helper()
	s := uptest.NewServer(t, append([]uptest.Option{uptest.WithClient(testClientID, testClientSecret)}, opts...)...)
	t.Cleanup(func() {
		for _, r := range tokenEndpointRequests(s) {
			if r.Method != http.MethodPost {
				t.Errorf("token request sent with %s, want POST", r.Method)
			}
		}
	})
	return s
}

// serverConfig returns the application Config of s, with an HTTP client
// and a transport of its own.
func serverConfig(t *testing.T, s *uptest.Server) *Config {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	cfg := ConfigFor(s)
	cfg.RedirectURL = testRedirectURL
	cfg.Scopes = Scopes{ScopeMoveRead, ScopeSleepRead, ScopeBasicRead}
	cfg.HTTPClient = &http.Client{Transport: tr}
	return cfg
}

// apiRequests returns the API requests s received, oldest first.
func apiRequests(s *uptest.Server) []uptest.Request {
	var out []uptest.Request
	for _, r := range s.Requests() {
		if strings.HasPrefix(r.Path, apiPrefix+"/") {
			out = append(out, r)
		}
	}
	return out
}

// tokenEndpointRequests returns the requests s's token endpoint received,
// oldest first.
func tokenEndpointRequests(s *uptest.Server) []uptest.Request {
	var out []uptest.Request
	for _, r := range s.Requests() {
		if r.Path == tokenPath {
			out = append(out, r)
		}
	}
	return out
}

// tokenRequests counts the requests s's token endpoint received, whatever
// their grant type.
func tokenRequests(s *uptest.Server) int {
	n := 0
	for _, c := range s.TokenRequests() {
		n += c
	}
	return n
}

// authorize sends the user to the authorization endpoint cfg names, with
// state, and returns the URL UP sends them back to.
func authorize(t *testing.T, cfg *Config, state string) string {
	t.Helper()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, cfg.AuthCodeURL(state), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	closeResponse(t, resp)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorization endpoint answered %s", resp.Status)
	}
	return resp.Header.Get("Location")
}

// heldTokenEndpoint puts a gate in front of s's token endpoint and returns
// the URL to use as TokenURL. Each request is announced on arrived, held
// until release is closed, then answered by s.
func heldTokenEndpoint(t *testing.T, s *uptest.Server) (tokenURL string, arrived <-chan struct{}, release chan<- struct{}) {
	t.Helper()
	in, open := make(chan struct{}, 1), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case in <- struct{}{}:
		default:
		}
		<-open
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + tokenPath, in, open
}

// sentRequest is a request as a Client put it on the wire.
type sentRequest struct {
	Path   string
	Header http.Header
}

// outgoing is a transport that records the path and headers of each
// request it sends, as the Client set them.
type outgoing struct {
	base http.RoundTripper

	mu   sync.Mutex
	sent []sentRequest
}

// recordOutgoing makes cfg's HTTP client send through an outgoing.
func recordOutgoing(cfg *Config) *outgoing {
	o := &outgoing{base: cfg.baseTransport()}
	hc := *cfg.baseClient()
	hc.Transport = o
	cfg.HTTPClient = &hc
	return o
}

func (o *outgoing) RoundTrip(r *http.Request) (*http.Response, error) {
	o.mu.Lock()
	o.sent = append(o.sent, sentRequest{Path: r.URL.Path, Header: r.Header.Clone()})
	o.mu.Unlock()
	return o.base.RoundTrip(r)
}

// CloseIdleConnections closes the idle connections of the transport
// underneath.
func (o *outgoing) CloseIdleConnections() {
	if c, ok := o.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// headers returns the headers of the requests sent so far whose path
// starts with prefix.
func (o *outgoing) headers(prefix string) []http.Header {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []http.Header
	for _, r := range o.sent {
		if strings.HasPrefix(r.Path, prefix) {
			out = append(out, r.Header)
		}
	}
	return out
}

// api returns the headers of the API requests sent so far.
func (o *outgoing) api() []http.Header { return o.headers(apiPrefix + "/") }

// token returns the headers of the token requests sent so far.
func (o *outgoing) token() []http.Header { return o.headers(tokenPath) }

// authorizations returns the Authorization headers of the API requests
// sent so far.
func (o *outgoing) authorizations() []string {
	var out []string
	for _, h := range o.api() {
		out = append(out, h.Get("Authorization"))
	}
	return out
}

// writeJSON answers with v encoded as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client under test reports what it got
}

// userEnvelope is the part of GET /users/@me the tests look at.
type userEnvelope struct {
	Meta struct {
		Code int `json:"code"`
	} `json:"meta"`
	Data struct {
		XID   string `json:"xid"`
		First string `json:"first"`
	} `json:"data"`
}

// getRaw GETs path (below BaseURL) with query through the Client's one
// request path.
func getRaw(ctx context.Context, c *Client, path string, query url.Values) error {
	_, _, err := send[json.RawMessage](ctx, c, get(path, query.Encode()))
	return err
}

// getUser makes the simplest authenticated call.
func getUser(ctx context.Context, cl *Client) (userEnvelope, error) {
	var u userEnvelope
	req, err := cl.newRequest(ctx, get(mePath, ""))
	if err != nil {
		return u, err
	}
	_, err = cl.exchange(req, new(Response), &u)
	return u, err
}

// countingStorage is a TokenStorage that counts calls and can be told to
// fail saving; it locks like a MemoryStorage.
type countingStorage struct {
	inner *MemoryStorage

	loads, saves, deletes atomic.Int64

	mu      sync.Mutex
	saveErr error
}

func newCountingStorage() *countingStorage {
	return &countingStorage{inner: NewMemoryStorage()}
}

func (s *countingStorage) Load(ctx context.Context) (*oauth2.Token, error) {
	s.loads.Add(1)
	return s.inner.Load(ctx)
}

func (s *countingStorage) Save(ctx context.Context, tok *oauth2.Token) error {
	s.saves.Add(1)
	s.mu.Lock()
	err := s.saveErr
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.inner.Save(ctx, tok)
}

func (s *countingStorage) Delete(ctx context.Context) error {
	s.deletes.Add(1)
	return s.inner.Delete(ctx)
}

func (s *countingStorage) Lock(ctx context.Context) (func() error, error) {
	return s.inner.Lock(ctx)
}

// failSaves makes Save fail with err until called again with nil.
func (s *countingStorage) failSaves(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saveErr = err
}

// stored returns the stored token, failing the test if there is none.
func (s *countingStorage) stored(t *testing.T) *oauth2.Token {
	t.Helper()
	tok, err := s.inner.Load(t.Context())
	if err != nil {
		t.Fatalf("storage holds no token: %v", err)
	}
	return tok
}

// mustSave stores tok in s, failing the test on error.
func mustSave(t *testing.T, s TokenStorage, tok *oauth2.Token) {
	t.Helper()
	if err := s.Save(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
}

// writeBody answers with a raw body.
func writeBody(w http.ResponseWriter, status int, body string) {
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// closeResponse closes a response body in a test.
func closeResponse(t *testing.T, resp *http.Response) {
	t.Helper()
	if err := resp.Body.Close(); err != nil {
		t.Error(err)
	}
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// textResponse builds a response with a text body for req.
func textResponse(req *http.Request, status int, body string) *http.Response {
	return &http.Response{
		StatusCode: status,
		Status:     fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(body)),
		Request:    req,
	}
}
