package up

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// escapingLinks are next links that leave the base path once a server
// normalizes them, each in another disguise: dot segments written with
// percent-encoded dots in either case, encoded slashes and backslashes,
// raw backslashes, double slashes, ;parameters, double encoding, dots with
// spaces, and absolute forms of the same.
var escapingLinks = []string{
	"/nudge/api/v.1.1/%2e%2e/%2e%2e/%2e%2e/auth/oauth2/token",
	"/nudge/api/v.1.1/%2E%2E/%2E%2E/%2E%2E/auth/oauth2/token",
	"/nudge/api/v.1.1/.%2e/%2E./.%2E/auth/oauth2/token",
	"https://jawbone.com/nudge/api/v.1.1/%2e%2e/%2e%2e/%2e%2e/auth/oauth2/token",
	"https://JAWBONE.com:443/nudge/api/v.1.1/%2e%2e/%2e%2e/%2e%2e/auth/oauth2/token",
	"//jawbone.com/nudge/api/v.1.1/%2e%2e/%2e%2e/%2e%2e/auth/oauth2/token",
	"/nudge/api/v.1.1/%2e%2e/../%2e%2e/auth/oauth2/token",
	"/nudge/api/v.1.1/users/%2e%2e/%2e%2e/%2e%2e/%2e%2e/auth",
	"/nudge/api/v%2E1.1/../../auth/oauth2/token",
	"/nudge/api/v.1.1/../../../auth/oauth2/token",
	"/nudge/api/v.1.1/users/../../v.1.0/users/@me",
	"../auth/oauth2/token",
	"/nudge/api/v.1.1/..%2f..%2f..%2fauth/oauth2/token",
	"/nudge/api/v.1.1/..%2F..%2F..%2Fauth/oauth2/token",
	"/nudge/api/v.1.1%2f..%2f..%2fauth",
	"/nudge/api/v.1.1/..%5c..%5c..%5cauth/oauth2/token",
	"/nudge/api/v.1.1/..%5C..%5C..%5Cauth/oauth2/token",
	`/nudge/api/v.1.1/..\..\..\auth/oauth2/token`,
	`/nudge/api/v.1.1\..\..\auth`,
	"/nudge/api/v.1.1/a//../../b",
	"/nudge/api/v.1.1//users/@me/moves",
	"/nudge/api/v.1.1/..;/..;/..;/auth/oauth2/token",
	"/nudge/api/v.1.1/%2e%2e;x=1/%2e%2e;/%2e%2e;/auth",
	"/nudge/api/v.1.1/.;/..;jsessionid=1/auth",
	"/nudge/api/v.1.1/%252e%252e/%252e%252e/%252e%252e/auth/oauth2/token",
	"/nudge/api/v.1.1/%252E%252E/%252E%252E/%252E%252E/auth",
	"/nudge/api/v.1.1/..%252f..%252f..%252fauth",
	"/nudge/api/v.1.1/..%255c..%255cauth",
	"/nudge/api/v.1.1/..%25252f..%25252f..%25252fauth",
	"/nudge/api/v.1.1/%25252e%25252e/%25252e%25252e/auth",
	"/nudge/api/v.1.1/.../.../auth",
	"/nudge/api/v.1.1/..%20/..%20/..%20/auth",
	"/nudge/api/v.1.1/.. ./auth",
	"/nudge/api/v.1.1/x%00/../../../auth",
	"/nudge/api/v.1.1/%0a",
	"/nudge/api/v.1.1/%zz/auth",
	"/nudge/api/v.1.1/%2",
	"https:nudge/api/v.1.1/users",
}

func TestNextLinkDotSegmentsRefused(t *testing.T) {
	t.Parallel()
	for _, next := range escapingLinks {
		u, err := resolveNext(DefaultBaseURL, next)
		var ne *NextLinkError
		if !errors.As(err, &ne) || ne.Next != next {
			t.Errorf("resolveNext(%q) = %v, %v; want a *NextLinkError", next, u, err)
		}
	}
}

