package up

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// The fuzz targets of hostile servers: each feeds text a server controls
// (a header, a body, a URL) and checks a property that must hold for any
// of it: no secret in an error, a URL that stays under the base path,
// bounded reading, no panic.

// quoteSecret writes secret into template in place of each "$S", in the
// encoding which picks from encodings; a template without "$S" gets the
// quote at its end.
func quoteSecret(template string, which uint8, secret string) string {
	q := encodings[int(which)%len(encodings)].enc(secret)
	if !strings.Contains(template, "$S") {
		return template + q
	}
	return strings.ReplaceAll(template, "$S", q)
}

// noSecretIn fails if any text of err shows one of the secrets in any
// encoding.
func noSecretIn(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, text := range errorTexts(err) {
		for _, sec := range secrets {
			if found := leaks(text, sec); len(found) > 0 {
				t.Fatalf("%q shows %q as %v", text, sec, found)
			}
		}
	}
}

// FuzzRetryAfter reads any Retry-After value. Every value read is a wait
// in [0, MaxRetryAfter]; a value of digits only is read, as that many
// seconds capped at MaxRetryAfter (checked with big integers); and a 429
// carrying the value reports the same wait.
func FuzzRetryAfter(f *testing.F) {
	for _, v := range []string{"3", "0", "9223372037", "99999999999999999999999", "-1", "+5", "1e9", " 7 ",
		"Tue, 24 Nov 2026 12:00:30 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT", "soon"} {
		f.Add(v)
	}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		h := http.Header{}
		h.Set("Retry-After", v)
		d, ok := retryAfter(h, now)
		if d < 0 || d > MaxRetryAfter || (!ok && d != 0) {
			t.Fatalf("Retry-After %q = %v, %v", v, d, ok)
		}
		digits := strings.Trim(h.Get("Retry-After"), " \t")
		if digits != "" && strings.Trim(digits, "0123456789") == "" {
			n, _ := new(big.Int).SetString(digits, 10)
			want := MaxRetryAfter
			if n.Cmp(big.NewInt(int64(MaxRetryAfter/time.Second))) < 0 {
				want = time.Duration(n.Int64()) * time.Second
			}
			if !ok || d != want {
				t.Fatalf("Retry-After %q = %v, %v; want %v", v, d, ok, want)
			}
		}
		req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "https://jawbone.com/nudge/api/v.1.1/users/@me", nil)
		resp := textResponse(req, http.StatusTooManyRequests, `{"meta":{"code":429}}`)
		defer func() { _ = resp.Body.Close() }()
		resp.Header = h
		var rl *RateLimitError
		if err := checkResponse(resp); !errors.As(err, &rl) || rl.RetryAfter < 0 || rl.RetryAfter > MaxRetryAfter {
			t.Fatalf("429 with Retry-After %q: %v", v, err)
		}
	})
}

// FuzzRedactSecret quotes a secret, in any of the encodings, inside any
// text, and redacts it. No encoding of the secret is left, and redacting
// the result again finds nothing more. Secrets are eighteen characters or
// more (as tokens and client secrets are), so that what is left of one an
// escape before it swallowed is still found, without %, \ or & (which
// redactor does not promise to find where the text splits their escapes),
// and without the characters of "[redacted]", so that a secret cannot be
// made up of the marker and its neighbors.
func FuzzRedactSecret(f *testing.F) {
	f.Add("CS-s3cr3t Zq9+Xy/Wv=Kd", "error: $S.", uint8(1))
	f.Add("AT-4cc3ss+Tok/En=Zz~9", `{"error_description":"$S"}`, uint8(11))
	f.Add("AT-4cc3ss+Tok/En=Zz~9", "/nudge/api/v.1.1/%2", uint8(1))
	f.Add("00 0000000000000000", "ǚ%", uint8(7))
	f.Add("ü€𝄞 0123456789", "<p>$S</p>", uint8(13))
	f.Add(`"/ 0123456789`, `"$S"`, uint8(9))
	f.Fuzz(func(t *testing.T, secret, template string, which uint8) {
		secret = strings.Map(func(r rune) rune {
			if strings.ContainsRune("[redacted]%\\&", r) {
				return -1
			}
			return r
		}, secret)
		if len(secret) < maxSwallowed+minRemnant || len(secret) > 64 || len(template) > 512 {
			return
		}
		text := quoteSecret(template, which, secret)
		out := redactSecrets(text, secret)
		if found := leaks(out, secret); len(found) > 0 {
			t.Fatalf("redacting %q from %q left %v: %q", secret, text, found, out)
		}
		if again := redactSecrets(out, secret); again != out {
			t.Fatalf("redacting %q again changed %q to %q", secret, out, again)
		}
	})
}

