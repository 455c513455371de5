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
	"time"

	"golang.org/x/oauth2"
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

// apiRequest is what the fake API recorded about one request.
type apiRequest struct {
	Method, Path, Query, Auth, UserAgent string
	Body                                 string
}

// fakeUP is a small stand-in for the UP API and its token endpoint. It
// accepts only the access tokens it has minted and are still valid, and
// mints numbered tokens.
type fakeUP struct {
	t   *testing.T
	srv *httptest.Server

	apiCalls   atomic.Int64
	tokenCalls atomic.Int64

	mu            sync.Mutex
	valid         map[string]bool // access tokens the API accepts
	refreshTokens map[string]bool // refresh tokens the token endpoint accepts
	minted        int
	tokenForms    []url.Values
	tokenHeaders  []http.Header
	apiReqs       []apiRequest

	// omitRefreshToken makes refresh answers carry no refresh_token.
	omitRefreshToken bool
	// tokenHandler, when set, answers every token request instead.
	tokenHandler http.HandlerFunc
	// apiHandler, when set, answers authorized API requests instead.
	apiHandler http.HandlerFunc
}

// newFakeUP starts a fake UP server that is closed when the test ends.
func newFakeUP(t *testing.T) *fakeUP {
	t.Helper()
	f := &fakeUP{t: t, valid: map[string]bool{}, refreshTokens: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc(tokenPath, f.serveToken)
	mux.HandleFunc(apiPrefix+"/", f.serveAPI)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// config returns an application Config pointed at the fake server.
func (f *fakeUP) config() *Config {
	return &Config{
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		RedirectURL:  testRedirectURL,
		Scopes:       []Scope{ScopeMoveRead, ScopeSleepRead},
		BaseURL:      f.srv.URL + apiPrefix,
		AuthURL:      f.srv.URL + "/auth/oauth2/auth",
		TokenURL:     f.srv.URL + tokenPath,
		HTTPClient:   f.srv.Client(),
	}
}

// mint makes a new token pair the server accepts, as Jawbone's answer
// would carry it, and returns it as a token.
func (f *fakeUP) mint() *oauth2.Token {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mintLocked()
}

func (f *fakeUP) mintLocked() *oauth2.Token {
	f.minted++
	tok := &oauth2.Token{
		AccessToken:  fmt.Sprintf("ACCESS-%d-a1b2c3d4e5", f.minted),
		TokenType:    "Bearer",
		RefreshToken: fmt.Sprintf("REFRESH-%d-f6e5d4c3b2", f.minted),
		Expiry:       time.Now().Add(365 * 24 * time.Hour),
	}
	f.valid[tok.AccessToken] = true
	f.refreshTokens[tok.RefreshToken] = true
	return tok
}

// revoke makes the API refuse an access token, as after its expiry.
func (f *fakeUP) revoke(access string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.valid, access)
}

// forms returns the token requests received so far.
func (f *fakeUP) forms() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.tokenForms...)
}

// requests returns the API requests received so far.
func (f *fakeUP) requests() []apiRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]apiRequest(nil), f.apiReqs...)
}

// serveToken implements the token endpoint for both grants.
func (f *fakeUP) serveToken(w http.ResponseWriter, r *http.Request) {
	f.tokenCalls.Add(1)
	if err := r.ParseForm(); err != nil {
		f.t.Errorf("token endpoint: %v", err)
	}
	f.mu.Lock()
	f.tokenForms = append(f.tokenForms, r.PostForm)
	f.tokenHeaders = append(f.tokenHeaders, r.Header.Clone())
	h := f.tokenHandler
	f.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	if r.Method != http.MethodPost || r.PostForm.Get("client_secret") != testClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	f.mu.Lock()
	var tok *oauth2.Token
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		if r.PostForm.Get("code") == "code" {
			tok = f.mintLocked()
		}
	case "refresh_token":
		if f.refreshTokens[r.PostForm.Get("refresh_token")] {
			tok = f.mintLocked()
		}
	}
	omit := f.omitRefreshToken && r.PostForm.Get("grant_type") == "refresh_token"
	f.mu.Unlock()
	if tok == nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "The grant is invalid or expired."})
		return
	}
	resp := map[string]any{"access_token": tok.AccessToken, "token_type": "Bearer", "expires_in": 31536000}
	if !omit {
		resp["refresh_token"] = tok.RefreshToken
	}
	writeJSON(w, http.StatusOK, resp)
}

// serveAPI checks the bearer token and answers like the UP API.
func (f *fakeUP) serveAPI(w http.ResponseWriter, r *http.Request) {
	f.apiCalls.Add(1)
	body, _ := io.ReadAll(r.Body)
	access, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	f.apiReqs = append(f.apiReqs, apiRequest{
		Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, apiPrefix), Query: r.URL.RawQuery,
		Auth: r.Header.Get("Authorization"), UserAgent: r.UserAgent(), Body: string(body),
	})
	ok, h := f.valid[access], f.apiHandler
	f.mu.Unlock()
	if !ok {
		writeEnvelope(w, http.StatusUnauthorized, "NOT_AUTHORIZED", nil)
		return
	}
	if h != nil {
		h(w, r)
		return
	}
	switch path := strings.TrimPrefix(r.URL.Path, apiPrefix); {
	case r.Method == http.MethodGet && path == "/users/@me":
		writeEnvelope(w, http.StatusOK, "OK", map[string]string{"xid": "6xl39CsoVp2KirfHwVq_Fx", "first": "James", "last": "Franklin"})
	case r.Method == http.MethodDelete && path == "/users/@me/PartnerAppMembership":
		writeEnvelope(w, http.StatusOK, "OK", map[string]any{})
	case r.Method == http.MethodPost && path == "/users/@me/echo":
		writeEnvelope(w, http.StatusCreated, "OK", map[string]string{"body": string(body)})
	default:
		writeEnvelope(w, http.StatusNotFound, "NOT_FOUND", nil)
	}
}

// writeEnvelope answers with a UP envelope {"meta": ..., "data": ...}.
func writeEnvelope(w http.ResponseWriter, status int, message string, data any) {
	env := map[string]any{"meta": map[string]any{
		"user_xid": "6xl39CsoVp2KirfHwVq_Fx", "message": message, "code": status, "time": 1471463170,
	}}
	if data != nil {
		env["data"] = data
	}
	writeJSON(w, status, env)
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

// getUser makes the simplest authenticated call.
func getUser(ctx context.Context, cl *Client) (userEnvelope, error) {
	var u userEnvelope
	err := cl.getJSON(ctx, "/users/@me", nil, &u)
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
