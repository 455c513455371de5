package up

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	// maxTextInError bounds server-supplied text copied into an error message.
	maxTextInError = 200
	// redacted replaces a secret removed from server-supplied text.
	redacted = "[redacted]"
)

// secretParams are query and form parameter names whose values are credentials.
var secretParams = map[string]bool{
	"access_token":  true,
	"refresh_token": true,
	"client_secret": true,
	"code":          true,
	"secret":        true,
}

// secretAssignment finds credentials written as key=value or "key": "value",
// so that an echoed request cannot leak one into an error. The authorization
// code is not matched by name (UP envelopes have a numeric "code"); callers
// pass its value to redactSecrets instead.
var secretAssignment = regexp.MustCompile(`(?i)\b((?:access_token|refresh_token|client_secret|secret)\b["']?\s*[:=]\s*["']?)[^"'&\s,;}]+`)

// redactSecrets removes each non-empty secret and every key=value credential from s.
func redactSecrets(s string, secrets ...string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, redacted)
		}
	}
	return secretAssignment.ReplaceAllString(s, "${1}"+redacted)
}

// cleanText makes server-supplied text safe to print on one line: control
// characters and invalid UTF-8 become spaces and the result is cut to limit runes.
func cleanText(s string, limit int) string {
	var b strings.Builder
	n := 0
	for i, r := range s {
		if n == limit {
			b.WriteString("…")
			break
		}
		if (r == utf8.RuneError && isInvalidAt(s, i)) || unicode.IsControl(r) {
			r = ' '
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

// isInvalidAt reports whether s holds an invalid UTF-8 byte at i rather than
// a genuine U+FFFD.
func isInvalidAt(s string, i int) bool {
	_, size := utf8.DecodeRuneInString(s[i:])
	return size == 1
}

// safeURL renders u without user information, fragment, or query parameters
// that carry credentials, keeping the other parameters in their order.
func safeURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	c.Fragment, c.RawFragment = "", ""
	c.RawQuery = stripSecretParams(c.RawQuery)
	c.ForceQuery = false
	return c.String()
}

// scrubURLError removes credentials from the URL quoted by a *url.Error,
// which net/http returns for every failed request.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			ue.URL = safeURL(u)
		} else {
			ue.URL = "(unparsable URL)"
		}
	}
	return err
}

// stripSecretParams drops credential parameters from a raw query string.
func stripSecretParams(raw string) string {
	if raw == "" {
		return ""
	}
	var kept []string
	for part := range strings.SplitSeq(raw, "&") {
		key, _, _ := strings.Cut(part, "=")
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
		if !secretParams[strings.ToLower(key)] {
			kept = append(kept, part)
		}
	}
	return strings.Join(kept, "&")
}

// checkSecure refuses a URL that would carry credentials in clear text:
// anything but https, except plain http to a loopback host.
func checkSecure(u *url.URL) error {
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("%w: %s://%s", ErrInsecureTransport, u.Scheme, u.Host)
}

// isLoopback reports whether host names the local machine: localhost,
// 127.0.0.0/8 or ::1.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
