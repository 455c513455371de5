package up

import (
	"errors"
	"net/url"
)

// secrets returns what the Client's errors must never show: the client
// secret, the tokens the Client holds, and the access token it last sent,
// which it does not hold when its tokens come from a TokenSource.
func (c *Client) secrets() []string {
	out := []string{c.cfg.ClientSecret}
	c.mu.Lock()
	if c.tok != nil {
		out = append(out, c.tok.AccessToken, c.tok.RefreshToken)
	}
	c.mu.Unlock()
	rt := c.hc.Transport
	if r, ok := rt.(*retryTransport); ok {
		rt = r.next
	}
	if t, ok := rt.(*transport); ok {
		if a := t.auth.Load(); a != nil {
			out = append(out, a.access)
		}
	}
	return out
}

// scrub removes the Client's secrets from err (see redactor.scrub).
func (c *Client) scrub(err error) error {
	if err == nil {
		return nil
	}
	return newRedactor(c.secrets()...).scrub(err)
}

// scrub removes the redactor's secrets, in every encoding, from the text
// of err: from the fields of this package's errors, which it changes in
// place (so that errors.As still finds them), and from a *url.Error's URL.
// Any other error whose text still shows a secret is replaced by one that
// says the same without it and still matches, with errors.Is, what the
// original matched.
func (r redactor) scrub(err error) error {
	switch e := err.(type) {
	case nil:
		return nil
	case *url.Error:
		if u, perr := url.Parse(e.URL); perr == nil {
			e.URL = r.url(u)
		} else {
			e.URL = "(unparsable URL)"
		}
		e.Err = r.scrub(e.Err)
		return e
	case *APIError:
		r.apiError(e)
		return e
	case *RateLimitError:
		r.apiError(e.APIError)
		return e
	case *DecodeError:
		e.URL = r.text(e.URL)
		e.Err = r.scrub(e.Err)
		return e
	case *ResponseTooLargeError:
		e.URL = r.text(e.URL)
		return e
	case *NextLinkError:
		e.Next, e.Reason = r.text(e.Next), r.text(e.Reason)
		return e
	case *TokenError:
		e.Code, e.Description = r.text(e.Code), r.text(e.Description)
		return e
	case *AuthorizationError:
		e.Code, e.Description, e.URI = r.text(e.Code), r.text(e.Description), r.text(e.URI)
		return e
	case *StorageError:
		e.Err = r.scrub(e.Err)
		return e
	case *redactedError:
		return e
	}
	if inner := errors.Unwrap(err); inner != nil {
		r.scrub(inner) // this package's errors inside are fixed in place
	}
	if msg := err.Error(); r.text(msg) != msg {
		return &redactedError{msg: r.text(msg), err: err}
	}
	return err
}

// apiError removes the redactor's secrets from e's URL, body and meta.
func (r redactor) apiError(e *APIError) {
	if e == nil {
		return
	}
	e.URL = r.text(e.URL)
	if e.Body != nil {
		e.Body = []byte(r.text(string(e.Body)))
	}
	if m := e.Meta; m != nil {
		for _, f := range []*string{&m.UserXID, &m.Message, &m.ErrorType, &m.ErrorDetail, &m.ErrorUserMsg} {
			*f = r.text(*f)
		}
	}
}

// redactedError stands for an error whose text showed a secret: it says
// the same without the secret, and matches with errors.Is what the
// original matched, but does not unwrap to it.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

// Is reports whether the original error matches target.
func (e *redactedError) Is(target error) bool { return errors.Is(e.err, target) }
