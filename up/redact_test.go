package up

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/oauth2"
)

// Secrets of the redaction tests. Each has characters that the encodings
// change: a space, +, / and =.
const (
	leakClientSecret = "CS-s3cr3t Zq9+Xy/Wv=Kd"
	leakAccess       = "AT-4cc3ss+Tok/En=Zz~9"
	leakRefresh      = "RT-r3fr3sh+Tok/En=Yy_8"
	leakCode         = "AC-c0de+Gr4nt/Xx=Q"
)

// encoding is a form in which a server may quote a secret.
type encoding struct {
	name string
	enc  func(string) string
}

// encodings are the forms the redaction tests quote secrets in.
var encodings = []encoding{
	{"raw", func(s string) string { return s }},
	{"query", url.QueryEscape},
	{"query, lower-case hex", func(s string) string { return lowerHex(url.QueryEscape(s)) }},
	{"path", url.PathEscape},
	{"every byte", func(s string) string { return percentAll(s, "%%%02X") }},
	{"every byte, lower-case hex", func(s string) string { return percentAll(s, "%%%02x") }},
	{"query twice", func(s string) string { return url.QueryEscape(url.QueryEscape(s)) }},
	{"query three times", func(s string) string { return url.QueryEscape(url.QueryEscape(url.QueryEscape(s))) }},
	{"every byte twice, lower-case hex", func(s string) string { return percentAll(percentAll(s, "%%%02x"), "%%%02x") }},
	{"JSON", func(s string) string { b, _ := json.Marshal(s); return string(b[1 : len(b)-1]) }},
	{"JSON with \\/", func(s string) string { return strings.ReplaceAll(s, "/", `\/`) }},
	{"JSON \\u, upper-case hex", func(s string) string { return jsonEscapeAll(s, `\u%04X`) }},
	{"JSON \\u, lower-case hex", func(s string) string { return jsonEscapeAll(s, `\u%04x`) }},
	{"HTML references", func(s string) string { return runeAll(s, "&#%d;") }},
	{"HTML hex references", func(s string) string { return runeAll(s, "&#x%x;") }},
	{"query, then JSON", func(s string) string { b, _ := json.Marshal(url.QueryEscape(s)); return string(b[1 : len(b)-1]) }},
	{"mixed", mixed},
}

// lowerHex writes the hex digits of s's percent escapes in lower case.
func lowerHex(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			b.WriteString(strings.ToLower(s[i : i+3]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// percentAll writes every byte of s with format.
func percentAll(s, format string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, format, s[i])
	}
	return b.String()
}

// runeAll writes every character of s with format.
func runeAll(s, format string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, format, r)
	}
	return b.String()
}

// jsonEscapeAll writes every character of s as a JSON \u escape with
// format, characters beyond the Basic Multilingual Plane as surrogate pairs.
func jsonEscapeAll(s, format string) string {
	var b strings.Builder
	for _, r := range s {
		if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
			fmt.Fprintf(&b, format+format, r1, r2)
			continue
		}
		fmt.Fprintf(&b, format, r)
	}
	return b.String()
}

// mixed writes the bytes of s in turn raw, percent-encoded in upper case,
// percent-encoded in lower case, JSON-escaped (ASCII only; others
// percent-encoded) and form-encoded.
func mixed(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch i % 5 {
		case 0:
			b.WriteByte(s[i])
		case 1:
			fmt.Fprintf(&b, "%%%02X", s[i])
		case 2:
			fmt.Fprintf(&b, "%%%02x", s[i])
		case 3:
			if s[i] < utf8.RuneSelf {
				fmt.Fprintf(&b, `\u%04x`, s[i]) // JSON escapes characters, not bytes
			} else {
				fmt.Fprintf(&b, "%%%02x", s[i])
			}
		default:
			b.WriteString(url.QueryEscape(s[i : i+1]))
		}
	}
	return b.String()
}

// urlSafe reports whether s may stand in a URL's path or query as it is.
func urlSafe(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r >= 0x7f || strings.ContainsRune(`"#<>\^`+"`{|}&", r)
	})
}

