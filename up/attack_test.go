package up

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// The tests of this file drive every public way a Client reaches the
// network (every operation of operationCases, and the ways around them:
// the iterators' Next, ResumePage, the streamed images, Disconnect, the
// generated client) through a hostile server, and check the guarantees
// that hold for all of them: a bounded read of any answer, no token sent
// outside the API's base path or to another host, no write redirected, and
// no secret in an error.

// attackCall is one way a Client sends a request, and what it reads.
type attackCall struct {
	run   func(ctx context.Context, c *Client) error
	write bool // not GET: never redirected
	// idempotent requests (GET, DELETE) are resent after a 401 up to
	// maxRenewals times, others maxWriteRenewals times.
	idempotent bool
	image      bool // reads a PNG graph rather than JSON
	// stream returns the body unbounded for the caller to read (an Open
	// image): the caller bounds it.
	stream bool
}

// attackCalls returns every operation of operationCases and the other
// public ways to send a request.
func attackCalls(t *testing.T) map[string]attackCall {
	t.Helper()
	out := map[string]attackCall{}
	for name, tc := range operationCases(rand.New(rand.NewPCG(7, 8))) {
		var got wireRequest
		err := tc.sdk(t.Context(), capture("https://example.com/api", &got))
		if !errors.Is(err, errCaptured) {
			t.Fatalf("%s sent nothing: %v", name, err)
		}
		out[name] = attackCall{run: tc.sdk, write: got.method != http.MethodGet, idempotent: idempotent(got.method), image: strings.HasSuffix(name, "Image")}
	}
	open := func(f func(*Client, context.Context, string) (io.ReadCloser, *Response, error)) func(context.Context, *Client) error {
		return func(ctx context.Context, c *Client) error {
			body, _, err := f(c, ctx, "xid")
			if err != nil {
				return err
			}
			defer func() { _ = body.Close() }()
			_, err = io.Copy(io.Discard, io.LimitReader(body, 1<<20))
			return err
		}
	}
	walk := func(ctx context.Context, c *Client) error {
		for _, err := range c.Moves(ctx, ListQuery{}) {
			if err != nil {
				return err
			}
		}
		return nil
	}
	extra := map[string]attackCall{
		"OpenMoveImage":    {run: open((*Client).OpenMoveImage), image: true, stream: true},
		"OpenSleepImage":   {run: open((*Client).OpenSleepImage), image: true, stream: true},
		"OpenWorkoutImage": {run: open((*Client).OpenWorkoutImage), image: true, stream: true},
		"Moves iterator":   {run: walk},
		"ResumePage": {run: func(ctx context.Context, c *Client) error {
			_, err := ResumePage[Move](ctx, c, c.BaseURL()+"/users/@me/moves?page_token=1384963500")
			return err
		}},
		"HTTPClient": {run: func(ctx context.Context, c *Client) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL()+"/users/@me", nil)
			if err != nil {
				return err
			}
			resp, err := c.HTTPClient().Do(req)
			if err != nil {
				return err
			}
			defer func() { _ = resp.Body.Close() }()
			_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			return err
		}},
		"API": {run: func(ctx context.Context, c *Client) error {
			_, err := c.API().GetUserWithResponse(ctx, "@me")
			return err
		}},
	}
	for name, ac := range extra {
		ac.idempotent = true // all GETs
		out[name] = ac
	}
	// operationCases sets a client secret of its own, which the Client
	// then holds instead of the test's.
	out["GetRefreshToken"] = attackCall{run: func(ctx context.Context, c *Client) error {
		_, err := c.RetrieveRefreshToken(ctx)
		return err
	}, write: true}
	return out
}

