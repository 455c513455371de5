package uptest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/gen"
)

// codeLifetime is how long an authorization code can be exchanged, as on Jawbone.
const codeLifetime = 10 * time.Minute

// A grant is one access token and the refresh token issued with it.
type grant struct {
	access, refresh string
	clientID        string
	user            *User
	scopes          []string
	scopeSet        map[string]bool
	expiry          time.Time
	revoked         bool
	// rotated is set when a refresh exchanged the refresh token.
	rotated bool
}

type authCode struct {
	clientID    string
	redirectURI string
	user        *User
	scopes      []string
	expires     time.Time
	used        bool
}

// oauthState is the authorization server's memory.
type oauthState struct {
	mu            sync.Mutex
	codes         map[string]*authCode
	access        map[string]*grant
	refresh       map[string]*grant
	tokenRequests map[string]int
	// refreshSent counts the token requests that sent each refresh token.
	refreshSent map[string]int
	replays     int
	// pages holds the login pages shown and not yet answered, by CSRF token.
	pages map[string]*loginPage
}

func newOAuthState() *oauthState {
	return &oauthState{
		codes:         make(map[string]*authCode),
		access:        make(map[string]*grant),
		refresh:       make(map[string]*grant),
		tokenRequests: make(map[string]int),
		refreshSent:   make(map[string]int),
		pages:         make(map[string]*loginPage),
	}
}

// randomToken makes a token or code: 43 characters of URL-safe base64 that
// do not start with "-", so that no command line takes one for a flag.
func randomToken() string {
	b := make([]byte, 32)
	for {
		if _, err := rand.Read(b); err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		if tok := base64.RawURLEncoding.EncodeToString(b); tok[0] != '-' {
			return tok
		}
	}
}

// newGrantLocked makes a new grant for user u; the caller holds s.oauth.mu.
func (s *Server) newGrantLocked(u *User, clientID string, scopes []string) *grant {
	g := &grant{
		access:   randomToken(),
		refresh:  randomToken(),
		clientID: clientID,
		user:     u,
		scopes:   slices.Clone(scopes),
		scopeSet: make(map[string]bool, len(scopes)),
		expiry:   s.now().Add(s.cfg.tokenLifetime),
	}
	for _, sc := range scopes {
		g.scopeSet[sc] = true
	}
	s.oauth.access[g.access] = g
	s.oauth.refresh[g.refresh] = g
	u.grants = append(u.grants, g)
	return g
}

// MintToken returns a token for the default user, as User.MintToken does.
func (s *Server) MintToken(scopes ...string) *oauth2.Token {
	return s.DefaultUser().MintToken(scopes...)
}

func (s *Server) oauthToken(g *grant) *oauth2.Token {
	t := &oauth2.Token{AccessToken: g.access, TokenType: "Bearer", RefreshToken: g.refresh, Expiry: g.expiry}
	return t.WithExtra(map[string]any{"expires_in": int(s.cfg.tokenLifetime / time.Second)})
}

// ExpireAccessTokens makes every access token issued to the default user
// so far expired, as if its lifetime had passed. Refresh tokens keep
// working. ExpireAllAccessTokens does it for every user.
func (s *Server) ExpireAccessTokens() { s.DefaultUser().ExpireAccessTokens() }

// ExpireAllAccessTokens makes every access token issued so far, to any
// user, expired. Refresh tokens keep working.
func (s *Server) ExpireAllAccessTokens() {
	past := s.now().Add(-time.Second)
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	for _, g := range s.oauth.access {
		g.expiry = past
	}
}

// RevokeAll revokes every access and refresh token issued so far, to every
// user, as Jawbone did to all tokens after Heartbleed. User.Revoke revokes
// one user's.
func (s *Server) RevokeAll() {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	for _, g := range s.oauth.access {
		g.revoked = true
	}
}

// TokenRequests counts the requests the token endpoint received, from
// every user, by their grant_type ("authorization_code", "refresh_token", or
// whatever else was sent, "" when none), faulted and refused requests
// included. User.TokenRequests counts one user's.
func (s *Server) TokenRequests() map[string]int {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	return maps.Clone(s.oauth.tokenRequests)
}