// leaks returns the names of the encodings in which text shows secret.
func leaks(text, secret string) []string {
	var found []string
	for _, e := range encodings {
		if strings.Contains(text, e.enc(secret)) {
			found = append(found, e.name)
		}
	}
	return found
}

// errorTexts returns every text err shows: its message, and the fields of
// this package's errors in its chain.
func errorTexts(err error) []string {
	texts := []string{err.Error(), fmt.Sprintf("%+v", err)}
	var (
		ae *APIError
		de *DecodeError
		te *TokenError
		ne *NextLinkError
		ue *url.Error
		rl *ResponseTooLargeError
		az *AuthorizationError
	)
	if errors.As(err, &ae) {
		texts = append(texts, ae.URL, string(ae.Body))
		if m := ae.Meta; m != nil {
			texts = append(texts, m.UserXID, m.Message, m.ErrorType, m.ErrorDetail, m.ErrorUserMsg)
		}
	}
	if errors.As(err, &de) {
		texts = append(texts, de.URL)
	}
	if errors.As(err, &te) {
		texts = append(texts, te.Code, te.Description)
	}
	if errors.As(err, &ne) {
		texts = append(texts, ne.Next, ne.Reason)
	}
	if errors.As(err, &ue) {
		texts = append(texts, ue.URL)
	}
	if errors.As(err, &rl) {
		texts = append(texts, rl.URL)
	}
	if errors.As(err, &az) {
		texts = append(texts, az.Code, az.Description, az.URI)
	}
	return texts
}

// leakServer is a fake UP whose answers each case sets.
type leakServer struct {
	*httptest.Server
	mu     sync.Mutex
	handle http.HandlerFunc
}

func newLeakServer(t *testing.T) *leakServer {
	t.Helper()
	s := &leakServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		h := s.handle
		s.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *leakServer) set(h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handle = h
}

// client returns a Client of s with the leak tests' credentials.
func (s *leakServer) client(maxBody int64) *Client {
	cfg := &Config{
		ClientID: testClientID, ClientSecret: leakClientSecret, RedirectURL: testRedirectURL,
		BaseURL: s.URL + apiPrefix, TokenURL: s.URL + tokenPath, MaxResponseBytes: maxBody,
	}
	return cfg.Client(&oauth2.Token{AccessToken: leakAccess, RefreshToken: leakRefresh, TokenType: "Bearer"})
}

// closedPort returns the address of a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// page answers a page of moves whose next link is next.
func page(w http.ResponseWriter, next string) {
	link, _ := json.Marshal(next)
	writeBody(w, http.StatusOK, `{"meta":{"code":200},"data":{"items":[],"size":0,"links":{"next":`+string(link)+`}}}`)
}

// leakPlace is a place where a server's text, or a URL, reaches an error:
// run makes the server put the quoted text q there and returns the error;
// check says whether the error is still what it should be; inURL says q
// goes into a URL, so only encodings that fit one are tried. secrets are
// those known where the error is made; nil means a Client's: the client
// secret and its tokens.
type leakPlace struct {
	name    string
	inURL   bool
	secrets []string
	run     func(t *testing.T, s *leakServer, q string) error
	check   func(err error) bool
}

func isAPIError(status int) func(error) bool {
	return func(err error) bool {
		var ae *APIError
		return errors.As(err, &ae) && ae.StatusCode == status
	}
}