// TestAttackEveryCallBoundsItsRead answers every call that decodes JSON,
// and every image read, with a 200 that never ends, and checks that each
// stops with a *ResponseTooLargeError: of Config.MaxResponseBytes for
// JSON, of maxImageBytes for a whole image. Disconnect decodes nothing and
// must return without reading the body to its end.
func TestAttackEveryCallBoundsItsRead(t *testing.T) {
	t.Parallel()
	const limit = 32 << 10
	for name, ac := range attackCalls(t) {
		if ac.stream || name == "HTTPClient" { // the caller reads these
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var read atomic.Int64
			cfg := &Config{ClientSecret: "cs", MaxResponseBytes: limit, HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if r.Body != nil {
					_, _ = io.Copy(io.Discard, r.Body)
				}
				resp := textResponse(r, http.StatusOK, "")
				shape := endlessShapes["items"]
				if strings.Contains(r.Header.Get("Accept"), "image/png") {
					resp.Header.Set("Content-Type", "image/png")
					shape = [2]string{"\x89PNG\r\n\x1a\n", "IDAT"}
				}
				resp.Body = io.NopCloser(&endless{head: shape[0], body: shape[1], read: &read})
				return resp, nil
			})}}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			err := ac.run(ctx, cfg.ClientFromAccessToken("tok"))
			want := int64(limit)
			if ac.image {
				want = maxImageBytes
			}
			if name == "Disconnect" {
				if err != nil {
					t.Fatalf("Disconnect: %v", err)
				}
				want = 0
			} else {
				var tooLarge *ResponseTooLargeError
				if !errors.As(err, &tooLarge) || tooLarge.Limit != want {
					t.Fatalf("error %v, want a *ResponseTooLargeError of %d bytes", err, want)
				}
			}
			if n := read.Load(); n > want+1+maxDrain {
				t.Errorf("read %d bytes of the body, want at most %d", n, want+1+maxDrain)
			}
		})
	}
}

// hostileRedirects are where a hostile API redirects every request:
// another host, the token endpoint and paths that escape the base path.
func hostileRedirects(api, other string) map[string]string {
	return map[string]string{
		"another host":                    other + "/landing",
		"another host, base path":         other + apiPrefix + "/landing",
		"token endpoint":                  tokenPath,
		"root":                            "/",
		"encoded dot segments":            apiPrefix + "/%2e%2e/%2e%2e/%2e%2e/auth/oauth2/token",
		"encoded slash":                   apiPrefix + "%2f..%2f..%2fx",
		"plain http, same host":           strings.Replace(api, "http://", "HTTP://", 1) + "/x",
		"user info":                       strings.Replace(api, "http://", "http://u:p@", 1) + apiPrefix + "/landing",
		"scheme-relative to another host": "//" + strings.TrimPrefix(other, "http://") + "/landing",
		"base path as prefix of a name":   apiPrefix + "x/landing",
		"back to the API after another":   other + "/bounce",
	}
}

// TestAttackEveryCallKeepsTokenOnBase redirects every call, with every
// redirect status, to every hostile place, and checks that no request
// outside the base path of the API's host carries the token, and that no
// write is redirected at all.
func TestAttackEveryCallKeepsTokenOnBase(t *testing.T) {
	t.Parallel()
	const access = "access-attack-redirect-5150"
	type hit struct{ host, path, auth, method string }
	var (
		mu     sync.Mutex
		hits   []hit
		target string
		status int
	)
	record := func(host string, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		hits = append(hits, hit{host, r.URL.EscapedPath(), r.Header.Get("Authorization"), r.Method})
	}
	var apiURL string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record("other", r)
		if r.URL.Path == "/bounce" {
			w.Header().Set("Location", apiURL+"/auth/oauth2/token")
			w.WriteHeader(http.StatusFound)
			return
		}
		writeBody(w, http.StatusOK, `{"meta":{"code":200},"data":{}}`)
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == tokenPath {
			record("api", r)
			writeBody(w, http.StatusBadRequest, `{"error":"invalid_grant"}`)
			return
		}
		if !strings.HasPrefix(r.URL.EscapedPath(), apiPrefix+"/") || strings.HasPrefix(r.URL.EscapedPath(), apiPrefix+"/landing") {
			record("api", r)
			writeBody(w, http.StatusOK, `{"meta":{"code":200},"data":{}}`)
			return
		}
		mu.Lock()
		loc, code := target, status
		mu.Unlock()
		w.Header().Set("Location", loc)
		w.WriteHeader(code)
	}))
	defer api.Close()
	apiURL = api.URL

	plain := Config{ClientSecret: "cs", BaseURL: api.URL + apiPrefix, TokenURL: api.URL + tokenPath}
	retry, lax := plain, plain
	retry.Retry = &RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond}
	// A caller's policy that follows anything comes after the Client's.
	lax.HTTPClient = &http.Client{CheckRedirect: func(_ *http.Request, via []*http.Request) error {
		if len(via) > 20 {
			return errors.New("redirect loop")
		}
		return nil
	}}
	calls := attackCalls(t)
	for _, cfg := range []*Config{&plain, &retry, &lax} {
		for _, code := range []int{301, 302, 303, 307, 308} {
			for where, loc := range hostileRedirects(api.URL, other.URL) {
				mu.Lock()
				target, status = loc, code
				mu.Unlock()
				for name, ac := range calls {
					mu.Lock()
					hits = nil
					mu.Unlock()
					ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
					_ = ac.run(ctx, cfg.ClientFromAccessToken(access))
					cancel()
					mu.Lock()
					got := slices.Clone(hits)
					mu.Unlock()
					for _, h := range got {
						onBase := h.host == "api" && strings.HasPrefix(h.path, apiPrefix+"/")
						if h.auth != "" && !onBase {
							t.Errorf("%s redirected (%d) to %s: %s %s on %s carried %q", name, code, where, h.method, h.path, h.host, h.auth)
						}
						if h.path == tokenPath {
							t.Errorf("%s redirected (%d) to %s reached the token endpoint (%s)", name, code, where, h.method)
						}
					}
					if ac.write && len(got) > 0 && name != "HTTPClient" {
						t.Errorf("%s (a write) redirected (%d) to %s was followed: %+v", name, code, where, got)
					}
				}
			}
		}
	}
}