// RefreshTokenRequests counts the token requests that sent refreshToken
// with grant_type=refresh_token, faulted and refused ones included. A
// client that refreshes correctly sends each refresh token once, unless a
// fault cut the answer short.
func (s *Server) RefreshTokenRequests(refreshToken string) int {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	return s.oauth.refreshSent[refreshToken]
}

// RefreshTokenReplays counts, over every user, the refresh_token requests
// the server answered that sent a refresh token an earlier request had
// already exchanged: 0 means no rotated refresh token was ever sent again.
func (s *Server) RefreshTokenReplays() int {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	return s.oauth.replays
}

// countTokenRequest counts a request to the token endpoint, for the server
// and for the user whose code or refresh token it sends.
func (s *Server) countTokenRequest(p url.Values) {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	gt := p.Get("grant_type")
	s.oauth.tokenRequests[gt]++
	var u *User
	switch gt {
	case "authorization_code":
		if c, ok := s.oauth.codes[p.Get("code")]; ok {
			u = c.user
		}
	case "refresh_token":
		raw := p.Get("refresh_token")
		if g, ok := s.oauth.refresh[raw]; ok {
			u = g.user
			s.oauth.refreshSent[raw]++
		}
	}
	if u != nil {
		u.tokenRequests[gt]++
	}
}

// Config returns an oauth2.Config for the server's client, endpoints and
// redirectURL, asking for scopes. Credentials travel in the request body,
// as Jawbone required.
func (s *Server) Config(redirectURL string, scopes ...string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     s.ClientID,
		ClientSecret: s.ClientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: s.AuthURL, TokenURL: s.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL:  redirectURL,
		Scopes:       scopes,
	}
}

// revokeUser revokes every token of user u for clientID, or for every
// client when clientID is "".
func (s *Server) revokeUser(u *User, clientID string) {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	for _, g := range u.grants {
		if clientID == "" || g.clientID == clientID {
			g.revoked = true
		}
	}
}

// lookupAccess finds the grant of a bearer token, and why it cannot be used.
func (s *Server) lookupAccess(token string) (*grant, string) {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	g, ok := s.oauth.access[token]
	switch {
	case !ok:
		return nil, "the access token is not one this server issued"
	case g.revoked:
		return nil, "the access token was revoked"
	case !s.now().Before(g.expiry):
		return nil, "the access token expired"
	}
	return g, ""
}

// authPage writes the HTML page Jawbone's authorization server showed when it
// could not send the user back to the app.
func authPage(w http.ResponseWriter, status int, problem string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "<!DOCTYPE html>\n<html><head><title>UP - Authorization error</title></head>"+
		"<body><h1>We could not authorize this app</h1><p>%s</p></body></html>\n", html.EscapeString(problem))
}

// An authRequest is an authorization request that passed the checks that
// let the endpoint send the browser back to the app.
type authRequest struct {
	redirectURI string // as sent
	redirect    *url.URL
	state       string
	scopes      []string
}

// A refusal is what the authorization endpoint answers to a request it
// cannot send back to the app: a page with a status.
type refusal struct {
	status int
	text   string
}

func (r *refusal) Error() string { return r.text }

// checkAuthorize reads an authorization request. It returns a refusal when
// the browser must not be sent back (an unknown client, a missing or
// unregistered redirect_uri), or the request and, when the app is to be
// told of an error in it, the error parameters of the redirect.
func (s *Server) checkAuthorize(q url.Values) (*authRequest, url.Values, *refusal) {
	if q.Get("client_id") != s.ClientID {
		return nil, nil, &refusal{http.StatusBadRequest, "Unknown client_id: no application is registered with it."}
	}
	raw := q.Get("redirect_uri")
	if raw == "" {
		return nil, nil, &refusal{http.StatusBadRequest, "The request has no redirect_uri."}
	}
	redirect, err := url.Parse(raw)
	if err != nil || !redirect.IsAbs() || redirect.Fragment != "" {
		return nil, nil, &refusal{http.StatusBadRequest, "The redirect_uri is not an absolute URI without a fragment."}
	}
	if len(s.cfg.redirectPrefixes) > 0 && !slices.ContainsFunc(s.cfg.redirectPrefixes, func(p string) bool { return strings.HasPrefix(raw, p) }) {
		return nil, nil, &refusal{http.StatusBadRequest, "The redirect_uri does not start with any URI registered for the application."}
	}
	req := &authRequest{redirectURI: raw, redirect: redirect, state: q.Get("state")}
	if q.Get("response_type") != "code" {
		return req, url.Values{"error": {"unsupported_response_type"}, "error_description": {"response_type must be code"}}, nil
	}
	req.scopes = []string{}
	for _, sc := range strings.Fields(q.Get("scope")) {
		if !slices.Contains(s.contract.known, sc) {
			return req, url.Values{"error": {"invalid_scope"}, "error_description": {fmt.Sprintf("unknown scope %q", sc)}}, nil
		}
		if !slices.Contains(req.scopes, sc) {
			req.scopes = append(req.scopes, sc)
		}
	}
	if len(req.scopes) == 0 {
		req.scopes = []string{"basic_read"}
	}
	return req, nil, nil
}

