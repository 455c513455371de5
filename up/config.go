package up

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/oauth2"
)

// The UP endpoints a Config uses when its fields are empty.
const (
	DefaultBaseURL  = "https://jawbone.com/nudge/api/v.1.1"
	DefaultAuthURL  = "https://jawbone.com/auth/oauth2/auth"
	DefaultTokenURL = "https://jawbone.com/auth/oauth2/token"
)

// Config describes one registered UP application: its credentials, the
// scopes it asks for, where tokens are kept and how to reach the API.
//
// A Config holds no per-user state, so one Config serves any number of
// users: with a Store, the login callback (ExchangeFor), the Client made
// for a request (ClientFor), its refreshes and Disconnect all name the user
// by the application's own key, and nothing is copied per user. Do not
// change a Config while it is in use; a Client keeps its own copy from
// when it was made. See https://jawbone.com/up/developer/authentication.
type Config struct {
	// ClientID and ClientSecret identify the application; both come from
	// the UP developer portal.
	ClientID, ClientSecret string

	// RedirectURL is where the UP login page sends the user back to; it
	// must match a URL registered for the application.
	RedirectURL string

	// Scopes are the permissions requested at login; empty means
	// []Scope{ScopeBasicRead}.
	Scopes Scopes

	// Store, if set, keeps the tokens of every user of the application,
	// each under the application's key for the user: ExchangeFor stores
	// the token after login, ClientFor makes a Client from it, and that
	// Client's refreshes and Disconnect update it under the key's lock.
	// See NewFileStore, NewMemoryStore and the Store interface.
	Store Store

	// Storage, if set, keeps the token of a program's one user (a
	// command-line tool, say): Exchange stores the token after login,
	// Client and ClientFromStorage make Clients whose refreshes store the
	// new token, and Disconnect deletes it. Storage and Store are
	// independent; each serves its own methods.
	Storage TokenStorage

	// BaseURL, AuthURL and TokenURL override the UP endpoints, for tests
	// and proxies; empty means DefaultBaseURL, DefaultAuthURL, DefaultTokenURL.
	BaseURL, AuthURL, TokenURL string

	// HTTPClient, if set, supplies the transport, timeout, cookie jar and
	// redirect policy for every request. It is never modified.
	HTTPClient *http.Client

	// UserAgent, if set, names the application in the User-Agent header,
	// before this module's own product token.
	UserAgent string

	// Retry, if set, retries GET and DELETE requests that UP answered 429,
	// 502, 503 or 504; see RetryPolicy. Nil means no retries.
	Retry *RetryPolicy

	// MaxResponseBytes bounds the JSON body of an answer the Client reads
	// (an object, a page of a list, the envelope of a write): reading stops
	// one byte past it with a *ResponseTooLargeError. Zero means
	// DefaultMaxResponseBytes (16 MiB, some 38 times the largest page UP
	// sends).
	MaxResponseBytes int64

	// OnSaveError, if set, is called when saving a token obtained by an
	// automatic refresh fails, before the calls waiting for that refresh
	// go on. The token is still used, and saving is retried on the
	// Client's later requests; see Client.PendingSaveError.
	OnSaveError func(ctx context.Context, err error)
}

// TestServer is a stand-in for the UP API that ConfigFor makes a Config
// for, such as the fake of package uptest: *uptest.Server is one.
type TestServer interface {
	// Config returns the OAuth 2.0 configuration of the application the
	// server knows: its client ID and secret and its endpoints, with
	// redirectURL and scopes.
	Config(redirectURL string, scopes ...string) *oauth2.Config
	// BaseURL returns the server's API root.
	BaseURL() string
}

// ConfigFor returns a Config for the application s knows, calling s: its
// client ID and secret, its API root and its authorization and token
// endpoints. Set RedirectURL, Scopes, Store and the rest as for UP:
//
//	s := uptest.NewServer(t)
//	client := up.ConfigFor(s).Client(s.MintToken())
func ConfigFor(s TestServer) *Config {
	oc := s.Config("")
	return &Config{
		ClientID:     oc.ClientID,
		ClientSecret: oc.ClientSecret,
		BaseURL:      s.BaseURL(),
		AuthURL:      oc.Endpoint.AuthURL,
		TokenURL:     oc.Endpoint.TokenURL,
	}
}

// String describes the Config without its client secret, so that printing
// one cannot leak the secret.
func (c Config) String() string {
	return fmt.Sprintf("up.Config{ClientID: %q, RedirectURL: %q, Scopes: %q, BaseURL: %q}",
		c.ClientID, c.RedirectURL, c.Scopes.requested(), c.baseURL())
}

// GoString is String, so that %#v cannot leak the client secret either.
func (c Config) GoString() string { return c.String() }

// clone returns a copy of c that shares no slice with it.
func (c *Config) clone() Config {
	cp := *c
	cp.Scopes = slices.Clone(c.Scopes)
	return cp
}