// attackSecrets are the secrets a hostile server quotes back.
var attackSecrets = []string{leakAccess, leakRefresh, leakClientSecret}

// quoteSecrets writes each secret raw, percent-encoded, form-encoded and
// JSON-escaped, as a server echoing a request might.
func quoteSecrets() string {
	var b strings.Builder
	for _, s := range attackSecrets {
		fmt.Fprintf(&b, "%s %s %s %s ", s, url.QueryEscape(s), url.PathEscape(s), strings.ReplaceAll(s, "/", `\/`))
	}
	return b.String()
}

// TestAttackEveryCallErrorHoldsNoSecret answers every call, in each way a
// server can fail, with text that quotes the secrets, and checks that no
// error any call returns shows a secret in any encoding.
func TestAttackEveryCallErrorHoldsNoSecret(t *testing.T) {
	t.Parallel()
	quoted := quoteSecrets()
	jsonQuoted := strings.ReplaceAll(strings.ReplaceAll(quoted, `\`, `\\`), `"`, `\"`)
	answers := map[string]func(w http.ResponseWriter, r *http.Request){
		"400 with meta": func(w http.ResponseWriter, _ *http.Request) {
			writeBody(w, http.StatusBadRequest, `{"meta":{"code":400,"error_type":"`+jsonQuoted+`","error_detail":"`+jsonQuoted+`","message":"`+jsonQuoted+`"}}`)
		},
		"500 text": func(w http.ResponseWriter, _ *http.Request) { writeBody(w, http.StatusInternalServerError, quoted) },
		"429": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", quoted)
			writeBody(w, http.StatusTooManyRequests, quoted)
		},
		"200 not JSON": func(w http.ResponseWriter, _ *http.Request) { writeBody(w, http.StatusOK, quoted) },
		"200 wrong types": func(w http.ResponseWriter, _ *http.Request) {
			writeBody(w, http.StatusOK, `{"meta":{"code":"`+jsonQuoted+`"},"data":{"xid":["`+jsonQuoted+`"],"items":"`+jsonQuoted+`","links":{"next":["`+jsonQuoted+`"]}}}`)
		},
		"next link elsewhere": func(w http.ResponseWriter, _ *http.Request) {
			next := "https://evil.example/?t=" + url.QueryEscape(leakAccess) + "&r=" + leakRefresh + "&c=" + url.QueryEscape(leakClientSecret)
			writeBody(w, http.StatusOK, `{"meta":{"code":200},"data":{"items":[],"links":{"next":"`+next+`"}}}`)
		},
		"redirect loop with secrets": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", r.URL.Path+"?t="+url.QueryEscape(leakAccess)+"&c="+url.QueryEscape(leakClientSecret)+"&r="+leakRefresh)
			w.WriteHeader(http.StatusFound)
		},
		"png content type with secrets": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/"+url.QueryEscape(leakAccess)+"; x="+url.QueryEscape(leakClientSecret))
			writeBody(w, http.StatusOK, quoted)
		},
		"401 after refresh": func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == tokenPath {
				writeBody(w, http.StatusBadRequest, `{"error":"invalid_grant","error_description":"`+jsonQuoted+`"}`)
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+leakAccess+`"`)
			writeBody(w, http.StatusUnauthorized, quoted)
		},
	}
	s := newLeakServer(t)
	calls := attackCalls(t)
	for how, answer := range answers {
		s.set(answer)
		for name, ac := range calls {
			if name == "HTTPClient" && how == "redirect loop with secrets" {
				// net/http's own error quotes the URL the server chose,
				// as HTTPClient's documentation says.
				continue
			}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			err := ac.run(ctx, s.client(0))
			cancel()
			if err == nil {
				continue
			}
			for _, text := range append(errorTexts(err), fmt.Sprintf("%#v", err)) {
				for _, sec := range attackSecrets {
					if found := leaks(text, sec); len(found) > 0 {
						t.Errorf("%s answered %s: the error shows %q as %v: %s", name, how, sec, found, text)
					}
				}
			}
		}
	}
}

