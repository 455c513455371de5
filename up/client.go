package up

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/gen"
)

// Client makes UP API calls for one user. It attaches the user's token to
// every request, refreshes the token when the API answers 401 Unauthorized,
// and saves each new token to the Config's Storage.
//
// A Client is safe for concurrent use; concurrent calls that meet the same
// expired token share a single refresh.
type Client struct {
	cfg    Config
	hc     *http.Client // sends through transport
	server string       // BaseURL with a trailing slash, as the generated builders want it

	// storeMu orders this Client's writes to Storage (taken after the
	// Storage's own Locker lock, before mu), so that a slow refresh cannot
	// save a token after Disconnect deleted it.
	storeMu sync.Mutex

	mu       sync.Mutex
	tok      *oauth2.Token      // nil when there is no token
	src      oauth2.TokenSource // when set, supplies every token instead of tok
	gen      uint64             // changes with each new credential, to detect superseded refreshes
	inflight *refreshCall       // the refresh under way, if any
	saveErr  error              // why the current token is not in Storage; nil when it is

	retrying atomic.Bool // a failed save is being retried

	friendsMu sync.Mutex
	friends   *friendsCache // the user's friends, once fetched

	api func() *gen.ClientWithResponses // the typed client, made on first use
}

// Client returns a Client using tok. It keeps a copy of tok and of c; nil or
// an empty tok gives a Client whose calls fail with ErrNoToken.
func (c *Config) Client(tok *oauth2.Token) *Client {
	cl := c.newClient()
	cl.tok = usableToken(tok)
	return cl
}

// ClientFromAccessToken returns a Client using a bare access token, as a
// program that kept only the access token would have. Without a refresh
// token it cannot refresh: a 401 is returned as an *APIError.
func (c *Config) ClientFromAccessToken(access string) *Client {
	return c.Client(&oauth2.Token{AccessToken: access, TokenType: "Bearer"})
}

// ClientFromTokenSource returns a Client that asks ts for the token before
// every request; wrap ts in oauth2.ReuseTokenSource to cache it.
//
// Such a Client never calls the token endpoint itself: on a 401 it asks ts
// again and resends only if ts returns a different access token (at most
// twice), Refresh returns an error, and no token is saved to Storage.
// Disconnect still deletes the stored token.
func (c *Config) ClientFromTokenSource(ts oauth2.TokenSource) *Client {
	cl := c.newClient()
	cl.src = ts
	return cl
}

// ClientFromStorage returns a Client using the token kept in Storage. It
// returns an error matching ErrNoToken when Storage holds none.
func (c *Config) ClientFromStorage(ctx context.Context) (*Client, error) {
	if c.Storage == nil {
		return nil, errors.New("up: ClientFromStorage: Config.Storage is nil")
	}
	tok, err := c.Storage.Load(ctx)
	if errors.Is(err, ErrNoToken) {
		return nil, err
	}
	if err != nil {
		return nil, storageErr("load", err)
	}
	if usableToken(tok) == nil {
		return nil, ErrNoToken
	}
	return c.Client(tok), nil
}

// newClient returns a Client with a private copy of c and no credentials.
func (c *Config) newClient() *Client {
	cl := &Client{cfg: c.clone()}
	cl.server = cl.cfg.baseURL() + "/"
	base := cl.cfg.baseClient()
	t := newTransport(cl, cl.cfg.baseTransport())
	var rt http.RoundTripper = t
	if cl.cfg.Retry != nil {
		rt = &retryTransport{next: t, policy: *cl.cfg.Retry}
	}
	cl.hc = &http.Client{
		Transport:     rt,
		CheckRedirect: cl.checkRedirect(base.CheckRedirect),
		Jar:           base.Jar,
		Timeout:       base.Timeout,
	}
	cl.api = sync.OnceValue(cl.newAPI)
	return cl
}

// usableToken returns a copy of tok, or nil when tok has neither an access
// nor a refresh token.
func usableToken(tok *oauth2.Token) *oauth2.Token {
	if tok == nil || (tok.AccessToken == "" && tok.RefreshToken == "") {
		return nil
	}
	return copyToken(tok)
}

// Token returns a copy of the current token, including any refreshed since
// the Client was made. It returns ErrNoToken when there is none, for
// instance after Disconnect.
func (cl *Client) Token() (*oauth2.Token, error) {
	cl.mu.Lock()
	src, tok := cl.src, copyToken(cl.tok)
	cl.mu.Unlock()
	if src != nil {
		return sourceToken(src)
	}
	if tok == nil {
		return nil, ErrNoToken
	}
	return tok, nil
}

// SetToken replaces the Client's credentials with a copy of tok (nil
// removes them). It does not save tok to Storage.
func (cl *Client) SetToken(tok *oauth2.Token) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.tok = usableToken(tok)
	cl.src = nil
	cl.gen++
	cl.saveErr = nil
}