func leakPlaces(t *testing.T) []leakPlace {
	walk := func(t *testing.T, c *Client) error {
		for _, err := range c.Moves(t.Context(), ListQuery{}) {
			if err != nil {
				return err
			}
		}
		t.Fatal("the walk ended without an error")
		return nil
	}
	closed := closedPort(t)
	return []leakPlace{
		{
			name: "API error meta",
			run: func(t *testing.T, s *leakServer, q string) error {
				s.set(func(w http.ResponseWriter, r *http.Request) {
					writeBody(w, http.StatusBadRequest, `{"meta":{"code":400,"error_type":"bad `+q+`","error_detail":"the token `+q+` is bad","message":"`+q+`","user_xid":"`+q+`"}}`)
				})
				_, _, err := s.client(0).User(t.Context())
				return err
			},
			check: isAPIError(http.StatusBadRequest),
		},
		{
			name: "rate limit error body",
			run: func(t *testing.T, s *leakServer, q string) error {
				s.set(func(w http.ResponseWriter, r *http.Request) {
					writeBody(w, http.StatusTooManyRequests, `{"meta":{"code":429,"error_detail":"`+q+`"}} `+q)
				})
				_, _, err := s.client(0).User(t.Context())
				return err
			},
			check: func(err error) bool { return errors.Is(err, ErrRateLimited) },
		},
		{
			name: "API error, HTML body",
			run: func(t *testing.T, s *leakServer, q string) error {
				s.set(func(w http.ResponseWriter, r *http.Request) {
					writeBody(w, http.StatusBadGateway, `<html><body>upstream said `+q+`</body></html>`)
				})
				_, err := s.client(0).MovesPage(t.Context(), ListQuery{})
				return err
			},
			check: isAPIError(http.StatusBadGateway),
		},
		{
			name: "image error body",
			run: func(t *testing.T, s *leakServer, q string) error {
				s.set(func(w http.ResponseWriter, r *http.Request) {
					writeBody(w, http.StatusForbidden, `{"meta":{"code":403,"error_detail":"`+q+`"}}`)
				})
				_, _, err := s.client(0).MoveImage(t.Context(), "xid")
				return err
			},
			check: isAPIError(http.StatusForbidden),
		},
		{
			name: "token endpoint error, automatic refresh",
			run: func(t *testing.T, s *leakServer, q string) error {
				s.set(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == tokenPath {
						writeBody(w, http.StatusBadRequest, `{"error":"invalid_grant","error_description":"refresh `+q+` refused"}`)
						return
					}
					writeBody(w, http.StatusUnauthorized, `{"meta":{"code":401}}`)
				})
				_, _, err := s.client(0).User(t.Context())
				return err
			},
			check: func(err error) bool { return errors.Is(err, ErrLoginRequired) },
		},
		{
			name: "token endpoint, HTML body, Refresh",
			run: func(t *testing.T, s *leakServer, q string) error {
				s.set(func(w http.ResponseWriter, r *http.Request) {
					writeBody(w, http.StatusInternalServerError, `<html>grant `+q+` failed</html>`)
				})
				_, err := s.client(0).Refresh(t.Context())
				return err
			},
			check: func(err error) bool { var te *TokenError; return errors.As(err, &te) },
		},
		{
			name:    "token endpoint error, Exchange",
			secrets: []string{leakClientSecret, leakCode},
			run: func(t *testing.T, s *leakServer, q string) error {
				s.set(func(w http.ResponseWriter, r *http.Request) {
					writeBody(w, http.StatusBadRequest, `{"error":"invalid_grant `+q+`","error_description":"code `+q+` refused"}`)
				})
				cfg := s.client(0).cfg
				_, err := cfg.Exchange(t.Context(), testRedirectURL+"?state=s&code="+url.QueryEscape(leakCode), "s")
				return err
			},
			check: func(err error) bool { var te *TokenError; return errors.As(err, &te) },
		},
		{
			name:    "authorization error beside a code",
			secrets: []string{leakCode},
			run: func(t *testing.T, s *leakServer, q string) error {
				cfg := s.client(0).cfg
				redirect := testRedirectURL + "?state=s&code=" + url.QueryEscape(leakCode) + "&error=server_error&error_description=" +
					url.QueryEscape("failed for "+q) + "&error_uri=" + url.QueryEscape("https://jawbone.com/e?c="+q)
				_, err := cfg.Exchange(t.Context(), redirect, "s")
				return err
			},
			check: func(err error) bool { var ae *AuthorizationError; return errors.As(err, &ae) },
		},
		{
			name:  "Location of a redirect that fails",
			inURL: true,
			run: func(t *testing.T, s *leakServer, q string) error {
				s.set(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Location", "http://"+closed+"/x/"+q+"?t="+q)
					w.WriteHeader(http.StatusFound)
				})
				_, _, err := s.client(0).User(t.Context())
				return err
			},
			check: func(err error) bool { var ue *url.Error; return errors.As(err, &ue) },
		},
		{
			name:  "Location of a redirect, then an API error",
			inURL: true,
			run: func(t *testing.T, s *leakServer, q string) error {
				s.set(func(w http.ResponseWriter, r *http.Request) {
					if strings.Contains(r.URL.Path, "/landing") {
						writeBody(w, http.StatusNotFound, `{"meta":{"code":404}}`)
						return
					}
					w.Header().Set("Location", apiPrefix+"/landing/"+q+"?t="+q)
					w.WriteHeader(http.StatusFound)
				})
				_, _, err := s.client(0).User(t.Context())
				return err
			},
			check: func(err error) bool { var ae *APIError; return errors.As(err, &ae) },
		},
		{
			name:  "Location of a redirect that fails, generated client",
			inURL: true,
			run: func(t *testing.T, s *leakServer, q string) error {
				s.set(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Location", "http://"+closed+"/x/"+q+"?t="+q)
					w.WriteHeader(http.StatusFound)
				})
				_, err := s.client(0).API().GetUserWithResponse(t.Context(), "@me")
				return err
			},
			check: func(err error) bool { var ue *url.Error; return errors.As(err, &ue) },
		},
		{
			name:  "next link to another host",
			inURL: true,
			run: func(t *testing.T, s *leakServer, q string) error {
				s.set(func(w http.ResponseWriter, r *http.Request) { page(w, "https://evil.example/"+q+"?t="+q) })
				return walk(t, s.client(0))
			},
			check: func(err error) bool { var ne *NextLinkError; return errors.As(err, &ne) },
		},
		{
			name:  "next link outside the base path",
			inURL: true,
			run: func(t *testing.T, s *leakServer, q string) error {
				s.set(func(w http.ResponseWriter, r *http.Request) { page(w, "/elsewhere/"+q+"?t="+q) })
				return walk(t, s.client(0))
			},
			check: func(err error) bool { var ne *NextLinkError; return errors.As(err, &ne) },
		},
		{
			name:  "next link that repeats",
			inURL: true,
			run: func(t *testing.T, s *leakServer, q string) error {
				s.set(func(w http.ResponseWriter, r *http.Request) { page(w, apiPrefix+"/users/@me/moves?t="+q) })
				return walk(t, s.client(0))
			},
			check: func(err error) bool { return errors.Is(err, ErrPaginationLoop) },
		},
		{
			name:  "next page fails",
			inURL: true,
			run: func(t *testing.T, s *leakServer, q string) error {
				s.set(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Query().Has("t") {
						writeBody(w, http.StatusInternalServerError, `{"meta":{"code":500}}`)
						return
					}
					page(w, apiPrefix+"/users/@me/moves?page_token=1&t="+q)
				})
				return walk(t, s.client(0))
			},
			check: isAPIError(http.StatusInternalServerError),
		},
		{
			name:  "next page does not decode",
			inURL: true,
			run: func(t *testing.T, s *leakServer, q string) error {
				s.set(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Query().Has("t") {
						writeBody(w, http.StatusOK, `{"data":`)
						return
					}
					page(w, apiPrefix+"/users/@me/moves?page_token=1&t="+q)
				})
				return walk(t, s.client(0))
			},
			check: func(err error) bool { var de *DecodeError; return errors.As(err, &de) },
		},
		{
			name:  "next page too large",
			inURL: true,
			run: func(t *testing.T, s *leakServer, q string) error {
				s.set(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Query().Has("t") {
						writeBody(w, http.StatusOK, `{"data":"`+strings.Repeat("x", 4096)+`"}`)
						return
					}
					page(w, apiPrefix+"/users/@me/moves?page_token=1&t="+q)
				})
				return walk(t, s.client(1024))
			},
			check: func(err error) bool { return errors.Is(err, ErrResponseTooLarge) },
		},
	}
}