// FuzzErrorBodySecrets serves a body quoting a secret, in any encoding,
// with any error status, to a Client, and checks that the error shows
// none of the Client's secrets and is an *APIError of that status.
func FuzzErrorBodySecrets(f *testing.F) {
	f.Add(`{"meta":{"code":400,"error_detail":"token $S"}}`, uint8(0), uint8(0), uint16(400))
	f.Add(`{"meta":{"code":401,"message":"$S"}}`, uint8(3), uint8(1), uint16(401))
	f.Add(`<html>$S</html>`, uint8(11), uint8(2), uint16(502))
	f.Add(`{"meta":{"code":429}} $S`, uint8(16), uint8(0), uint16(429))
	f.Fuzz(func(t *testing.T, template string, which, whose uint8, status uint16) {
		secrets := []string{leakClientSecret, leakAccess, leakRefresh}
		body := quoteSecret(template, which, secrets[int(whose)%len(secrets)])
		code := 400 + int(status)%200
		if code == http.StatusUnauthorized {
			code = http.StatusForbidden // a 401 would refresh; this target is about the body
		}
		cfg := &Config{ClientSecret: leakClientSecret, HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return textResponse(r, code, body), nil
		})}}
		c := cfg.Client(&oauth2.Token{AccessToken: leakAccess, RefreshToken: leakRefresh})
		_, _, err := c.User(context.Background())
		var ae *APIError
		if !errors.As(err, &ae) || ae.StatusCode != code {
			t.Fatalf("status %d gave %v", code, err)
		}
		noSecretIn(t, err, secrets...)
	})
}

// FuzzTokenAnswerSecrets feeds the token endpoint's answer, quoting a
// secret in any encoding, to the code exchange and to a refresh. A refusal
// shows neither the client secret nor the grant (code or refresh token)
// nor the tokens the answer names, and its text is clean.
func FuzzTokenAnswerSecrets(f *testing.F) {
	f.Add(`{"error":"invalid_grant","error_description":"refresh $S refused"}`, uint8(1), uint8(0), uint16(400))
	f.Add(`{"error":"$S"}`, uint8(10), uint8(1), uint16(401))
	f.Add(`<html>$S</html>`, uint8(2), uint8(2), uint16(500))
	f.Add(`{"access_token":"x","token_type":"Bearer","expires_in":"$S"}`, uint8(0), uint8(0), uint16(200))
	f.Fuzz(func(t *testing.T, template string, which, whose uint8, status uint16) {
		secrets := []string{leakClientSecret, leakRefresh, leakCode}
		body := quoteSecret(template, which, secrets[int(whose)%len(secrets)])
		code := 200 + int(status)%400
		cfg := &Config{ClientSecret: leakClientSecret, RedirectURL: testRedirectURL, HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return textResponse(r, code, body), nil
		})}}
		_, err := cfg.Exchange(context.Background(), testRedirectURL+"?state=s&code="+url.QueryEscape(leakCode), "s")
		if err != nil {
			noSecretIn(t, err, leakClientSecret, leakCode)
		}
		_, err = cfg.Client(&oauth2.Token{AccessToken: leakAccess, RefreshToken: leakRefresh}).Refresh(context.Background())
		if err != nil {
			noSecretIn(t, err, leakClientSecret, leakRefresh, leakAccess)
			var te *TokenError
			if errors.As(err, &te) {
				checkCleanText(t, te.Code)
				checkCleanText(t, te.Description)
			}
		}
	})
}