// TestAttackExchangeForUserHostileUser logs in users whose XID, or the key
// the application names for them, is hostile: every key is stored apart
// and read back, a failing or empty key stores nothing, and no error shows
// a secret.
func TestAttackExchangeForUserHostileUser(t *testing.T) {
	t.Parallel()
	keys := []string{"../x", "../../etc/passwd", "a/b", `a\b`, ".", "..", "x\x00y", strings.Repeat("k", 5000), "ユーザー"}
	for _, st := range testStores {
		if !st.keyed {
			continue
		}
		t.Run(st.name, func(t *testing.T) {
			store := st.make(t)
			for i, key := range keys {
				var xid atomic.Value
				xid.Store(key)
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					switch r.URL.Path {
					case tokenPath:
						writeBody(w, http.StatusOK, fmt.Sprintf(`{"access_token":"acc-%d","refresh_token":"ref-%d","token_type":"Bearer","expires_in":3600}`, i, i))
					case apiPrefix + "/users/@me":
						xj, _ := json.Marshal(xid.Load())
						writeBody(w, http.StatusOK, `{"meta":{"code":200},"data":{"xid":`+string(xj)+`,"first":"x"}}`)
					default:
						writeBody(w, http.StatusNotFound, `{}`)
					}
				}))
				cfg := &Config{ClientID: "id", ClientSecret: leakClientSecret, BaseURL: srv.URL + apiPrefix, TokenURL: srv.URL + tokenPath, Store: store}
				redirect := testRedirectURL + "?code=c&state=s"
				c, u, err := cfg.ExchangeForUser(t.Context(), redirect, "s", nil)
				if err != nil {
					srv.Close()
					t.Fatalf("user %.20q: %v", key, err)
				}
				if u.XID != key || c == nil {
					t.Errorf("user %.20q: got user %.20q", key, u.XID)
				}
				if tok, err := store.Load(t.Context(), key); err != nil || tok.AccessToken != fmt.Sprintf("acc-%d", i) {
					t.Errorf("user %.20q: stored %v, %v", key, tok, err)
				}
				// A key function that fails, or names no user, stores nothing.
				for _, bad := range []func(*User) (string, error){
					func(*User) (string, error) { return "", nil },
					func(*User) (string, error) { return "k-" + key, errors.New("no such account") },
				} {
					_, _, err := cfg.ExchangeForUser(t.Context(), redirect, "s", bad)
					if err == nil {
						t.Errorf("user %.20q: a failing key function gave no error", key)
					}
					if _, lerr := store.Load(t.Context(), "k-"+key); !errors.Is(lerr, ErrNoToken) {
						t.Errorf("user %.20q: a failing key function stored a token: %v", key, lerr)
					}
					for _, text := range errorTexts(err) {
						if strings.Contains(text, leakClientSecret) || strings.Contains(text, "acc-") || strings.Contains(text, "ref-") {
							t.Errorf("user %.20q: error shows a secret: %s", key, text)
						}
					}
				}
				srv.Close()
			}
			// Every key kept its own token.
			for i, key := range keys {
				if tok, err := store.Load(t.Context(), key); err != nil || tok.AccessToken != fmt.Sprintf("acc-%d", i) {
					t.Errorf("user %.20q: at the end, stored %v, %v", key, tok, err)
				}
			}
			if err := cfg0(store).Forget(t.Context(), keys[0]); err != nil {
				t.Fatal(err)
			}
			if _, err := store.Load(t.Context(), keys[0]); !errors.Is(err, ErrNoToken) {
				t.Errorf("Forget %q left %v", keys[0], err)
			}
			if _, err := store.Load(t.Context(), keys[1]); err != nil {
				t.Errorf("Forget %q removed %q: %v", keys[0], keys[1], err)
			}
		})
	}
}

