package up

import (
	"errors"
	"net/http"
	"net/url"
)

// maxRedirects is how many redirects a read follows when Config.HTTPClient
// has no redirect policy of its own, as net/http's default does.
const maxRedirects = 10

// checkRedirect returns the Client's redirect policy, which comes before
// next, the policy of Config.HTTPClient (nil: net/http's default, at most
// ten redirects):
//
//   - A write (any method but GET and HEAD) is never redirected: UP may have
//     processed it, and a 307 or 308 would send it again. The redirect is
//     returned as it is, and the call fails with an *APIError of its status.
//   - A read redirected on the API's host is followed only to a URL under
//     the base path, in normal form, as a next link must be (see
//     resolveNext): the token goes with it. Anywhere else on that host the
//     redirect is returned as it is.
//   - A read redirected to another host is followed without the token,
//     which the transport sends to the API's host only.
func (c *Client) checkRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	base, baseErr := url.Parse(c.cfg.baseURL())
	return func(req *http.Request, via []*http.Request) error {
		if m := via[0].Method; m != http.MethodGet && m != http.MethodHead {
			return http.ErrUseLastResponse
		}
		if baseErr != nil || hostKey(req.URL) == hostKey(base) {
			u, err := resolveNext(c.cfg.baseURL(), req.URL.String())
			if err != nil || u.EscapedPath() != req.URL.EscapedPath() {
				return http.ErrUseLastResponse
			}
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= maxRedirects {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}