// FuzzRedirectLocation answers a read and a write with any redirect status
// and any Location, which may quote the access token. A write is never
// redirected; a read is followed to the API's host only under the base
// path however a lax server reads it, and elsewhere only without the token;
// and no error shows a secret.
func FuzzRedirectLocation(f *testing.F) {
	for _, loc := range append([]string{
		"/nudge/api/v.1.1/landing", "https://jawbone.com/nudge/api/v.1.1/x?t=$S", "/auth/oauth2/token",
		"https://evil.example/$S", "//evil.example/x", "http://jawbone.com/nudge/api/v.1.1/x", "/nudge/api/v.1.1/$S",
	}, escapingLinks...) {
		f.Add(loc, uint8(0), uint8(2))
	}
	f.Fuzz(func(t *testing.T, location string, which, status uint8) {
		location = quoteSecret(location, which, leakAccess)
		code := []int{301, 302, 303, 307, 308}[int(status)%5]
		base, _ := url.Parse(DefaultBaseURL)
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			var followed []*http.Request
			cfg := &Config{ClientSecret: leakClientSecret, HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if r.URL.Path == "/nudge/api/v.1.1/users/@me" || r.URL.Path == "/nudge/api/v.1.1/users/@me/workouts" {
					resp := textResponse(r, code, "")
					resp.Header.Set("Location", location)
					return resp, nil
				}
				followed = append(followed, r)
				return textResponse(r, http.StatusNotFound, `{"meta":{"code":404}}`), nil
			})}}
			c := cfg.Client(&oauth2.Token{AccessToken: leakAccess, RefreshToken: leakRefresh})
			var err error
			if method == http.MethodGet {
				_, _, err = c.User(context.Background())
			} else {
				_, _, err = c.CreateWorkout(context.Background(), WorkoutCreate{SubType: 1, TimeCreated: Ptr(Epoch(1)), TimeCompleted: Ptr(Epoch(2))})
			}
			if err == nil {
				t.Fatalf("%s redirected to %q succeeded", method, location)
			}
			noSecretIn(t, err, leakClientSecret, leakAccess, leakRefresh)
			if method == http.MethodPost && len(followed) > 0 {
				t.Fatalf("a POST answered %d was sent again to %s", code, followed[0].URL)
			}
			for _, r := range followed {
				auth := r.Header.Get("Authorization")
				if hostKey(r.URL) == hostKey(base) && !underBase(r.URL, base.EscapedPath()) {
					t.Fatalf("followed %q to %s on the API's host, outside the base path", location, r.URL)
				}
				if hostKey(r.URL) != hostKey(base) && auth != "" {
					t.Fatalf("sent the token to %s", r.URL)
				}
			}
		}
	})
}

// FuzzNextLinkSecrets serves a page whose next link is any text, which may
// quote the access token. However the walk ends, its error shows no
// secret, and every request it sends stays under the base path.
func FuzzNextLinkSecrets(f *testing.F) {
	for _, next := range append([]string{
		"/nudge/api/v.1.1/users/@me/moves?page_token=$S", "https://evil.example/$S", "/elsewhere/$S",
		"/nudge/api/v.1.1/users/@me/moves/$S",
	}, escapingLinks...) {
		f.Add(next, uint8(1))
	}
	f.Fuzz(func(t *testing.T, next string, which uint8) {
		next = quoteSecret(next, which, leakAccess)
		link, _ := json.Marshal(next)
		base, _ := url.Parse(DefaultBaseURL)
		requests, strayed := 0, ""
		cfg := &Config{ClientSecret: leakClientSecret, HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			requests++
			if !underBase(r.URL, base.EscapedPath()) || hostKey(r.URL) != hostKey(base) {
				strayed = r.URL.String()
			}
			if requests > 1 {
				return textResponse(r, http.StatusInternalServerError, `{"meta":{"code":500}}`), nil
			}
			return textResponse(r, http.StatusOK, `{"meta":{"code":200},"data":{"items":[],"links":{"next":`+string(link)+`}}}`), nil
		})}}
		c := cfg.Client(&oauth2.Token{AccessToken: leakAccess, RefreshToken: leakRefresh})
		for _, err := range c.Moves(context.Background(), ListQuery{}) {
			if err != nil {
				noSecretIn(t, err, leakClientSecret, leakAccess, leakRefresh)
			}
		}
		if strayed != "" {
			t.Fatalf("next link %q led to a request to %s, which leaves the API", next, strayed)
		}
	})
}