// cfg0 is a Config with store and nothing else.
func cfg0(store Store) *Config { return &Config{Store: store} }

// hostileXIDs are XIDs that a server which decodes a path more than once,
// takes a backslash for a slash or drops ";parameters" (lenientPath) could
// read as a path outside the event's collection: another collection, the
// user, the API's root or the token endpoint, with the user's token.
var hostileXIDs = []string{
	"../x", "../../../auth/oauth2/token", "../users/@me/PartnerAppMembership", "a/../../x", "a/..",
	`..\..\x`, `a\..\..\x`, "%2e%2e", "%2e%2e/x", "%2E%2E%2F%2E%2E%2Fx", "%252e%252e%252fx", "%25252e%25252e",
	"..;/..;/x", "..;x/y", ". ./x", ".. /x", " ../x", "./../x", ".%2e/x", "%2e./x", "...", "....//x",
}

// xidMethods returns, by name, every method of *Client whose arguments
// are a context and an event XID, as a function of the Client and the XID
// that runs it to its end (an iterator to its first error).
func xidMethods(t *testing.T) map[string]func(c *Client, xid string) error {
	t.Helper()
	ctxType := reflect.TypeFor[context.Context]()
	errType := reflect.TypeFor[error]()
	out := map[string]func(*Client, string) error{}
	ct := reflect.TypeFor[*Client]()
	for i := range ct.NumMethod() {
		m := ct.Method(i)
		in := m.Type
		if in.NumIn() < 3 || in.In(1) != ctxType || in.In(2).Kind() != reflect.String || m.Name == "Subscribe" {
			continue
		}
		out[m.Name] = func(c *Client, xid string) error {
			args := []reflect.Value{reflect.ValueOf(c), reflect.ValueOf(t.Context()), reflect.ValueOf(xid).Convert(in.In(2))}
			for k := 3; k < in.NumIn(); k++ {
				args = append(args, someUpdate(in.In(k)))
			}
			res := m.Func.Call(args)
			if res[0].Kind() == reflect.Func { // an iterator: run it to its first error
				var err error
				yield := reflect.MakeFunc(res[0].Type().In(0), func(a []reflect.Value) []reflect.Value {
					if e, ok := a[1].Interface().(error); ok {
						err = e
					}
					return []reflect.Value{reflect.ValueOf(false)}
				})
				res[0].Call([]reflect.Value{yield})
				return err
			}
			last := res[len(res)-1]
			if last.Type() != errType {
				t.Fatalf("%s does not end with an error", m.Name)
			}
			err, _ := last.Interface().(error)
			return err
		}
	}
	return out
}

// someUpdate returns a value of an update type with its first pointer
// field set, so that the update is not refused for changing nothing.
func someUpdate(typ reflect.Type) reflect.Value {
	v := reflect.New(typ).Elem()
	if typ.Kind() != reflect.Struct {
		return v
	}
	for i := range typ.NumField() {
		f := v.Field(i)
		if f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.String {
			f.Set(reflect.New(f.Type().Elem()))
			f.Elem().SetString("x")
			return v
		}
	}
	return v
}

