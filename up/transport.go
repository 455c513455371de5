package up

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// maxRenewals is how many times one call refreshes the token after a 401,
// as the Python SDK did: at worst three API requests and two refreshes.
const maxRenewals = 2

// transport attaches the Client's token and User-Agent to each request for
// the API's host and refreshes and resends when the API answers 401
// Unauthorized. Requests for any other host, such as the target of a
// redirect, go out without the token.
type transport struct {
	cl      *Client
	base    http.RoundTripper
	apiHost string // the BaseURL's host, as hostKey renders it
}

// RoundTrip sends req with the current token. After a 401 it gets a newer
// token and resends, at most maxRenewals times, when the body can be sent
// again; otherwise the 401 response is returned as it is.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if hostKey(req.URL) != t.apiHost {
		return t.send(req, req.Body, nil)
	}
	ctx := req.Context()
	if err := checkSecure(req.URL); err != nil {
		closeBody(req)
		return nil, err
	}
	t.cl.retryPendingSave(ctx)
	tok, err := t.cl.requestToken(ctx)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.send(req, req.Body, tok)
	for n := 0; err == nil && resp.StatusCode == http.StatusUnauthorized && n < maxRenewals && replayable(req); n++ {
		next, rerr := t.cl.renew(ctx, tok.AccessToken)
		if errors.Is(rerr, errNoRefreshToken) || errors.Is(rerr, errSourceUnchanged) {
			return resp, nil
		}
		if rerr != nil {
			drainClose(resp)
			return nil, rerr
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

// send passes a copy of req with body, the User-Agent and, unless tok is
// nil, the bearer token to the base transport.
func (t *transport) send(req *http.Request, body io.ReadCloser, tok *oauth2.Token) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Body = body
	ua := t.cl.cfg.userAgent()
	if own := r.Header.Get("User-Agent"); own != "" && !strings.Contains(own, ua) {
		ua = own + " " + ua
	}
	r.Header.Set("User-Agent", ua)
	r.Header.Del("Authorization")
	if tok != nil {
		r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	}
	return t.base.RoundTrip(r)
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
