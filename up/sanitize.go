package up

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/upapi/up-go/internal/loopback"
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

// redactSecrets removes each non-empty secret, in any encoding redactor
// knows, and every key=value credential from s.
func redactSecrets(s string, secrets ...string) string {
	return newRedactor(secrets...).text(s)
}

// redactor removes known secrets from text in every form a server's text
// or a URL may carry them: raw; percent-encoded, with hex digits in either
// case, and again with the percent sign itself encoded (%252B, %25252B);
// form-encoded, with + for a space; JSON-escaped (\uXXXX in either case,
// surrogate pairs, \/ and the other short escapes); and as HTML character
// references. Each character of a secret may take any of these forms on its
// own, so a secret encoded only in part is found too. It also removes every
// key=value credential (secretAssignment).
//
// It decodes the text once, twice and three times (decodeEscapes), each
// decoded byte knowing the span of text it came from, looks for the secrets
// in the text and in each decoding, and replaces the spans they came from.
// An escape just before a secret can swallow its first characters ("%2"
// before "AT-..." decodes to "*T-..."); so what is left of a secret once up
// to ten of its first characters are gone is removed too, with the escape
// before it, as long as eight characters are left. A secret that itself holds %, \
// or & may still be missed where the text around it splits one of its
// escapes; OAuth tokens and client secrets are written without them.
type redactor struct {
	secrets [][]byte // non-empty, distinct
	space   bool     // some secret has a space, which a form writes as +
}

// newRedactor returns a redactor for the non-empty secrets.
func newRedactor(secrets ...string) redactor {
	var r redactor
	for _, s := range secrets {
		if s != "" && !slices.ContainsFunc(r.secrets, func(b []byte) bool { return string(b) == s }) {
			r.secrets = append(r.secrets, []byte(s))
			r.space = r.space || strings.Contains(s, " ")
		}
	}
	return r
}

// text returns s without the redactor's secrets and key=value credentials.
func (r redactor) text(s string) string {
	if spans := r.find(s); len(spans) > 0 {
		s = replaceSpans(s, spans)
	}
	return redactAssignments(s)
}

// redactAssignments removes every key=value credential (secretAssignment)
// from s. Every name it matches ends in "token" or "secret", so a text
// without either is returned at once.
func redactAssignments(s string) string {
	lower := strings.ToLower(s)
	if !strings.Contains(lower, "token") && !strings.Contains(lower, "secret") {
		return s
	}
	return secretAssignment.ReplaceAllString(s, "${1}"+redacted)
}

// url renders u as safeURL does, without the redactor's secrets, which a
// server may have put in its path, its host or any query parameter.
func (r redactor) url(u *url.URL) string { return r.text(safeURL(u)) }

// span is a part of a text, [start, end).
type span struct{ start, end int }

// find returns the spans of s that hold a secret, in any order.
func (r redactor) find(s string) []span {
	if len(r.secrets) == 0 {
		return nil
	}
	var spans []span
	search := func(d decodedText) {
		for _, secret := range r.secrets {
			// The secret, and, for a long one, what is left of it when an
			// escape just before it swallowed its first characters ("%2"
			// before "AT-..." decodes to "*T-..."): that escape goes too.
			for q := 0; q == 0 || (q <= maxSwallowed && len(secret)-q >= minRemnant); q++ {
				part := secret[q:]
				for off := 0; ; {
					i := bytes.Index(d.b[off:], part)
					if i < 0 {
						break
					}
					first, last := off+i, off+i+len(part)-1
					if q > 0 && first > 0 {
						first--
					}
					spans = append(spans, span{int(d.from[first]), int(d.to[last])})
					off += i + 1
				}
			}
		}
	}
	for _, secret := range r.secrets {
		for off := 0; ; {
			i := strings.Index(s[off:], string(secret))
			if i < 0 {
				break
			}
			spans = append(spans, span{off + i, off + i + len(secret)})
			off += i + 1
		}
	}
	plus := []bool{false}
	if r.space {
		plus = append(plus, true)
	}
	for _, p := range plus {
		// Decode again and again, up to maxDecodings times, each time
		// mapping the decoded bytes back to the text they came from.
		var prev *decodedText
		text := s
		for range maxDecodings {
			if !strings.ContainsAny(text, "%\\&+") {
				break
			}
			d := decodeEscapes(text, p)
			if prev != nil {
				for k := range d.b {
					d.from[k], d.to[k] = prev.from[d.from[k]], prev.to[d.to[k]-1]
				}
			}
			search(d)
			if string(d.b) == text {
				break
			}
			prev, text = &d, string(d.b)
		}
	}
	return spans
}

const (
	// maxDecodings is how many times redactor decodes a text: a secret
	// percent-encoded three times over (%25252B) is still found.
	maxDecodings = 3
	// maxSwallowed is how many of a secret's first characters an escape
	// before it may swallow (&#x1234; with the secret's "1234;") and the
	// rest of it still be found, as long as minRemnant are left.
	maxSwallowed = 10
	minRemnant   = 8
)