// TestAttackXIDStaysInItsCollection calls every method that takes an
// event XID with XIDs that a lax server reads as a path outside the
// event's collection, and checks that each is refused with an *InputError
// before any request, or sent where every reading stays inside the
// collection.
func TestAttackXIDStaysInItsCollection(t *testing.T) {
	t.Parallel()
	const base = "https://example.com" + apiPrefix
	methods := xidMethods(t)
	if len(methods) < 20 {
		t.Fatalf("found only %d methods that take an XID: the scan is broken", len(methods))
	}
	for name, call := range methods {
		// The collection is the segment before a plain XID.
		var got wireRequest
		if err := call(capture(base, &got), "PLAINXID"); !errors.Is(err, errCaptured) {
			t.Fatalf("%s(PLAINXID): %v", name, err)
		}
		u, _ := url.Parse(got.url)
		before, _, ok := strings.Cut(u.EscapedPath(), "/PLAINXID")
		if !ok {
			t.Fatalf("%s sent %s", name, got.url)
		}
		collection := before + "/"
		for _, xid := range hostileXIDs {
			got = wireRequest{}
			err := call(capture(base, &got), xid)
			if !errors.Is(err, errCaptured) {
				var ie *InputError
				if !errors.As(err, &ie) || got.url != "" {
					t.Errorf("%s(%q): %v, want an *InputError or a request", name, xid, err)
				}
				continue
			}
			u, _ := url.Parse(got.url)
			if lax := lenientPath(u.EscapedPath()); !strings.HasPrefix(lax, collection) || len(lax) == len(collection) {
				t.Errorf("%s(%q) sent %s, which a lax server reads as %s, outside %s", name, xid, u.EscapedPath(), lax, collection)
			}
		}
	}
}

// FuzzXIDStaysInItsCollection sends any XID through a getter and an image
// read and checks that it is refused with an *InputError, or sent where
// every lax reading (lenientPath) stays inside the collection.
func FuzzXIDStaysInItsCollection(f *testing.F) {
	for _, xid := range append(slices.Clone(hostileXIDs), xids...) {
		f.Add(xid)
	}
	const base = "https://example.com" + apiPrefix
	const collection = apiPrefix + "/workouts/"
	f.Fuzz(func(t *testing.T, xid string) {
		for _, call := range []func(*Client) error{
			func(c *Client) error { _, _, err := c.Workout(t.Context(), xid); return err },
			func(c *Client) error { _, _, err := c.WorkoutImage(t.Context(), xid); return err },
		} {
			var got wireRequest
			err := call(capture(base, &got))
			if !errors.Is(err, errCaptured) {
				var ie *InputError
				if !errors.As(err, &ie) && !errors.Is(err, errEmptyXID) {
					t.Fatalf("%q: %v, want an *InputError or a request", xid, err)
				}
				continue
			}
			u, err := url.Parse(got.url)
			if err != nil {
				t.Fatalf("%q: sent %q: %v", xid, got.url, err)
			}
			if lax := lenientPath(u.EscapedPath()); !strings.HasPrefix(lax, collection) || len(lax) == len(collection) {
				t.Fatalf("%q: sent %s, which a lax server reads as %s", xid, u.EscapedPath(), lax)
			}
		}
	})
}

// TestAttackEveryCallResendsBounded answers every request with 401 while
// the token endpoint hands out new tokens, and checks that each call stops:
// a write that is not idempotent is sent at most twice (once more after one
// refresh), any other request at most three times, and every resend
// carries a new token.
func TestAttackEveryCallResendsBounded(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		sent  []string // the Authorization of each API request
		fresh int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == tokenPath {
			fresh++
			writeBody(w, http.StatusOK, fmt.Sprintf(`{"access_token":"new-%d","refresh_token":"r-%d","token_type":"Bearer","expires_in":3600}`, fresh, fresh))
			return
		}
		if r.Body != nil {
			_, _ = io.Copy(io.Discard, r.Body)
		}
		sent = append(sent, r.Header.Get("Authorization"))
		writeBody(w, http.StatusUnauthorized, `{"meta":{"code":401,"error_type":"authentication_error"}}`)
	}))
	defer srv.Close()
	cfg := &Config{ClientID: "id", ClientSecret: "cs", BaseURL: srv.URL + apiPrefix, TokenURL: srv.URL + tokenPath}
	for name, ac := range attackCalls(t) {
		mu.Lock()
		sent = nil
		mu.Unlock()
		c := cfg.Client(&oauth2.Token{AccessToken: "old", RefreshToken: "r-0", TokenType: "Bearer"})
		err := ac.run(t.Context(), c)
		mu.Lock()
		got := slices.Clone(sent)
		mu.Unlock()
		limit := 3 // two refreshes, as the Python SDK did
		if !ac.idempotent {
			limit = 2 // one resend at most: a write is never sent a third time
		}
		if len(got) == 0 || len(got) > limit {
			t.Errorf("%s sent %d requests, want 1 to %d: %q", name, len(got), limit, got)
		}
		if len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Errorf("%s resent with a token it had sent before: %q", name, got)
		}
		if name != "HTTPClient" && name != "API" && !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: %v, want ErrUnauthorized", name, err)
		}
	}
}

