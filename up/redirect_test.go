package up

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// landing records the requests that reached a redirect's target.
type landing struct {
	mu   sync.Mutex
	hits []string // "METHOD path (Authorization)"
}

func (l *landing) record(r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hits = append(l.hits, r.Method+" "+r.URL.EscapedPath()+" ("+r.Header.Get("Authorization")+")")
}

func (l *landing) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hits = nil
}

func (l *landing) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.hits...)
}

// TestRedirectPolicy answers a write and a read with each redirect status,
// to targets on the API's host under the base path, on that host outside
// it (plainly and through encoded dot segments) and on another host. A
// write is never redirected: its call fails with an *APIError of the
// status and the target receives nothing. A read follows a redirect under
// the base path with the token and one to another host without it, and
// refuses any other.
func TestRedirectPolicy(t *testing.T) {
	t.Parallel()
	const access = "access-redirect-policy-8080"
	var landed landing
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		landed.record(r)
		writeBody(w, http.StatusOK, `{"meta":{"code":200},"data":{"xid":"other"}}`)
	}))
	defer other.Close()
	var (
		mu     sync.Mutex
		target string // where the API redirects, and with which status,
		status int    // set by each case
	)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.EscapedPath(), apiPrefix+"/landing") || !strings.HasPrefix(r.URL.EscapedPath(), apiPrefix+"/") {
			landed.record(r)
			writeBody(w, http.StatusOK, `{"meta":{"code":200},"data":{"xid":"landed"}}`)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Location", target)
		w.WriteHeader(status)
	}))
	defer api.Close()

	type outcome int
	const (
		followedWithToken outcome = iota
		followedWithoutToken
		refused
	)
	targets := []struct {
		name     string
		location string
		read     outcome
	}{
		{"under the base path", apiPrefix + "/landing", followedWithToken},
		{"absolute, under the base path", api.URL + apiPrefix + "/landing", followedWithToken},
		{"outside the base path", "/auth/oauth2/token", refused},
		{"encoded dot segments", apiPrefix + "/%2e%2e/%2e%2e/%2e%2e/auth/oauth2/token", refused},
		{"not in normal form", apiPrefix + "/%6Canding", refused},
		{"another host", other.URL + "/landing", followedWithoutToken},
	}
	writes := map[string]func(ctx context.Context, c *Client) error{
		"POST": func(ctx context.Context, c *Client) error {
			_, _, err := c.CreateWorkout(ctx, WorkoutCreate{SubType: 1, TimeCreated: Ptr(Epoch(1384963500)), TimeCompleted: Ptr(Epoch(1384967100))})
			return err
		},
		"DELETE": func(ctx context.Context, c *Client) error { _, err := c.DeleteWorkout(ctx, "xid"); return err },
	}
	c := (&Config{BaseURL: api.URL + apiPrefix}).ClientFromAccessToken(access)
	for _, code := range []int{301, 302, 303, 307, 308} {
		for _, tg := range targets {
			mu.Lock()
			target, status = tg.location, code
			mu.Unlock()

			for method, write := range writes {
				landed.reset()
				err := write(t.Context(), c)
				var ae *APIError
				if !errors.As(err, &ae) || ae.StatusCode != code || ae.Method != method {
					t.Errorf("%s answered %d to %s: error %v, want an *APIError %d", method, code, tg.name, err, code)
				}
				if hits := landed.get(); len(hits) != 0 {
					t.Errorf("%s answered %d to %s was redirected: %q", method, code, tg.name, hits)
				}
			}

			landed.reset()
			user, _, err := c.User(t.Context())
			hits := landed.get()
			switch tg.read {
			case followedWithToken:
				if err != nil || user.XID != "landed" || len(hits) != 1 || !strings.HasSuffix(hits[0], "(Bearer "+access+")") {
					t.Errorf("GET answered %d to %s: %v, %v, landed %q; want followed with the token", code, tg.name, user, err, hits)
				}
			case followedWithoutToken:
				if err != nil || user.XID != "other" || len(hits) != 1 || !strings.HasSuffix(hits[0], "()") {
					t.Errorf("GET answered %d to %s: %v, %v, landed %q; want followed without the token", code, tg.name, user, err, hits)
				}
			case refused:
				var ae *APIError
				if !errors.As(err, &ae) || ae.StatusCode != code || len(hits) != 0 {
					t.Errorf("GET answered %d to %s: %v, landed %q; want an *APIError %d and no request", code, tg.name, err, hits, code)
				}
			}
		}
	}
}

// TestRedirectPolicyKeepsCallersPolicy checks that Config.HTTPClient's own
// CheckRedirect still decides the redirects the Client's policy allows.
func TestRedirectPolicyKeepsCallersPolicy(t *testing.T) {
	t.Parallel()
	var asked int
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/landing") {
			writeBody(w, http.StatusOK, `{"meta":{"code":200},"data":{"xid":"landed"}}`)
			return
		}
		http.Redirect(w, r, apiPrefix+"/landing", http.StatusFound)
	}))
	defer api.Close()
	stop := errors.New("caller's policy says no")
	cfg := &Config{BaseURL: api.URL + apiPrefix, HTTPClient: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		asked++
		return stop
	}}}
	_, _, err := cfg.ClientFromAccessToken("tok").User(t.Context())
	if !errors.Is(err, stop) || asked != 1 {
		t.Errorf("error %v after asking the caller's policy %d times", err, asked)
	}
}
