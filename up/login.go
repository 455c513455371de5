package up

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// AuthCodeURL returns the UP login page URL to send the user to. Pass a
// fresh value from NewState as state and keep it (in the user's session, for
// example) to give to Exchange when the user comes back.
//
// The parameters are response_type, client_id, scope, redirect_uri (when
// RedirectURL is set) and state, in that order.
// See https://jawbone.com/up/developer/authentication.
func (c *Config) AuthCodeURL(state string) string {
	params := [][2]string{
		{"response_type", "code"},
		{"client_id", c.ClientID},
		{"scope", c.Scopes.requested()},
	}
	if c.RedirectURL != "" {
		params = append(params, [2]string{"redirect_uri", c.RedirectURL})
	}
	params = append(params, [2]string{"state", state})

	var b strings.Builder
	b.WriteString(c.authURL())
	sep := "?"
	if strings.Contains(c.authURL(), "?") {
		sep = "&"
	}
	for _, p := range params {
		b.WriteString(sep)
		b.WriteString(url.QueryEscape(p[0]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p[1]))
		sep = "&"
	}
	return b.String()
}

// NewState returns an unguessable login state: 32 random bytes, base64url
// encoded without padding (43 characters).
func NewState() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("up: generating state: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// Exchange completes a login. redirectURL is the whole URL the user came back
// to and state is the value given to AuthCodeURL; Exchange checks it, trades
// the authorization code for a token and saves the token to Storage. For a
// user of Config.Store, use ExchangeFor.
//
// The state is checked first: a URL whose state is missing or different (or
// an empty state) is ErrStateMismatch whatever else it carries, an OAuth
// error included, since it may be forged. Then: *AuthorizationError when the
// URL carries an OAuth error (matching ErrAccessDenied when the user
// declined), ErrMissingCode when there is no code, and *TokenError when the
// token endpoint refuses. When saving fails
// the token is returned with a *StorageError: it is valid, only unsaved.
func (c *Config) Exchange(ctx context.Context, redirectURL, state string) (*oauth2.Token, error) {
	return c.exchangeInto(ctx, c.storageStore(), "", redirectURL, state)
}

// parseRedirect checks the redirect URL the user came back to and returns
// its authorization code.
func parseRedirect(redirectURL, state string) (string, error) {
	if state == "" {
		return "", fmt.Errorf("%w: Exchange needs the state given to AuthCodeURL", ErrStateMismatch)
	}
	u, err := url.Parse(redirectURL)
	if err != nil {
		// url.Parse quotes the whole URL, code included; keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("up: invalid redirect URL: %w", err)
	}
	q := u.Query()
	// The state comes first: until it matches, nothing else in the URL is
	// known to come from this login, not even an error that would end it.
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
		return "", ErrStateMismatch
	}
	if code := q.Get("error"); code != "" {
		// An authorization code beside the error stays out of its text.
		r := newRedactor(q["code"]...)
		return "", &AuthorizationError{
			Code:        cleanText(code, maxTextInError),
			Description: cleanText(r.text(q.Get("error_description")), maxTextInError),
			URI:         cleanText(r.text(q.Get("error_uri")), maxTextInError),
		}
	}
	for _, code := range q["code"] {
		if strings.TrimSpace(code) != "" {
			return code, nil
		}
	}
	return "", ErrMissingCode
}