// TestAttackEveryExchangeChecksStateFirst gives every way to complete a
// login a redirect URL whose state is wrong (or missing) and which carries
// an error, a code, or both: each fails with ErrStateMismatch, before the
// token endpoint is called and without storing anything.
func TestAttackEveryExchangeChecksStateFirst(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		writeBody(w, http.StatusOK, `{"access_token":"a","refresh_token":"r","token_type":"Bearer"}`)
	}))
	defer srv.Close()
	store := NewMemoryStore()
	cfg := &Config{ClientID: "id", ClientSecret: leakClientSecret, BaseURL: srv.URL + apiPrefix, TokenURL: srv.URL + tokenPath, Store: store}
	exchanges := map[string]func(redirect string) error{
		"Exchange": func(r string) error { _, err := cfg.Exchange(t.Context(), r, "right"); return err },
		"ExchangeFor": func(r string) error {
			_, err := cfg.ExchangeFor(t.Context(), "user", r, "right")
			return err
		},
		"ExchangeForUser": func(r string) error {
			_, _, err := cfg.ExchangeForUser(t.Context(), r, "right", func(*User) (string, error) { return "user", nil })
			return err
		},
	}
	redirects := []string{
		"?state=wrong&code=c",
		"?code=c",
		"?state=&code=c",
		"?state=wrong&error=access_denied&error_description=" + url.QueryEscape(leakClientSecret),
		"?error=server_error&code=c",
		"?state=RIGHT&code=c",
		"?state=right%00&code=c",
		"?state=wrong&state=right&code=c",
	}
	for name, exchange := range exchanges {
		for _, q := range redirects {
			err := exchange(testRedirectURL + q)
			if !errors.Is(err, ErrStateMismatch) {
				t.Errorf("%s(%s): %v, want ErrStateMismatch", name, q, err)
			}
			var az *AuthorizationError
			if errors.As(err, &az) {
				t.Errorf("%s(%s): the error of an unchecked redirect was believed: %v", name, q, err)
			}
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("the token endpoint was called %d times", n)
	}
	if _, err := store.Load(t.Context(), "user"); !errors.Is(err, ErrNoToken) {
		t.Errorf("a token was stored: %v", err)
	}
}

// FuzzResumePage resumes a walk at any URL and checks that the request,
// if one is sent, goes to the API's scheme and host, under its base path
// in every lax reading, and that a refused URL is a *NextLinkError.
func FuzzResumePage(f *testing.F) {
	for _, link := range escapingLinks {
		f.Add(link)
	}
	for _, link := range []string{
		"https://example.com:443" + apiPrefix + "/users/@me/moves?page_token=1",
		"https://EXAMPLE.com." + apiPrefix + "/users/@me/moves",
		"https://example.com:" + apiPrefix + "/x",
		"//example.com" + apiPrefix + "/x",
		apiPrefix + "/users/@me/moves#frag",
		"https://u@example.com" + apiPrefix + "/x",
		"https://[::1]" + apiPrefix + "/x",
	} {
		f.Add(link)
	}
	const base = "https://example.com" + apiPrefix
	f.Fuzz(func(t *testing.T, link string) {
		var got wireRequest
		_, err := ResumePage[Move](t.Context(), capture(base, &got), link)
		if !errors.Is(err, errCaptured) {
			var ne *NextLinkError
			if got.url != "" || (!errors.As(err, &ne) && !errors.Is(err, ErrPaginationLoop)) {
				t.Fatalf("%q: %v (sent %q), want a *NextLinkError and no request", link, err, got.url)
			}
			return
		}
		u, err := url.Parse(got.url)
		if err != nil {
			t.Fatalf("%q: sent %q: %v", link, got.url, err)
		}
		if u.Scheme != "https" || u.Host != "example.com" && u.Host != "example.com:443" || u.User != nil || !underBase(u, apiPrefix) {
			t.Fatalf("%q: sent %s", link, got.url)
		}
	})
}
