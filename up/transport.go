package up

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"golang.org/x/oauth2"
)

// maxRenewals is how many times one call refreshes the token after a 401,
// as the Python SDK did: at worst three API requests and two refreshes. A
// request that is not idempotent is resent once at most (maxWriteRenewals):
// a 401 says UP did not process it, but a third attempt would only risk a
// duplicate for a server that answers 401 whatever the token.
const (
	maxRenewals      = 2
	maxWriteRenewals = 1
)

// transport attaches the user's token and the User-Agent to each request
// for the API's host and, when the API answers 401 Unauthorized, asks the
// credentials for a newer token and resends. It knows the credentials
// only: where the token comes from, how it is refreshed and stored is
// theirs to decide. Requests for any other host, such as the target of a
// redirect, go out without the token.
type transport struct {
	creds *creds
	base  http.RoundTripper
	ua    string // the User-Agent of every request, Config.userAgent
	// scrub removes the Client's secrets from an error of the
	// credentials (a refused refresh quoting a token), which a caller of
	// Client.HTTPClient receives as net/http wraps it, unscrubbed.
	scrub func(error) error

	apiHost   string // the BaseURL's host, as hostKey renders it
	apiScheme string // the BaseURL's scheme and host as written, for a
	apiRaw    string // quick test before rendering the request's host key

	auth atomic.Pointer[authHeader] // the Authorization value last built

	// owned are the Accept values of the requests the Client builds for
	// itself (Client.newRequest), by the address of their one element: a
	// request whose Accept is one of these slices is the Client's own.
	owned [2]*string
}

// authHeader is the Authorization value for an access token, kept so that
// requests sent with the same token do not each build it anew.
type authHeader struct {
	access string
	value  string
}

// newTransport returns a transport for the API cfg names that sends with
// the tokens of creds through base.
func newTransport(cfg *Config, creds *creds, base http.RoundTripper) *transport {
	t := &transport{creds: creds, base: base, ua: cfg.userAgent()}
	if u, err := url.Parse(cfg.baseURL()); err == nil {
		t.apiHost, t.apiScheme, t.apiRaw = hostKey(u), u.Scheme, u.Host
	}
	return t
}

// forAPI reports whether u names the API's host, as hostKey renders it. A
// URL with the BaseURL's scheme and host written the same way does without
// rendering its key.
func (t *transport) forAPI(u *url.URL) bool {
	if u.Host == t.apiRaw && u.Scheme == t.apiScheme {
		return true
	}
	return hostKey(u) == t.apiHost
}

// RoundTrip sends req with the current token. After a 401 it gets a newer
// token and resends, when the body can be sent again, at most maxRenewals
// times for an idempotent request and maxWriteRenewals for any other;
// otherwise the 401 response is returned as it is.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.forAPI(req.URL) {
		return t.send(req, req.Body, nil)
	}
	ctx := req.Context()
	if err := checkSecure(req.URL); err != nil {
		closeBody(req)
		return nil, err
	}
	t.creds.retryPendingSave(ctx)
	tok, err := t.creds.token(ctx)
	if err != nil {
		closeBody(req)
		return nil, t.scrubbed(err)
	}
	renewals := maxRenewals
	if !idempotent(req.Method) {
		renewals = maxWriteRenewals
	}
	resp, err := t.send(req, req.Body, tok)
	for n := 0; err == nil && resp.StatusCode == http.StatusUnauthorized && n < renewals && replayable(req); n++ {
		detachBody(resp)
		next, rerr := t.creds.renew(ctx, tok.AccessToken)
		if errors.Is(rerr, errNoRefreshToken) || errors.Is(rerr, errSourceUnchanged) {
			return resp, nil
		}
		if rerr != nil {
			drainClose(resp)
			return nil, t.scrubbed(rerr)
		}
		body, berr := replayBody(req)
		drainClose(resp)
		if berr != nil {
			return nil, berr
		}
		tok = next
		resp, err = t.send(req, body, tok)
	}
	return resp, err
}

// scrubbed returns err without the Client's secrets.
func (t *transport) scrubbed(err error) error {
	if t.scrub == nil {
		return err
	}
	return t.scrub(err)
}

// maxRefusedBody bounds the 401 body detachBody keeps in memory.
const maxRefusedBody = 64 << 10

// detachBody reads resp's body into memory and closes it, so that its
// connection is free while the token is refreshed: the token endpoint is
// usually on the API's host, and a transport that limits connections per
// host (MaxConnsPerHost) would otherwise deadlock once every connection
// held a 401 whose caller waits for that refresh. resp keeps the same
// content, in case it is returned after all. A body longer than
// maxRefusedBody, or one that fails to read, is kept as it is, behind what
// was read of it.
func detachBody(resp *http.Response) {
	orig := resp.Body
	b, err := io.ReadAll(io.LimitReader(orig, maxRefusedBody+1))
	if err == nil && len(b) <= maxRefusedBody {
		_ = orig.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		return
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), orig), orig}
}

