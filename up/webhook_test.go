package up_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upapi/up-go/up"
)

// received collects the notifications a WebhookHandler hands over.
type received struct {
	mu sync.Mutex
	ns []*up.Notification
	ch chan struct{}
}

func newReceived() *received { return &received{ch: make(chan struct{}, 100)} }

func (r *received) handle(_ context.Context, n *up.Notification) {
	r.mu.Lock()
	r.ns = append(r.ns, n)
	r.mu.Unlock()
	r.ch <- struct{}{}
}

func (r *received) all() []*up.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*up.Notification(nil), r.ns...)
}

// TestWebhookEndToEnd registers a webhook with the fake, creates and
// deletes a workout, and checks that the handler receives both changes.
func TestWebhookEndToEnd(t *testing.T) {
	t.Parallel()
	s, c := fakeClient(t, nil)
	got := newReceived()
	h := up.NewWebhookHandler(fakeConfig(s), got.handle)
	hook := httptest.NewServer(h)
	defer hook.Close()
	ctx := t.Context()
	if _, err := c.Subscribe(ctx, hook.URL+"/up"); err != nil {
		t.Fatal(err)
	}
	now := up.EpochOf(time.Now())
	w, _, err := c.CreateWorkout(ctx, up.WorkoutCreate{SubType: 14, TimeCreated: up.Ptr(now - 600), TimeCompleted: up.Ptr(now)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteWorkout(ctx, w.XID); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitNotifications(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, n := range got.all() {
		for _, e := range n.Events {
			if e.EventXID != w.XID || e.Type != "workout" || e.UserXID != s.UserXID() || e.Time.IsZero() || e.IsBandEvent() {
				t.Errorf("event %+v", e)
			}
			actions = append(actions, e.Action)
		}
	}
	if strings.Join(actions, ",") != up.ActionCreation+","+up.ActionDeletion {
		t.Errorf("actions %v, want creation then deletion", actions)
	}
	if _, err := c.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestWebhookRejects checks every way a notification is refused, and that
// the user's code never sees a refused one.
func TestWebhookRejects(t *testing.T) {
	t.Parallel()
	const id, secret = "client-id", "client-secret"
	good := up.WebhookSecretHash(id, secret)
	notification := func(hash string) string {
		return fmt.Sprintf(`{"notification_timestamp":"1372787949","events":[{"user_xid":"u","event_xid":"e","type":"move","action":"creation","timestamp":1372787849,"secret_hash":%q}]}`, hash)
	}
	form := func(doc string) (string, string) {
		return "application/x-www-form-urlencoded", url.Values{"file": {doc}}.Encode()
	}
	tests := []struct {
		name        string
		method      string
		contentType string
		body        string
		status      int
	}{
		{"valid form", http.MethodPost, "", "", http.StatusOK},
		{"forged hash", http.MethodPost, "", notification(strings.Repeat("0", 64)), http.StatusForbidden},
		{"another app's notification", http.MethodPost, "", notification(up.WebhookSecretHash(id, "another-secret")), http.StatusForbidden},
		{"no hash", http.MethodPost, "", strings.Replace(notification(""), `,"secret_hash":""`, "", 1), http.StatusForbidden},
		{"one forged event among good ones", http.MethodPost, "application/json",
			fmt.Sprintf(`{"events":[{"user_xid":"u","action":"enter_sleep_mode","secret_hash":%q},{"user_xid":"u","action":"exit_sleep_mode","secret_hash":"x"}]}`, good),
			http.StatusForbidden},
		{"malformed JSON", http.MethodPost, "", `{"events":[`, http.StatusBadRequest},
		{"trailing data", http.MethodPost, "application/json", notification(good) + "{}", http.StatusBadRequest},
		{"trailing bracket", http.MethodPost, "application/json", notification(good) + "]", http.StatusBadRequest},
		{"no events", http.MethodPost, "application/json", `{"notification_timestamp":1}`, http.StatusBadRequest},
		{"bad timestamp", http.MethodPost, "application/json", strings.Replace(notification(good), `1372787849`, `"soon"`, 1), http.StatusBadRequest},
		{"form without file", http.MethodPost, "application/x-www-form-urlencoded", "other=1", http.StatusBadRequest},
		{"oversized", http.MethodPost, "application/json", `{"events":[],"pad":"` + strings.Repeat("a", up.DefaultWebhookMaxBody) + `"}`, http.StatusRequestEntityTooLarge},
		{"GET", http.MethodGet, "", "", http.StatusMethodNotAllowed},
		{"XML", http.MethodPost, "application/xml", "<x/>", http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := newReceived()
			h := &up.WebhookHandler{ClientID: id, ClientSecret: secret, Handle: got.handle}
			ct, body := tt.contentType, tt.body
			if ct == "" && tt.method == http.MethodPost {
				doc := body
				if doc == "" {
					doc = notification(good)
				}
				ct, body = form(doc)
			}
			req := httptest.NewRequestWithContext(t.Context(), tt.method, "/up", strings.NewReader(body))
			req.Header.Set("Content-Type", ct)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d (%s), want %d", rec.Code, strings.TrimSpace(rec.Body.String()), tt.status)
			}
			if err := h.Wait(t.Context()); err != nil {
				t.Fatal(err)
			}
			if n := len(got.all()); (tt.status == http.StatusOK) != (n == 1) {
				t.Errorf("handler called %d times for a %d", n, tt.status)
			}
		})
	}
}

// TestWebhookFormats checks the three ways a notification may arrive and
// the decoding of both timestamp forms.
func TestWebhookFormats(t *testing.T) {
	t.Parallel()
	const id, secret = "id", "secret"
	doc := fmt.Sprintf(`{"notification_timestamp":1379364954,"events":[{"action":"enter_sleep_mode","timestamp":"1379364951","user_xid":"RGaCBFg9CsB83FsEcMY44A","secret_hash":%q}]}`,
		strings.ToUpper(up.WebhookSecretHash(id, secret)))
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	fw, _ := mw.CreateFormFile("file", "notification.json")
	_, _ = fw.Write([]byte(doc))
	_ = mw.Close()
	for name, body := range map[string]struct{ ct, body string }{
		"raw JSON":       {"application/json", doc},
		"urlencoded":     {"application/x-www-form-urlencoded", url.Values{"file": {doc}}.Encode()},
		"multipart file": {mw.FormDataContentType(), mp.String()},
	} {
		t.Run(name, func(t *testing.T) {
			got := newReceived()
			h := &up.WebhookHandler{ClientID: id, ClientSecret: secret, Handle: got.handle}
			req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/", strings.NewReader(body.body))
			req.Header.Set("Content-Type", body.ct)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			<-got.ch
			n := got.all()[0]
			e := n.Events[0]
			if !n.Time.Equal(time.Unix(1379364954, 0)) || !e.Time.Equal(time.Unix(1379364951, 0)) || !e.IsBandEvent() || e.Action != "enter_sleep_mode" {
				t.Errorf("notification %+v, event %+v", n, e)
			}
		})
	}
}

// TestWebhookBusy checks that a handler already running MaxConcurrent
// notifications answers 503, so that UP tries again, and that a slow
// Handle does not hold up the answer.
func TestWebhookBusy(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	h := &up.WebhookHandler{ClientID: "id", ClientSecret: "secret", MaxConcurrent: 1,
		Handle: func(context.Context, *up.Notification) { started <- struct{}{}; <-release }}
	doc := fmt.Sprintf(`{"events":[{"user_xid":"u","action":"exit_sleep_mode","secret_hash":%q}]}`, up.WebhookSecretHash("id", "secret"))
	post := func() int {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/", strings.NewReader(doc))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := post(); code != http.StatusOK {
		t.Fatalf("first: %d", code)
	}
	<-started
	if code := post(); code != http.StatusServiceUnavailable {
		t.Errorf("second while the first runs: %d, want 503", code)
	}
	close(release)
	if err := h.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if code := post(); code != http.StatusOK {
		t.Errorf("after: %d", code)
	}
	<-started
}