// replaceSpans replaces each span of s, merging those that overlap or
// touch, with redacted.
func replaceSpans(s string, spans []span) string {
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	var b strings.Builder
	at := 0
	for i := 0; i < len(spans); {
		start, end := spans[i].start, spans[i].end
		for i++; i < len(spans) && spans[i].start <= end; i++ {
			end = max(end, spans[i].end)
		}
		b.WriteString(s[at:start])
		b.WriteString(redacted)
		at = end
	}
	b.WriteString(s[at:])
	return b.String()
}

// decodedText is a text with its escapes decoded: b[k] came from the text's
// bytes from[k] up to to[k].
type decodedText struct {
	b        []byte
	from, to []int32
}

// decodeEscapes decodes, once, the escapes of s: %XX, JSON's \uXXXX and
// two-character escapes, HTML character references, and + as a space when
// plus is set, as forms write it.
func decodeEscapes(s string, plus bool) decodedText {
	d := decodedText{b: make([]byte, 0, len(s)), from: make([]int32, 0, len(s)), to: make([]int32, 0, len(s))}
	for i := 0; i < len(s); {
		if c := s[i]; c != '%' && c != '+' && c != '\\' && c != '&' {
			d.b, d.from, d.to = append(d.b, c), append(d.from, int32(i)), append(d.to, int32(i+1))
			i++
			continue
		}
		buf, nb, n := decodeEscape(s[i:], plus)
		if n == 0 {
			buf[0], nb, n = s[i], 1, 1
		}
		for _, c := range buf[:nb] {
			d.b, d.from, d.to = append(d.b, c), append(d.from, int32(i)), append(d.to, int32(i+n))
		}
		i += n
	}
	return d
}

// decodeEscape decodes the escape at the start of s, returning its bytes
// (nb of buf) and its length n, or n = 0 when s does not start with one.
func decodeEscape(s string, plus bool) (buf [utf8.UTFMax]byte, nb, n int) {
	switch s[0] {
	case '%':
		if len(s) < 3 || !ishex(s[1]) || !ishex(s[2]) {
			return buf, 0, 0
		}
		buf[0] = unhex(s[1])<<4 | unhex(s[2])
		return buf, 1, 3
	case '+':
		if plus {
			buf[0] = ' '
			return buf, 1, 1
		}
	case '\\':
		r, n := decodeJSONEscape(s)
		return runeBytes(r, n)
	case '&':
		r, n := decodeHTMLReference(s)
		return runeBytes(r, n)
	}
	return buf, 0, 0
}

// runeBytes returns r as UTF-8 with the length n of its escape, or nothing
// when n is 0.
func runeBytes(r rune, n int) (buf [utf8.UTFMax]byte, nb, _ int) {
	if n == 0 {
		return buf, 0, 0
	}
	return buf, utf8.EncodeRune(buf[:], r), n
}

// jsonShort maps the letter of JSON's two-character escapes to the byte.
var jsonShort = map[byte]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// decodeJSONEscape decodes a JSON string escape at the start of s: \uXXXX
// (a surrogate pair as one character) or a two-character escape. It
// returns the character and the escape's length, 0 when there is none.
func decodeJSONEscape(s string) (rune, int) {
	if len(s) < 2 {
		return 0, 0
	}
	if c, ok := jsonShort[s[1]]; ok {
		return rune(c), 2
	}
	r, ok := hex4(s, 1)
	if !ok {
		return 0, 0
	}
	n := 6
	if utf16.IsSurrogate(r) {
		r2, ok := hex4(s[n:], 1)
		if !ok || s[n] != '\\' {
			return 0, 0
		}
		if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
			return 0, 0
		}
		n += 6
	}
	return r, n
}

// hex4 reads the four hex digits after "u" at s[i].
func hex4(s string, i int) (rune, bool) {
	if len(s) < i+5 || s[i] != 'u' {
		return 0, false
	}
	v, err := strconv.ParseUint(s[i+1:i+5], 16, 32)
	return rune(v), err == nil
}

// htmlNamed are the named references HTML escapers write.
var htmlNamed = map[string]byte{"amp": '&', "lt": '<', "gt": '>', "quot": '"', "apos": '\''}

// decodeHTMLReference decodes an HTML character reference at the start of
// s: &#NN;, &#xHH; or one of htmlNamed. It returns the character and the
// reference's length, 0 when there is none.
func decodeHTMLReference(s string) (rune, int) {
	end := strings.IndexByte(s[:min(len(s), 12)], ';')
	if end < 2 {
		return 0, 0
	}
	ref := s[1:end]
	if c, ok := htmlNamed[ref]; ok {
		return rune(c), end + 1
	}
	var v uint64
	var err error
	switch {
	case strings.HasPrefix(ref, "#x") || strings.HasPrefix(ref, "#X"):
		v, err = strconv.ParseUint(ref[2:], 16, 32)
	case strings.HasPrefix(ref, "#"):
		v, err = strconv.ParseUint(ref[1:], 10, 32)
	default:
		return 0, 0
	}
	if err != nil || v > unicode.MaxRune {
		return 0, 0
	}
	return rune(v), end + 1
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
	case u.Scheme == "http" && loopback.Is(u.Hostname()):
		return nil
	}
	return fmt.Errorf("%w: %s://%s", ErrInsecureTransport, u.Scheme, u.Host)
}