// TestRedactionEveryPlaceEveryEncoding makes a server quote each secret
// known there (the client secret, the access and refresh tokens, an
// authorization code) in each encoding at each place where its text or a URL it sends
// reaches an error, and checks that the error shows the secret in no
// encoding, and is still the error it should be.
func TestRedactionEveryPlaceEveryEncoding(t *testing.T) {
	t.Parallel()
	s := newLeakServer(t)
	for _, place := range leakPlaces(t) {
		t.Run(place.name, func(t *testing.T) {
			secrets := place.secrets
			if secrets == nil {
				secrets = []string{leakClientSecret, leakAccess, leakRefresh}
			}
			tried := 0
			for _, secret := range secrets {
				for _, e := range encodings {
					q := e.enc(secret)
					if place.inURL && !urlSafe(q) {
						continue
					}
					tried++
					err := place.run(t, s, q)
					if err == nil || !place.check(err) {
						t.Errorf("%s quoted %s: error %v is not the one expected", e.name, secret, err)
						continue
					}
					for _, text := range errorTexts(err) {
						for _, sec := range secrets {
							if found := leaks(text, sec); len(found) > 0 {
								t.Errorf("%s quoted %s: %q shows %s as %v", e.name, secret, text, sec, found)
							}
						}
					}
				}
			}
			if tried < len(secrets) {
				t.Errorf("only %d quotes tried", tried)
			}
		})
	}
}