// FuzzBodyLimit serves any 2xx body, repeated without end or once, to a
// Client with a small MaxResponseBytes. An endless body fails with a
// *ResponseTooLargeError or, when it stops being JSON first, a
// *DecodeError, having read at most the limit, one byte and a drain; a body
// within the limit is decoded exactly as without one.
func FuzzBodyLimit(f *testing.F) {
	f.Add([]byte(`{"meta":{"code":200},"data":{"items":[`), []byte(`{"xid":"a"},`), uint16(1000))
	f.Add([]byte(`{"meta":{"code":200},"data":{"xid":"x","first":"a","last":"b"}}`), []byte(` `), uint16(10))
	f.Add([]byte(``), []byte(`[`), uint16(100))
	f.Fuzz(func(t *testing.T, head, body []byte, limit uint16) {
		lim := int64(limit) + 1
		if len(body) == 0 {
			body = []byte(" ")
		}
		var read atomic.Int64
		endless := &endless{head: string(head), body: string(body), read: &read}
		cfg := &Config{MaxResponseBytes: lim, HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			resp := textResponse(r, http.StatusOK, "")
			resp.Body = io.NopCloser(endless)
			return resp, nil
		})}}
		_, _, err := cfg.ClientFromAccessToken("fuzz-access-token-0123456789").User(context.Background())
		var de *DecodeError
		if err != nil && !errors.Is(err, ErrResponseTooLarge) && !errors.As(err, &de) {
			t.Fatalf("endless body: %v", err)
		}
		if n := read.Load(); n > lim+1+maxDrain {
			t.Fatalf("read %d bytes with a limit of %d", n, lim)
		}

		// The head alone, within the limit or not.
		cfg.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return textResponse(r, http.StatusOK, string(head)), nil
		})}
		got, _, err := cfg.ClientFromAccessToken("fuzz-access-token-0123456789").User(context.Background())
		var want envelope[User]
		wantErr := json.NewDecoder(bytes.NewReader(head)).Decode(&want)
		switch {
		case int64(len(head)) <= lim && (wantErr == nil) != (err == nil):
			t.Fatalf("within the limit: %v, without a limit: %v", err, wantErr)
		case int64(len(head)) <= lim && err == nil && !reflect.DeepEqual(*got, want.Data):
			t.Fatalf("decoded %+v, without a limit %+v", *got, want.Data)
		case err != nil && !errors.Is(err, ErrResponseTooLarge) && !errors.As(err, &de):
			t.Fatalf("error %v", err)
		}
	})
}

// FuzzWebhookReplay delivers any signed notification twice to a handler
// that drops repeats and whose Handle panics, logging to a buffer. The
// process survives; the second delivery hands Handle no event; the events
// handed over are distinct; and the log never shows the client secret.
func FuzzWebhookReplay(f *testing.F) {
	f.Add("u", "x", "move", ActionCreation, int64(1), uint8(2))
	f.Add("u", "", "", "enter_sleep_mode", int64(1386122022), uint8(1))
	f.Add(leakClientSecret, url.QueryEscape(leakClientSecret), "t", "a", int64(-1), uint8(5))
	f.Fuzz(func(t *testing.T, user, xid, typ, action string, ts int64, n uint8) {
		var logs syncBuffer
		var handled []WebhookEvent
		h := &WebhookHandler{ClientID: testClientID, ClientSecret: leakClientSecret, Dedupe: 8, MaxConcurrent: 1,
			Logger: slog.New(slog.NewTextHandler(&logs, nil)),
			Handle: func(_ context.Context, note *Notification) {
				handled = append(handled, note.Events...)
				panic("handling failed for " + user + " with " + leakClientSecret)
			}}
		var events []hookEvent
		for i := range int(n%4) + 1 {
			events = append(events, hookEvent{User: user, XID: xid, Type: typ, Action: action, Time: ts + int64(i%2)})
		}
		body := notificationBody(testClientID, leakClientSecret, events...)
		first := postHook(t, h, body)
		if err := h.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		before := len(handled)
		second := postHook(t, h, body)
		if err := h.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		if first == http.StatusOK && (second != http.StatusOK || len(handled) != before) {
			t.Fatalf("the replay got %d and handed over %d more events", second, len(handled)-before)
		}
		seen := map[uint64]bool{}
		for _, e := range handled {
			k := h.seen.key(e)
			if seen[k] {
				t.Fatalf("event %+v handed over twice", e)
			}
			seen[k] = true
		}
		if found := leaks(logs.String(), leakClientSecret); len(found) > 0 {
			t.Fatalf("the log shows the client secret as %v", found)
		}
	})
}