// back is the app's redirect_uri with params and the request's state.
func (req *authRequest) back(params url.Values) string {
	if req.state != "" {
		params.Set("state", req.state)
	}
	u := *req.redirect
	merged := u.Query()
	for k, v := range params {
		merged[k] = v
	}
	u.RawQuery = merged.Encode()
	return u.String()
}

// denied are the redirect parameters of a user's refusal.
func denied() url.Values {
	return url.Values{"error": {"access_denied"}, "error_description": {"The user denied your request."}}
}

// grantCode issues an authorization code for user u and the request, and
// returns the redirect parameters that carry it.
func (s *Server) grantCode(req *authRequest, u *User) url.Values {
	code := randomToken()
	s.oauth.mu.Lock()
	s.oauth.codes[code] = &authCode{clientID: s.ClientID, redirectURI: req.redirectURI, user: u, scopes: slices.Clone(req.scopes), expires: s.now().Add(codeLifetime)}
	s.oauth.mu.Unlock()
	return url.Values{"code": {code}}
}

// redirect sends the browser to location.
func redirect(w http.ResponseWriter, location string, status int) {
	w.Header().Set("Location", location)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
}

// serveAuthorize is the authorization endpoint: it checks the client and
// redirect URI, then shows the login page (WithLoginPage) or asks
// WithConsent in the default user's place, and sends the browser back with
// a code.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request, form url.Values) {
	if s.cfg.loginPage && r.Method == http.MethodPost {
		s.answerLoginPage(w, r, form)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		allow, text := "GET, HEAD", "The authorization endpoint answers GET requests only."
		if s.cfg.loginPage {
			allow, text = "GET, HEAD, POST", "The authorization endpoint answers GET, and POST from its login page."
		}
		w.Header().Set("Allow", allow)
		authPage(w, http.StatusMethodNotAllowed, text)
		return
	}
	req, problem, refused := s.checkAuthorize(r.URL.Query())
	switch {
	case refused != nil:
		authPage(w, refused.status, refused.text)
	case problem != nil:
		redirect(w, req.back(problem), http.StatusFound)
	case s.cfg.loginPage:
		s.showLoginPage(w, req, "", "")
	case s.cfg.consent != nil && !s.cfg.consent(slices.Clone(req.scopes)):
		redirect(w, req.back(denied()), http.StatusFound)
	default:
		redirect(w, req.back(s.grantCode(req, s.DefaultUser())), http.StatusFound)
	}
}

// decide answers the authorization request authURL as user u would on the
// login page, and returns where the browser would be sent.
func (s *Server) decide(authURL string, u *User, allow bool) (string, error) {
	parsed, err := url.Parse(authURL)
	if err != nil {
		return "", fmt.Errorf("uptest: authorization URL: %w", err)
	}
	req, problem, refused := s.checkAuthorize(parsed.Query())
	switch {
	case refused != nil:
		return "", fmt.Errorf("uptest: the authorization endpoint refuses the request (%d): %w", refused.status, refused)
	case problem != nil:
		return req.back(problem), nil
	case !allow:
		return req.back(denied()), nil
	}
	return req.back(s.grantCode(req, u)), nil
}

// tokenError is an answer of the token endpoint in the OAuth 2.0 error format.
type tokenError struct {
	status      int
	code        string
	description string
}