// ExchangeFor completes the login of the user the application knows by key
// (its own user ID, say) and stores the token in Config.Store under key,
// under the key's lock, replacing any token stored before. It checks and
// reports errors as Exchange does; before anything else it refuses an
// empty key (ErrEmptyKey) and a Config without Store, so that no
// authorization code is spent on a token that could not be kept. See
// https://jawbone.com/up/developer/authentication.
func (c *Config) ExchangeFor(ctx context.Context, key, redirectURL, state string) (*oauth2.Token, error) {
	if c.Store == nil {
		return nil, errors.New("up: ExchangeFor: Config.Store is nil")
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	return c.exchangeInto(ctx, c.Store, key, redirectURL, state)
}

// ExchangeForUser completes a login whose user the application knows only
// once UP says who it is, as an application keyed by UP's own XID does. It
// exchanges the code as Exchange does, fetches the user with the new token
// (GET /users/@me; scope basic_read), asks key for the application's key
// for that user (nil keys the user by XID), and stores the token in
// Config.Store under that key, under the key's lock, replacing any token
// stored before. It returns the user and a Client for the key, as
// ClientFor would make.
//
// Nothing is stored when the user cannot be fetched or key fails: the
// error is returned, and the user must log in again. Like ExchangeFor, it
// refuses a Config without Store before the code is spent. See
// https://jawbone.com/up/developer/authentication.
func (c *Config) ExchangeForUser(ctx context.Context, redirectURL, state string, key func(*User) (string, error)) (*Client, *User, error) {
	if c.Store == nil {
		return nil, nil, errors.New("up: ExchangeForUser: Config.Store is nil")
	}
	tok, err := c.exchangeInto(ctx, nil, "", redirectURL, state)
	if err != nil {
		return nil, nil, err
	}
	// A Client that stores nowhere: a refresh during the call is kept
	// in it, and stored below with the rest.
	fetch := c.newClientFor(nil, "", tok, false)
	u, _, err := fetch.User(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("up: ExchangeForUser: fetching the user: %w", err)
	}
	k := u.XID
	if key != nil {
		if k, err = key(u); err != nil {
			return nil, nil, fmt.Errorf("up: ExchangeForUser: naming the user's key: %w", err)
		}
	}
	if err := checkKey(k); err != nil {
		return nil, nil, err
	}
	if tok, err = fetch.Token(); err != nil {
		return nil, nil, err
	}
	err = c.Store.Update(ctx, k, func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return tok, nil })
	if err != nil {
		return nil, nil, storageErr("save", err)
	}
	return c.newClientFor(c.Store, k, tok, true), u, nil
}

// Forget deletes the token Config.Store holds for key, under the key's
// lock, without calling UP: the application keeps no credential of the
// user, while the access the user granted it stays (Client.Disconnect
// revokes that too). A key with no token stored is not an error; the empty
// key is refused with ErrEmptyKey.
func (c *Config) Forget(ctx context.Context, key string) error {
	if c.Store == nil {
		return errors.New("up: Forget: Config.Store is nil")
	}
	if err := checkKey(key); err != nil {
		return err
	}
	err := c.Store.Update(ctx, key, func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return nil, nil })
	return storageErr("delete", err)
}

// exchangeInto completes a login and stores the token in store (if not
// nil) under key.
func (c *Config) exchangeInto(ctx context.Context, store Store, key, redirectURL, state string) (*oauth2.Token, error) {
	code, err := parseRedirect(redirectURL, state)
	if err != nil {
		return nil, err
	}
	tok, err := c.exchangeCode(ctx, code)
	if err != nil {
		return nil, err
	}
	if store == nil {
		return tok, nil
	}
	err = store.Update(ctx, key, func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		return copyToken(tok), nil
	})
	if err != nil {
		return tok, storageErr("save", err)
	}
	return tok, nil
}

// storageStore returns Storage as a Store of its one user, or nil.
func (c *Config) storageStore() Store {
	if c.Storage == nil {
		return nil
	}
	return storageStore{c.Storage}
}

// baseURL returns the API root without a trailing slash.
func (c *Config) baseURL() string {
	if c.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimRight(c.BaseURL, "/")
}

// authURL returns the authorization endpoint.
func (c *Config) authURL() string {
	if c.AuthURL == "" {
		return DefaultAuthURL
	}
	return c.AuthURL
}

// tokenURL returns the token endpoint.
func (c *Config) tokenURL() string {
	if c.TokenURL == "" {
		return DefaultTokenURL
	}
	return c.TokenURL
}

// userAgent returns the User-Agent header value for every request.
func (c *Config) userAgent() string {
	if c.UserAgent == "" {
		return "up-go/" + Version + " (+https://github.com/upapi/up-go)"
	}
	return c.UserAgent + " up-go/" + Version
}

// baseClient returns the caller's HTTP client, or http.DefaultClient.
func (c *Config) baseClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return http.DefaultClient
}

// baseTransport returns the round tripper underneath every request.
func (c *Config) baseTransport() http.RoundTripper {
	if t := c.baseClient().Transport; t != nil {
		return t
	}
	return http.DefaultTransport
}
