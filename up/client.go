package up

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/gen"
)

// Client makes UP API calls for one user. It attaches the user's token to
// every request, refreshes the token when its expiry has passed or the API
// answers 401 Unauthorized, and stores each new token where the Client
// came from: Config.Store under the user's key (ClientFor), or
// Config.Storage.
//
// A Client is cheap to make and safe for concurrent use; concurrent calls
// that meet the same expired token share a single refresh. A web
// application makes one per request, from the store.
type Client struct {
	cfg   Config
	hc    *http.Client // sends through transport
	creds *creds       // the user's credentials, which the transport asks for tokens

	// The base URL, parsed once: requests are built on it (newRequest).
	base    *url.URL
	baseErr error  // why BaseURL does not parse, returned by every call
	host    string // the Host of every request, as http.NewRequest sets it
	// The Accept values of the requests the Client builds (JSON and PNG),
	// by which the transport knows them for its own.
	acceptJSON, acceptPNG []string

	friendsMu sync.Mutex
	friends   *friendsCache // the user's friends, once fetched

	api func() *gen.ClientWithResponses // the typed client, made on first use
}

// Client returns a Client using tok that stores refreshed tokens in
// Config.Storage, if set. It keeps a copy of tok and of c; nil or an empty
// tok gives a Client whose calls fail with ErrNoToken. For a user of
// Config.Store, use ClientFor.
func (c *Config) Client(tok *oauth2.Token) *Client {
	return c.newClientFor(c.storageStore(), "", tok, false)
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
	cl := c.newClientFor(c.storageStore(), "", nil, false)
	cl.creds.src = ts
	return cl
}

// ClientFromStorage returns a Client using the token kept in Storage. It
// returns an error matching ErrNoToken when Storage holds none.
func (c *Config) ClientFromStorage(ctx context.Context) (*Client, error) {
	if c.Storage == nil {
		return nil, errors.New("up: ClientFromStorage: Config.Storage is nil")
	}
	return c.clientFromStore(ctx, c.storageStore(), "")
}

// ClientFor returns a Client for the user the application knows by key,
// using the token kept for key in Config.Store. Its refreshes and its
// Disconnect update that token under the key's lock. It returns an error
// matching ErrNoToken when the store holds no token for key (send the user
// through login: AuthCodeURL, then ExchangeFor), and ErrEmptyKey for "".
//
// Make one per request: a Client made from the store picks up the token
// another request, process or machine stored a moment ago.
func (c *Config) ClientFor(ctx context.Context, key string) (*Client, error) {
	if c.Store == nil {
		return nil, errors.New("up: ClientFor: Config.Store is nil")
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	return c.clientFromStore(ctx, c.Store, key)
}

// clientFromStore returns a Client using the token store holds for key.
func (c *Config) clientFromStore(ctx context.Context, store Store, key string) (*Client, error) {
	tok, err := store.Load(ctx, key)
	if errors.Is(err, ErrNoToken) {
		return nil, err
	}
	if err != nil {
		return nil, storageErr("load", err)
	}
	if usableToken(tok) == nil {
		return nil, ErrNoToken
	}
	return c.newClientFor(store, key, tok, true), nil
}

// newClientFor returns a Client with a private copy of c, holding tok
// (read from store when inStore) for the user key of store.
func (c *Config) newClientFor(store Store, key string, tok *oauth2.Token, inStore bool) *Client {
	cl := c.newClient()
	cl.creds.bind(store, key, tok, inStore)
	return cl
}

// newClient returns a Client with a private copy of c and no credentials.
func (c *Config) newClient() *Client {
	cl := &Client{cfg: c.clone(), acceptJSON: []string{"application/json"}, acceptPNG: []string{"image/png"}}
	cl.base, cl.baseErr = parseBaseURL(cl.cfg.baseURL())
	cl.host = hostWithoutEmptyPort(cl.base.Host)
	cl.creds = &creds{cfg: &cl.cfg}
	base := cl.cfg.baseClient()
	t := newTransport(&cl.cfg, cl.creds, cl.cfg.baseTransport())
	t.owned = [2]*string{&cl.acceptJSON[0], &cl.acceptPNG[0]}
	t.scrub = cl.scrub
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

// Token returns a copy of the current token, including any refreshed since
// the Client was made. It returns ErrNoToken when there is none, for
// instance after Disconnect.
func (c *Client) Token() (*oauth2.Token, error) { return c.creds.current() }

// SetToken replaces the Client's credentials with a copy of tok (nil
// removes them). It does not store tok; a refresh under way when SetToken
// is called is not stored either.
func (c *Client) SetToken(tok *oauth2.Token) { c.creds.replace(tok) }

// Refresh gets a new token from the token endpoint now, exactly as an
// automatic refresh would, stores it and returns it. If the store already
// holds a newer token (another request or process refreshed), that one is
// adopted instead.
//
// A *TokenError reports a refusal, matching ErrLoginRequired when the user
// must log in again. When the token is returned together with a
// *StorageError, it is valid and in use, and saving is retried on the next
// request.
func (c *Client) Refresh(ctx context.Context) (*oauth2.Token, error) {
	tok, err := c.creds.refreshNow(ctx)
	return tok, c.scrub(err)
}

// PendingSaveError returns why the current token could not be stored, or
// nil once it is stored. The Client retries the save before each request
// until it succeeds.
func (c *Client) PendingSaveError() error { return c.creds.pendingSaveError() }

// Disconnect revokes the application's access for the user
// (DELETE /users/@me/PartnerAppMembership), then forgets the token and
// deletes it from the store, under the user's lock, so that no refresh
// under way can store it again; later calls fail with ErrNoToken without a
// request. If the API call fails, the credentials are kept and its error
// returned.
func (c *Client) Disconnect(ctx context.Context) error {
	req, err := c.newRequest(ctx, call{method: http.MethodDelete, path: mePath + "/PartnerAppMembership"})
	if err != nil {
		return err
	}
	// Only the status counts: what UP says besides is not decoded.
	if _, err := c.exchange(req, new(Response), nil); err != nil {
		return err
	}
	return c.creds.forget(ctx)
}

// HTTPClient returns an *http.Client that authenticates and refreshes
// exactly like the Client's own calls, for endpoints this package does not
// cover yet. Responses are returned as they are, whatever their status. The
// token goes only to the host of BaseURL; requests for other hosts are sent
// without it. Each call returns a new *http.Client, which the caller may change.
func (c *Client) HTTPClient() *http.Client {
	hc := *c.hc
	return &hc
}

// BaseURL returns the API root the Client calls, without a trailing slash.
func (c *Client) BaseURL() string { return c.cfg.baseURL() }

// String describes the Client without its token or its user's key.
func (c *Client) String() string {
	return fmt.Sprintf("up.Client{BaseURL: %q, %s}", c.cfg.baseURL(), c.creds.describe())
}

// GoString is String, so that %#v cannot print the token.
func (c *Client) GoString() string { return c.String() }

// parseBaseURL parses Config.BaseURL once for every request of a Client.
// A URL that does not parse, or is not absolute, gives an empty one and the
// error every call returns.
func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err == nil && (u.Scheme == "" || u.Host == "") {
		err = fmt.Errorf("%q is not an absolute URL", raw)
	}
	if err != nil {
		return &url.URL{}, fmt.Errorf("up: invalid base URL: %w", err)
	}
	return u, nil
}
