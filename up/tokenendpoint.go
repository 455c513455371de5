package up

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/oauth2"
)

const (
	// maxTokenResponse bounds how much of a token endpoint response is read.
	maxTokenResponse = 64 << 10
	// maxExcerpt bounds, in runes, the part of an unexpected body quoted in an error.
	maxExcerpt = 160
)

// tokenResponse is the OAuth JSON the token endpoint answers with, on
// success and on failure.
type tokenResponse struct {
	AccessToken      string    `json:"access_token"`
	TokenType        string    `json:"token_type"`
	RefreshToken     string    `json:"refresh_token"`
	ExpiresIn        expiresIn `json:"expires_in"`
	Error            string    `json:"error"`
	ErrorDescription string    `json:"error_description"`
}

// The range a token's lifetime (expires_in) is clamped to. UP's tokens
// last a year (expires_in 31536000). A lifetime under a minute is read as a
// minute: the Client treats a token as expired expirySkew before its
// expiry, so a shorter one would be born expired and refreshed before
// every request, each refresh making another such token; a token that
// really dies sooner is refreshed when the API answers 401. A lifetime over
// ten years is read as ten years, so that no value can overflow into an
// expiry in the past (31536000000 seconds, a thousand years, overflows
// time.Duration and gave an expiry in 1857).
const (
	minTokenLifetime = time.Minute
	maxTokenLifetime = 10 * 365 * 24 * time.Hour
)

// expiresIn is a token's lifetime from the expires_in field, clamped to
// [minTokenLifetime, maxTokenLifetime], or 0 when the lifetime is unknown.
// It accepts a JSON number or a string holding one, since OAuth servers
// write both; a missing, null, zero, negative or unreadable value is an
// unknown lifetime, never an error: the token itself is good, the Client
// then refreshes it when the API answers 401, and refusing the answer
// would lose a token whose refresh token UP has already rotated.
type expiresIn time.Duration

// UnmarshalJSON reads 31536000, "31536000", 3600.5 and anything else,
// which it takes for an unknown lifetime.
func (e *expiresIn) UnmarshalJSON(b []byte) error {
	*e = 0
	s := string(bytes.TrimSpace(b))
	if unquoted, err := strconv.Unquote(s); err == nil {
		s = strings.TrimSpace(unquoted)
	}
	secs, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange), math.IsNaN(secs), secs <= 0:
		return nil // unknown
	case secs < minTokenLifetime.Seconds():
		*e = expiresIn(minTokenLifetime)
	case secs > maxTokenLifetime.Seconds(): // +Inf and overflowing values included
		*e = expiresIn(maxTokenLifetime)
	default:
		*e = expiresIn(time.Duration(secs) * time.Second)
	}
	return nil
}

// checkTokenType accepts a bearer token type, written in any case, and an
// empty one; it refuses any other with a *TokenTypeError. An absent type
// is taken for a bearer token: every answer of UP's token endpoint on
// record names "Bearer", every UP client sent "Authorization: Bearer" and
// nothing else, so a missing type can only mean bearer, and refusing it
// would throw away a token (its refresh token already rotated) over a
// missing field. A type that is present and different is a server saying
// the token is not a bearer token, and is believed.
func checkTokenType(typ string) error {
	if typ == "" || strings.EqualFold(typ, "bearer") {
		return nil
	}
	return &TokenTypeError{Type: cleanText(typ, maxTextInError)}
}

// exchangeCode trades an authorization code for a token
// (grant_type=authorization_code).
func (c *Config) exchangeCode(ctx context.Context, code string) (*oauth2.Token, error) {
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"client_id":     {c.ClientID},
		"client_secret": {c.ClientSecret},
	}
	if c.RedirectURL != "" {
		form.Set("redirect_uri", c.RedirectURL)
	}
	return c.postToken(ctx, form, code)
}

// refreshToken trades a refresh token for a new token
// (grant_type=refresh_token), keeping refresh when the answer has none.
func (c *Config) refreshToken(ctx context.Context, refresh string) (*oauth2.Token, error) {
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refresh},
		"client_id":     {c.ClientID},
		"client_secret": {c.ClientSecret},
	}
	tok, err := c.postToken(ctx, form, refresh)
	if err != nil {
		return nil, err
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = refresh
	}
	return tok, nil
}

// postToken POSTs form to the token endpoint with the client credentials in
// the body, as UP expects, and decodes the answer. secret is the grant's own
// credential, kept out of any error.
func (c *Config) postToken(ctx context.Context, form url.Values, secret string) (*oauth2.Token, error) {
	u, err := url.Parse(c.tokenURL())
	if err != nil {
		return nil, fmt.Errorf("up: invalid TokenURL: %w", err)
	}
	if err := checkSecure(u); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("up: token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent())
	resp, err := c.tokenClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("up: token request: %w", scrubURLError(err))
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	if err != nil {
		return nil, fmt.Errorf("up: token request: reading response: %w", err)
	}
	return parseTokenResponse(resp.StatusCode, body, c.ClientSecret, secret)
}

// tokenClient returns a copy of the base client that does not follow
// redirects, so the client secret is posted to TokenURL and nowhere else.
func (c *Config) tokenClient() *http.Client {
	hc := *c.baseClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// parseTokenResponse turns a token endpoint answer into a token, or into a
// *TokenError from which secrets are removed.
func parseTokenResponse(status int, body []byte, secrets ...string) (*oauth2.Token, error) {
	var r tokenResponse
	jsonErr := json.Unmarshal(body, &r)
	success := status >= 200 && status < 300
	switch {
	case jsonErr != nil && success:
		return nil, &TokenError{StatusCode: status, Description: "invalid response: " + jsonErr.Error()}
	case jsonErr != nil:
		return nil, &TokenError{StatusCode: status, Description: "invalid response: " + excerpt(body, secrets...)}
	case r.Error != "":
		return nil, &TokenError{
			StatusCode:  status,
			Code:        cleanText(redactSecrets(r.Error, secrets...), maxTextInError),
			Description: cleanText(redactSecrets(r.ErrorDescription, append(secrets, r.AccessToken, r.RefreshToken)...), maxTextInError),
		}
	case !success:
		return nil, &TokenError{StatusCode: status, Description: "invalid response: no OAuth error in the body"}
	case r.AccessToken == "":
		return nil, &TokenError{StatusCode: status, Description: "invalid response: no access_token"}
	}
	if err := checkTokenType(r.TokenType); err != nil {
		return nil, err
	}
	tok := &oauth2.Token{
		AccessToken:  r.AccessToken,
		TokenType:    "Bearer",
		RefreshToken: r.RefreshToken,
	}
	if life := time.Duration(r.ExpiresIn); life > 0 {
		tok.ExpiresIn = int64(life / time.Second)
		tok.Expiry = time.Now().Add(life)
	}
	return tok, nil
}

// excerpt quotes the start of an unexpected body on one line, without
// secrets, in at most maxExcerpt runes once quoted: quoting escapes every
// quote and backslash, so a body full of them is cut shorter.
func excerpt(body []byte, secrets ...string) string {
	text := redactSecrets(string(body), secrets...)
	for limit := maxExcerpt; ; limit = limit * 3 / 4 {
		s := cleanText(text, limit)
		if s == "" {
			return "empty body"
		}
		if q := strconv.Quote(s); utf8.RuneCountInString(q) <= maxExcerpt || limit == 0 {
			return q
		}
	}
}
