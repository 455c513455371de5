package up

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

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

// expiresIn is a lifetime in seconds, accepted as a JSON number or a string
// of digits, since OAuth servers write both.
type expiresIn int64

// UnmarshalJSON accepts 31536000, "31536000" and null.
func (e *expiresIn) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(b, `"`))
	if s == "" || s == "null" {
		*e = 0
		return nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("expires_in is not a number")
	}
	*e = expiresIn(n)
	return nil
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
	tok := &oauth2.Token{
		AccessToken:  r.AccessToken,
		TokenType:    r.TokenType,
		RefreshToken: r.RefreshToken,
		ExpiresIn:    int64(r.ExpiresIn),
	}
	if r.ExpiresIn > 0 {
		tok.Expiry = time.Now().Add(time.Duration(r.ExpiresIn) * time.Second)
	}
	return tok, nil
}

// excerpt quotes the start of an unexpected body on one line, without secrets.
func excerpt(body []byte, secrets ...string) string {
	s := cleanText(redactSecrets(string(body), secrets...), maxExcerpt)
	if s == "" {
		return "empty body"
	}
	return strconv.Quote(s)
}