// serveToken is the token endpoint: it exchanges codes and refresh tokens.
// Parameters come in a form body; a GET with them in the query string is also
// accepted, as Jawbone's own mobile SDKs sent it.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, params url.Values, perr *tokenError) {
	resp, terr := (*gen.OAuthToken)(nil), perr
	if terr == nil {
		resp, terr = s.token(r, params)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if terr != nil {
		body := gen.OAuthError{Error: terr.code, ErrorDescription: terr.description}
		s.writeOAuthJSON(w, terr.status, "OAuthError", body)
		return
	}
	s.writeOAuthJSON(w, http.StatusOK, "OAuthToken", resp)
}

func (s *Server) writeOAuthJSON(w http.ResponseWriter, status int, schema string, v any) {
	b, err := json.Marshal(v)
	if err == nil {
		err = s.contract.checkSchema(schema, b)
	}
	if err != nil {
		s.specBroken(fmt.Sprintf("token endpoint answer (%s)", schema), err)
		status, b = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// tokenParams reads the token endpoint's parameters: the form body of a
// POST, or the query of a GET.
func tokenParams(r *http.Request, body []byte) (url.Values, *tokenError) {
	switch r.Method {
	case http.MethodGet:
		return r.URL.Query(), nil
	case http.MethodPost:
		ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
		if !strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded") {
			return nil, &tokenError{http.StatusBadRequest, "invalid_request", "send the parameters as an application/x-www-form-urlencoded body"}
		}
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, &tokenError{http.StatusBadRequest, "invalid_request", "the form body cannot be parsed"}
		}
		return v, nil
	default:
		return nil, &tokenError{http.StatusMethodNotAllowed, "invalid_request", "the token endpoint takes POST (or GET)"}
	}
}

func (s *Server) token(r *http.Request, p url.Values) (*gen.OAuthToken, *tokenError) {
	id, secret := p.Get("client_id"), p.Get("client_secret")
	if id != s.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(s.ClientSecret)) != 1 {
		detail := "client_id and client_secret must be sent in the request body and match a registered application"
		if _, _, basic := r.BasicAuth(); basic && id == "" {
			detail = "HTTP Basic authentication is not accepted: send client_id and client_secret in the request body"
		}
		return nil, &tokenError{http.StatusUnauthorized, "invalid_client", detail}
	}
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	switch gt := p.Get("grant_type"); gt {
	case "authorization_code":
		raw := p.Get("code")
		if raw == "" {
			return nil, &tokenError{http.StatusBadRequest, "invalid_request", "code is missing"}
		}
		c, ok := s.oauth.codes[raw]
		switch {
		case !ok || c.clientID != id:
			return nil, &tokenError{http.StatusBadRequest, "invalid_grant", "the authorization code is not valid"}
		case c.used:
			return nil, &tokenError{http.StatusBadRequest, "invalid_grant", "the authorization code was already used"}
		case !s.now().Before(c.expires):
			return nil, &tokenError{http.StatusBadRequest, "invalid_grant", "the authorization code expired"}
		case p.Has("redirect_uri") && p.Get("redirect_uri") != c.redirectURI:
			return nil, &tokenError{http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the one sent to the authorization endpoint"}
		}
		c.used = true
		return s.tokenResponse(s.newGrantLocked(c.user, id, c.scopes)), nil
	case "refresh_token":
		raw := p.Get("refresh_token")
		if raw == "" {
			return nil, &tokenError{http.StatusBadRequest, "invalid_request", "refresh_token is missing"}
		}
		old, ok := s.oauth.refresh[raw]
		if ok && old.rotated {
			s.oauth.replays++
			old.user.replays++
		}
		if !ok || old.revoked || old.clientID != id {
			return nil, &tokenError{http.StatusBadRequest, "invalid_grant", "the refresh token is not valid, or was used or revoked"}
		}
		old.revoked, old.rotated = true, true
		return s.tokenResponse(s.newGrantLocked(old.user, id, old.scopes)), nil
	case "":
		return nil, &tokenError{http.StatusBadRequest, "invalid_request", "grant_type is missing"}
	default:
		return nil, &tokenError{http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant_type %q is not supported", gt)}
	}
}

func (s *Server) tokenResponse(g *grant) *gen.OAuthToken {
	return &gen.OAuthToken{
		AccessToken:  g.access,
		TokenType:    "Bearer",
		ExpiresIn:    int(s.cfg.tokenLifetime / time.Second),
		RefreshToken: g.refresh,
	}
}