// TestNextLinkNormalized checks links that stay under the base path once
// normalized: they are followed in normal form, so the server reads the
// path that was checked.
func TestNextLinkNormalized(t *testing.T) {
	t.Parallel()
	for next, want := range map[string]string{
		"/nudge/api/v.1.1/users/@me/moves?page_token=1":                              "https://jawbone.com/nudge/api/v.1.1/users/@me/moves?page_token=1",
		"/nudge/api/v.1.1/users/6xl39CsoVp2KirfHwVq_Fx/moves?page_token=13&limit=10": "https://jawbone.com/nudge/api/v.1.1/users/6xl39CsoVp2KirfHwVq_Fx/moves?page_token=13&limit=10",
		"/nudge/api/v.1.1/users/x/../@me/moves":                                      "https://jawbone.com/nudge/api/v.1.1/users/@me/moves",
		"/nudge/api/v.1.1/users/x/%2e%2E/@me/./moves":                                "https://jawbone.com/nudge/api/v.1.1/users/@me/moves",
		"/nudge/api/%76%2E1%2e1/users/%40me/moves":                                   "https://jawbone.com/nudge/api/v.1.1/users/%40me/moves",
		"/nudge/api/v.1.1/users/a%3bb/moves":                                         "https://jawbone.com/nudge/api/v.1.1/users/a%3Bb/moves",
		"/nudge/api/v.1.1/users/a;b/moves":                                           "https://jawbone.com/nudge/api/v.1.1/users/a;b/moves",
		"/nudge/api/v.1.1/users/100%25/moves":                                        "https://jawbone.com/nudge/api/v.1.1/users/100%25/moves",
		"https://JAWBONE.com:443/nudge/api/v.1.1/x#frag":                             "https://JAWBONE.com:443/nudge/api/v.1.1/x",
		"/nudge/api/v.1.1/":                                                          "https://jawbone.com/nudge/api/v.1.1/",
	} {
		u, err := resolveNext(DefaultBaseURL, next)
		if err != nil {
			t.Errorf("resolveNext(%q): %v", next, err)
			continue
		}
		if u.String() != want {
			t.Errorf("resolveNext(%q) = %q, want %q", next, u, want)
		}
	}
}

// TestNextLinkEscapeNeverSent serves each escaping link as the next link
// of a real page (links naming jawbone.com name the test server instead)
// and checks that the Client refuses it before any request leaves the base
// path, with or without the token.
func TestNextLinkEscapeNeverSent(t *testing.T) {
	t.Parallel()
	const access = "access-next-escape-5150"
	var (
		mu      sync.Mutex
		strayed []string
	)
	for _, next := range escapingLinks {
		var link []byte
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if p := r.URL.EscapedPath(); p != apiPrefix+"/users/@me/moves" {
				mu.Lock()
				strayed = append(strayed, p+" ("+r.Header.Get("Authorization")+")")
				mu.Unlock()
			}
			writeBody(w, http.StatusOK, `{"meta":{"code":200},"data":{"items":[],"size":0,"links":{"next":`+string(link)+`}}}`)
		}))
		host := srv.Listener.Addr().String()
		var err error
		if link, err = json.Marshal(strings.NewReplacer("https://jawbone.com", srv.URL, "https://JAWBONE.com:443", srv.URL,
			"//jawbone.com", "//"+host, "https:", "http:").Replace(next)); err != nil {
			t.Fatal(err)
		}
		c := (&Config{BaseURL: srv.URL + apiPrefix}).ClientFromAccessToken(access)
		for _, err = range c.Moves(t.Context(), ListQuery{}) {
			if err != nil {
				break
			}
		}
		var ne *NextLinkError
		if !errors.As(err, &ne) {
			t.Errorf("next link %s: walk ended with %v, want a *NextLinkError", link, err)
		}
		srv.Close()
	}
	if len(strayed) != 0 {
		t.Errorf("requests left the base path: %q", strayed)
	}
}

// lenientPath is the path a lax server might read from an escaped path:
// percent-decoded again and again, backslashes taken for slashes,
// ;parameters dropped, empty segments merged, a segment of dots and spaces
// read as "." or "..", and dot segments then removed.
func lenientPath(escaped string) string {
	p := escaped
	for range 4 {
		if d, err := url.PathUnescape(p); err == nil {
			p = d
		}
	}
	var out []string
	for _, seg := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		name, _, _ := strings.Cut(seg, ";")
		dots := strings.TrimRight(name, ". ")
		switch {
		case dots == "" && strings.Count(name, ".") >= 2:
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case dots == "" && strings.Contains(name, "."):
		default:
			out = append(out, seg)
		}
	}
	return "/" + strings.Join(out, "/")
}

// underBase reports whether every reading of the escaped path u (as sent,
// and as a lax server reads it) lies under the escaped base path: the
// accepted path has no dot segment left, and its lenient reading starts
// with the base's.
func underBase(u *url.URL, basePath string) bool {
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	root := strings.TrimSuffix(lenientPath(basePath), "/")
	lax := lenientPath(u.EscapedPath())
	return lax == root || strings.HasPrefix(lax, root+"/")
}

func TestLenientPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/nudge/api/v.1.1/%2e%2e/%2e%2e/%2e%2e/auth": "/auth",
		`/a/b\..\c`:                  "/a/c",
		"/a/b/..;/c":                 "/a/c",
		"/a/%252e%252e/c":            "/c",
		"/a//b/../c":                 "/a/c",
		"/a/b/.../c":                 "/a/c",
		"/a/b/%2e/c":                 "/a/b/c",
		"/nudge/api/v.1.1/users/@me": "/nudge/api/v.1.1/users/@me",
	} {
		if got := lenientPath(in); got != want {
			t.Errorf("lenientPath(%q) = %q, want %q", in, got, want)
		}
	}
}