// TestRedactedErrorKeepsIdentity checks the stand-in for an error whose
// text had to lose a secret: it matches what the original matched.
func TestRedactedErrorKeepsIdentity(t *testing.T) {
	t.Parallel()
	orig := fmt.Errorf("%w: %s", ErrPaginationLoop, "https://jawbone.com/x?t="+url.QueryEscape(leakAccess))
	err := newRedactor(leakAccess).scrub(orig)
	if !errors.Is(err, ErrPaginationLoop) || strings.Contains(err.Error(), url.QueryEscape(leakAccess)) || !strings.Contains(err.Error(), redacted) {
		t.Errorf("scrubbed %v to %v", orig, err)
	}
	clean := errors.New("nothing secret")
	if got := newRedactor(leakAccess).scrub(clean); fmt.Sprintf("%T %v", got, got) != fmt.Sprintf("%T %v", clean, clean) {
		t.Errorf("an error without secrets was replaced by %T %v", got, got)
	}
}

// TestRedactorUnit pins the redactor on texts that must change and texts
// that must not.
func TestRedactorUnit(t *testing.T) {
	t.Parallel()
	r := newRedactor("CS-s3cr3t-Zq9+Xy/Wv=Kd", "sp ace")
	for in, want := range map[string]string{
		"error: CS-s3cr3t-Zq9%2BXy%2FWv%3DKd.":     "error: [redacted].",
		"error: CS-s3cr3t-Zq9%2bXy%2fWv%3dKd.":     "error: [redacted].",
		"x=CS-s3cr3t-Zq9%252BXy%252FWv%253DKd&y=1": "x=[redacted]&y=1",
		`"\u0043S-s3cr3t-Zq9\u002bXy\/Wv\u003DKd"`: `"[redacted]"`,
		"a sp+ace b":   "a [redacted] b",
		"a sp%20ace b": "a [redacted] b",
		"CS-s3cr3t-Zq9+Xy/Wv=KdCS-s3cr3t-Zq9+Xy/Wv=Kd": "[redacted]",
		"nothing here, 100% sure & \\ fine +1":         "nothing here, 100% sure & \\ fine +1",
		"CS-s3cr3t-Zq9+Xy/Wv=K":                        "CS-s3cr3t-Zq9+Xy/Wv=K",
		"access_token=abc&x=1":                         "access_token=[redacted]&x=1",
		// An escape before the secret swallows its first characters.
		"/x/%2CS-s3cr3t-Zq9%2BXy%2FWv%3DKd/y":   "/x/[redacted]/y",
		"x%ACS-s3cr3t-Zq9%252BXy%252FWv%253DKd": "x[redacted]",
	} {
		if got := r.text(in); got != want {
			t.Errorf("text(%q) = %q, want %q", in, got, want)
		}
	}
	if got := newRedactor().text("plain"); got != "plain" {
		t.Errorf("a redactor without secrets changed the text: %q", got)
	}
}