// send passes a copy of req with body, the User-Agent and, unless tok is
// nil, the bearer token to the base transport. The copy shares everything
// with req but its header, which it replaces, as http.RoundTripper allows.
// A request the Client built for itself is not copied (sendOwned).
func (t *transport) send(req *http.Request, body io.ReadCloser, tok *oauth2.Token) (*http.Response, error) {
	if t.owns(req) {
		return t.sendOwned(req, body, tok)
	}
	r := new(http.Request)
	*r = *req
	r.Body = body
	ua := t.ua
	if own := req.Header.Get("User-Agent"); own != "" && !strings.Contains(own, ua) {
		ua = own + " " + ua
	}
	auth := ""
	if tok != nil {
		auth = t.bearer(tok.AccessToken)
	}
	r.Header = sendHeader(req.Header, ua, auth, tok != nil)
	return t.base.RoundTrip(r)
}

// owns reports whether req is one the Client built for itself: its Accept
// is one of the Client's own slices, which nothing else holds.
func (t *transport) owns(req *http.Request) bool {
	v := req.Header["Accept"]
	return len(v) == 1 && t.owned[0] != nil && (&v[0] == t.owned[0] || &v[0] == t.owned[1])
}

// sendOwned sends a request the Client built for itself: nobody else holds
// it or its header (http.Client copies the header it keeps for redirects
// before the request reaches the transport), so the body, the User-Agent
// and the token are set in it in place, where send would copy the request
// and its header. Each request gets values of its own.
func (t *transport) sendOwned(req *http.Request, body io.ReadCloser, tok *oauth2.Token) (*http.Response, error) {
	req.Body = body
	values := make([]string, 2)
	values[0] = t.ua
	req.Header["User-Agent"] = values[0:1:1]
	if tok != nil {
		values[1] = t.bearer(tok.AccessToken)
		req.Header["Authorization"] = values[1:2:2]
	} else {
		delete(req.Header, "Authorization")
	}
	return t.base.RoundTrip(req)
}

// bearer returns the Authorization value for the access token, reusing the
// last one built when the token is the same.
func (t *transport) bearer(access string) string {
	if a := t.auth.Load(); a != nil && a.access == access {
		return a.value
	}
	a := &authHeader{access: access, value: "Bearer " + access}
	t.auth.Store(a)
	return a.value
}

// sendHeader returns a copy of h whose User-Agent is ua and whose
// Authorization is auth when withAuth, and absent otherwise: what h.Clone
// followed by Set("User-Agent", ua), Del("Authorization") and, when withAuth,
// Set("Authorization", auth) gives, in two allocations instead of four.
func sendHeader(h http.Header, ua, auth string, withAuth bool) http.Header {
	n := 2
	for _, vv := range h {
		n += len(vv)
	}
	values := make([]string, n)
	out := make(http.Header, len(h)+2)
	for k, vv := range h {
		if vv == nil {
			out[k] = nil // as Header.Clone keeps it
			continue
		}
		m := copy(values, vv)
		out[k] = values[:m:m]
		values = values[m:]
	}
	values[0] = ua
	out["User-Agent"] = values[0:1:1]
	if withAuth {
		values[1] = auth
		out["Authorization"] = values[1:2:2]
	} else {
		delete(out, "Authorization")
	}
	return out
}

// hostKey renders u's host in lower case without the scheme's default
// port, so that equal hosts compare equal however they are written.
func hostKey(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" || (port == "443" && u.Scheme == "https") || (port == "80" && u.Scheme == "http") {
		return host
	}
	return net.JoinHostPort(host, port)
}

// idempotent reports whether a request with method may be sent twice with
// the effect of once (RFC 9110 §9.2.2): GET, HEAD, OPTIONS, TRACE, PUT and
// DELETE. POST, PATCH and anything else are not.
func idempotent(method string) bool {
	switch method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// replayable reports whether req's body can be sent again.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// replayBody returns a fresh copy of req's body for a resend.
func replayBody(req *http.Request) (io.ReadCloser, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req.Body, nil
	}
	return req.GetBody()
}

// closeBody closes a request body the transport will not send, as
// http.RoundTripper requires.
func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// idleCloser is what http.Client.CloseIdleConnections looks for in a
// transport.
type idleCloser interface{ CloseIdleConnections() }

// CloseIdleConnections closes the idle connections of the transport
// underneath, so that http.Client.CloseIdleConnections reaches it.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(idleCloser); ok {
		c.CloseIdleConnections()
	}
}