// Refresh gets a new token from the token endpoint now, exactly as an
// automatic refresh would, saves it to Storage and returns it. If Storage
// already holds a newer token (another process refreshed), that one is
// adopted instead.
//
// A *TokenError reports a refusal, matching ErrLoginRequired when the user
// must log in again. When the token is returned together with a
// *StorageError, it is valid and in use, and saving is retried on the next
// request.
func (cl *Client) Refresh(ctx context.Context) (*oauth2.Token, error) {
	cl.mu.Lock()
	src, tok := cl.src, cl.tok
	cl.mu.Unlock()
	if src != nil {
		return nil, errors.New("up: Refresh: the Client's TokenSource refreshes its own tokens")
	}
	if tok == nil {
		return nil, ErrNoToken
	}
	res := cl.refresh(ctx, tok.AccessToken, false)
	if res.err != nil {
		return nil, cl.scrub(res.err)
	}
	return res.tok, res.saveErr
}

// PendingSaveError returns why the current token could not be saved to
// Storage, or nil once it is saved. The Client retries the save before
// each request until it succeeds.
func (cl *Client) PendingSaveError() error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.saveErr
}

// Disconnect revokes the application's access for the user
// (DELETE /users/@me/PartnerAppMembership), then forgets the token and
// deletes it from Storage; later calls fail with ErrNoToken without a
// request. If the API call fails, the credentials are kept and its error
// returned.
func (cl *Client) Disconnect(ctx context.Context) error {
	req, err := cl.newRequest(ctx, http.MethodDelete, "/users/@me/PartnerAppMembership", nil, nil)
	if err != nil {
		return err
	}
	if err := cl.do(req, nil); err != nil {
		return err
	}
	cl.SetToken(nil)
	st := cl.cfg.Storage
	if st == nil {
		return nil
	}
	return cl.withStorageLock(ctx, func(ctx context.Context) error {
		return storageErr("delete", st.Delete(ctx))
	})
}

// HTTPClient returns an *http.Client that authenticates and refreshes
// exactly like the Client's own calls, for endpoints this package does not
// cover yet. Responses are returned as they are, whatever their status. The
// token goes only to the host of BaseURL; requests for other hosts are sent
// without it. Each call returns a new *http.Client, which the caller may change.
func (cl *Client) HTTPClient() *http.Client {
	hc := *cl.hc
	return &hc
}

// BaseURL returns the API root the Client calls, without a trailing slash.
func (cl *Client) BaseURL() string { return cl.cfg.baseURL() }

// String describes the Client without its token.
func (cl *Client) String() string {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	creds := "no token"
	switch {
	case cl.src != nil:
		creds = "token source"
	case cl.tok != nil:
		creds = "token"
	}
	return fmt.Sprintf("up.Client{BaseURL: %q, %s}", cl.cfg.baseURL(), creds)
}

// GoString is String, so that %#v cannot print the token.
func (cl *Client) GoString() string { return cl.String() }

// newRequest builds a request for path (relative to BaseURL) with query
// parameters and an optional body, asking for JSON.
func (cl *Client) newRequest(ctx context.Context, method, path string, query url.Values, body io.Reader) (*http.Request, error) {
	u, err := url.Parse(cl.cfg.baseURL() + "/" + strings.TrimLeft(path, "/"))
	if err != nil {
		return nil, fmt.Errorf("up: invalid API path %q: %w", path, err)
	}
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("up: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// do sends req, turns a non-2xx answer into an *APIError and decodes the
// JSON body into out unless out is nil.
func (cl *Client) do(req *http.Request, out any) (err error) {
	defer func() { err = cl.scrub(err) }()
	resp, err := cl.hc.Do(req)
	if err != nil {
		return err
	}
	defer drainClose(resp)
	if err := cl.check(resp); err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return cl.decodeJSON(req, resp.Body, out)
}

// getJSON GETs path (relative to BaseURL) with query and decodes the whole
// JSON response, envelope included, into out.
func (cl *Client) getJSON(ctx context.Context, path string, query url.Values, out any) error {
	req, err := cl.newRequest(ctx, http.MethodGet, path, query, nil)
	if err != nil {
		return err
	}
	return cl.do(req, out)
}

// maxDrain bounds what drainClose reads of a body before closing it.
const maxDrain = 4 << 10

// drainBuffers holds the buffers drainClose reads into.
var drainBuffers = sync.Pool{New: func() any { return new([maxDrain]byte) }}

// drainClose reads a little of what is left of a body (at most maxDrain
// bytes), so the connection can be reused, and closes it.
func drainClose(resp *http.Response) {
	buf := drainBuffers.Get().(*[maxDrain]byte)
	for n := 0; n < maxDrain; {
		m, err := resp.Body.Read(buf[:maxDrain-n])
		n += m
		if err != nil {
			break
		}
	}
	drainBuffers.Put(buf)
	_ = resp.Body.Close()
}
