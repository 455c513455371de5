package uptest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
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
	userXID         string
	scopes          []string
	scopeSet        map[string]bool
	expiry          time.Time
	revoked         bool
}

type authCode struct {
	clientID    string
	redirectURI string
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
}

func newOAuthState() *oauthState {
	return &oauthState{
		codes:         make(map[string]*authCode),
		access:        make(map[string]*grant),
		refresh:       make(map[string]*grant),
		tokenRequests: make(map[string]int),
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

// newGrantLocked makes a new grant; the caller holds s.oauth.mu.
func (s *Server) newGrantLocked(clientID string, scopes []string) *grant {
	g := &grant{
		access:   randomToken(),
		refresh:  randomToken(),
		clientID: clientID,
		userXID:  s.store.user.XID,
		scopes:   slices.Clone(scopes),
		scopeSet: make(map[string]bool, len(scopes)),
		expiry:   s.now().Add(s.cfg.tokenLifetime),
	}
	for _, sc := range scopes {
		g.scopeSet[sc] = true
	}
	s.oauth.access[g.access] = g
	s.oauth.refresh[g.refresh] = g
	return g
}

// MintToken returns a token for the server's user and client without the
// authorization flow, holding scopes, or every scope the spec declares when
// none are given. It carries a refresh token and the expiry the token
// endpoint would give. MintToken panics on a scope the spec does not declare.
func (s *Server) MintToken(scopes ...string) *oauth2.Token {
	if len(scopes) == 0 {
		scopes = s.contract.known
	}
	for _, sc := range scopes {
		if !slices.Contains(s.contract.known, sc) {
			panic(fmt.Sprintf("uptest: MintToken: unknown scope %q", sc))
		}
	}
	s.oauth.mu.Lock()
	g := s.newGrantLocked(s.ClientID, scopes)
	s.oauth.mu.Unlock()
	return s.oauthToken(g)
}

func (s *Server) oauthToken(g *grant) *oauth2.Token {
	t := &oauth2.Token{AccessToken: g.access, TokenType: "Bearer", RefreshToken: g.refresh, Expiry: g.expiry}
	return t.WithExtra(map[string]any{"expires_in": int(s.cfg.tokenLifetime / time.Second)})
}

// ExpireAccessTokens makes every access token issued so far expired, as if
// its lifetime had passed. Refresh tokens keep working.
func (s *Server) ExpireAccessTokens() {
	past := s.now().Add(-time.Second)
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	for _, g := range s.oauth.access {
		g.expiry = past
	}
}

// RevokeAll revokes every access and refresh token issued so far, as
// Jawbone did to all tokens after Heartbleed.
func (s *Server) RevokeAll() {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	for _, g := range s.oauth.access {
		g.revoked = true
	}
}

// TokenRequests counts the requests the token endpoint received, by their
// grant_type ("authorization_code", "refresh_token", or whatever else was
// sent, "" when none), faulted and refused requests included.
func (s *Server) TokenRequests() map[string]int {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	out := make(map[string]int, len(s.oauth.tokenRequests))
	for k, v := range s.oauth.tokenRequests {
		out[k] = v
	}
	return out
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

// revokeUser revokes every token of user for client.
func (s *Server) revokeUser(userXID, clientID string) {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	for _, g := range s.oauth.access {
		if g.userXID == userXID && g.clientID == clientID {
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

// serveAuthorize is the authorization endpoint: it checks the client and
// redirect URI, asks for consent, and sends the user back with a code.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		authPage(w, http.StatusMethodNotAllowed, "The authorization endpoint answers GET requests only.")
		return
	}
	q := r.URL.Query()
	if q.Get("client_id") != s.ClientID {
		authPage(w, http.StatusBadRequest, "Unknown client_id: no application is registered with it.")
		return
	}
	raw := q.Get("redirect_uri")
	if raw == "" {
		authPage(w, http.StatusBadRequest, "The request has no redirect_uri.")
		return
	}
	redirect, err := url.Parse(raw)
	if err != nil || !redirect.IsAbs() || redirect.Fragment != "" {
		authPage(w, http.StatusBadRequest, "The redirect_uri is not an absolute URI without a fragment.")
		return
	}
	if len(s.cfg.redirectPrefixes) > 0 && !slices.ContainsFunc(s.cfg.redirectPrefixes, func(p string) bool { return strings.HasPrefix(raw, p) }) {
		authPage(w, http.StatusBadRequest, "The redirect_uri does not start with any URI registered for the application.")
		return
	}
	state := q.Get("state")
	back := func(params url.Values) {
		if state != "" {
			params.Set("state", state)
		}
		u := *redirect
		merged := u.Query()
		for k, v := range params {
			merged[k] = v
		}
		u.RawQuery = merged.Encode()
		w.Header().Set("Location", u.String())
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusFound)
	}
	if q.Get("response_type") != "code" {
		back(url.Values{"error": {"unsupported_response_type"}, "error_description": {"response_type must be code"}})
		return
	}
	scopes := []string{}
	for _, sc := range strings.Fields(q.Get("scope")) {
		if !slices.Contains(s.contract.known, sc) {
			back(url.Values{"error": {"invalid_scope"}, "error_description": {fmt.Sprintf("unknown scope %q", sc)}})
			return
		}
		if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	if len(scopes) == 0 {
		scopes = []string{"basic_read"}
	}
	if s.cfg.consent != nil && !s.cfg.consent(slices.Clone(scopes)) {
		back(url.Values{"error": {"access_denied"}, "error_description": {"The user denied your request."}})
		return
	}
	code := randomToken()
	s.oauth.mu.Lock()
	s.oauth.codes[code] = &authCode{clientID: s.ClientID, redirectURI: raw, scopes: scopes, expires: s.now().Add(codeLifetime)}
	s.oauth.mu.Unlock()
	back(url.Values{"code": {code}})
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
		body := gen.OAuthError{Error: terr.code, ErrorDescription: &terr.description}
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
		return s.tokenResponse(s.newGrantLocked(id, c.scopes)), nil
	case "refresh_token":
		raw := p.Get("refresh_token")
		if raw == "" {
			return nil, &tokenError{http.StatusBadRequest, "invalid_request", "refresh_token is missing"}
		}
		old, ok := s.oauth.refresh[raw]
		if !ok || old.revoked || old.clientID != id {
			return nil, &tokenError{http.StatusBadRequest, "invalid_grant", "the refresh token is not valid, or was used or revoked"}
		}
		old.revoked = true
		return s.tokenResponse(s.newGrantLocked(id, old.scopes)), nil
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
		ExpiresIn:    ptr(int(s.cfg.tokenLifetime / time.Second)),
		RefreshToken: ptr(g.refresh),
	}
}
