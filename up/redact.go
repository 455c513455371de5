package up

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
)

// secrets returns what the Client's errors must never show: the client
// secret, the tokens the Client holds, and the access token it last sent,
// which it does not hold when its tokens come from a TokenSource.
func (c *Client) secrets() []string {
	out := []string{c.cfg.ClientSecret}
	if _, tok := c.creds.held(); tok != nil {
		out = append(out, tok.AccessToken, tok.RefreshToken)
	}
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
// of err: from the fields of this package's errors in its chain, which it
// changes in place (so that errors.As still finds them), and from a
// *url.Error's URL. If the text still shows a secret (a foreign error
// quoting one), err is replaced by an error that says the same without it
// and still matches, with errors.Is, what err matched.
func (r redactor) scrub(err error) error {
	if err == nil {
		return nil
	}
	var (
		ue *url.Error
		ae *APIError
		de *DecodeError
		tl *ResponseTooLargeError
		ne *NextLinkError
		te *TokenError
		az *AuthorizationError
		se *StorageError
	)
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			ue.URL = r.url(u)
		} else {
			ue.URL = "(unparsable URL)"
		}
		ue.Err = r.scrub(ue.Err)
	}
	if errors.As(err, &ae) {
		r.apiError(ae)
	}
	if errors.As(err, &de) {
		de.URL = r.text(de.URL)
		de.Err = r.scrub(de.Err)
	}
	if errors.As(err, &tl) {
		tl.URL = r.text(tl.URL)
	}
	if errors.As(err, &ne) {
		ne.Next, ne.Reason = r.text(ne.Next), r.text(ne.Reason)
	}
	if errors.As(err, &te) {
		te.Code, te.Description = r.text(te.Code), r.text(te.Description)
	}
	if errors.As(err, &az) {
		az.Code, az.Description, az.URI = r.text(az.Code), r.text(az.Description), r.text(az.URI)
	}
	if errors.As(err, &se) {
		se.Err = r.scrub(se.Err)
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

// formatSafe writes s, a value's String without its secrets, for any verb
// and flags: %q, %x and %X apply to s, every other verb prints it as %s
// would. The types that hold a secret format themselves with it, so that
// no verb (%+v and %#v included) prints a field that String leaves out.
func formatSafe(f fmt.State, verb rune, s string) {
	switch verb {
	case 'q', 'x', 'X':
	default:
		verb = 's'
	}
	_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), s)
}

// present describes a secret without showing it: whether there is one.
func present(secret string) string {
	if secret == "" {
		return ""
	}
	return redacted
}

// Format prints the Config as String does, whatever the verb: never the
// client secret.
func (c Config) Format(f fmt.State, verb rune) { formatSafe(f, verb, c.String()) }

// LogValue logs the Config without its client secret.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("client_id", c.ClientID),
		slog.String("client_secret", present(c.ClientSecret)),
		slog.String("redirect_url", c.RedirectURL),
		slog.String("scopes", c.Scopes.requested()),
		slog.String("base_url", c.baseURL()),
	)
}

// MarshalJSON encodes the Config as LogValue logs it, without its client
// secret, so that a logger that encodes values as JSON cannot leak it.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{
		"client_id":     c.ClientID,
		"client_secret": present(c.ClientSecret),
		"redirect_url":  c.RedirectURL,
		"scopes":        c.Scopes.requested(),
		"base_url":      c.baseURL(),
	})
}

// Format prints the Client as String does, whatever the verb: never a
// token or the client secret.
func (c *Client) Format(f fmt.State, verb rune) { formatSafe(f, verb, c.String()) }

// LogValue logs the Client as String describes it: without its token or
// the client secret.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

// String describes the handler without its client secret.
func (h *WebhookHandler) String() string {
	return fmt.Sprintf("up.WebhookHandler{ClientID: %q, ClientSecret: %q}", h.ClientID, present(h.ClientSecret))
}

// GoString is String, so that %#v cannot print the client secret.
func (h *WebhookHandler) GoString() string { return h.String() }

// Format prints the handler as String does, whatever the verb.
func (h *WebhookHandler) Format(f fmt.State, verb rune) { formatSafe(f, verb, h.String()) }

// LogValue logs the handler without its client secret.
func (h *WebhookHandler) LogValue() slog.Value {
	return slog.GroupValue(slog.String("client_id", h.ClientID), slog.String("client_secret", present(h.ClientSecret)))
}

// MarshalJSON encodes the handler as LogValue logs it.
func (h *WebhookHandler) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"client_id": h.ClientID, "client_secret": present(h.ClientSecret)})
}

// Format prints the storage as String does, whatever the verb: never the
// token.
func (m *MemoryStorage) Format(f fmt.State, verb rune) { formatSafe(f, verb, m.String()) }

// LogValue logs whether the storage holds a token, not the token.
func (m *MemoryStorage) LogValue() slog.Value { return slog.StringValue(m.String()) }

// Format prints the store as String does, whatever the verb: never a token.
func (s *MemoryStore) Format(f fmt.State, verb rune) { formatSafe(f, verb, s.String()) }

// LogValue logs how many tokens the store holds, not the tokens.
func (s *MemoryStore) LogValue() slog.Value { return slog.StringValue(s.String()) }
