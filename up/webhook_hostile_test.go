package up

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// hookEvent is an event of a notification the tests post, signed with the
// tests' credentials.
type hookEvent struct {
	User, XID, Type, Action string
	Time                    int64
}

// notificationBody writes a notification of events, signed for clientID
// and secret.
func notificationBody(clientID, secret string, events ...hookEvent) string {
	var list []map[string]any
	for _, e := range events {
		m := map[string]any{"user_xid": e.User, "action": e.Action, "timestamp": e.Time, "secret_hash": WebhookSecretHash(clientID, secret)}
		if e.XID != "" {
			m["event_xid"], m["type"] = e.XID, e.Type
		}
		list = append(list, m)
	}
	b, _ := json.Marshal(map[string]any{"notification_timestamp": 1386122022, "events": list})
	return string(b)
}

// postHook posts body to h as UP does, and returns the status.
func postHook(t *testing.T, h http.Handler, body string) int {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/up", strings.NewReader(url.Values{"file": {body}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWebhookHandlePanicRecovered has Handle panic with the client secret
// in its message: the process lives on, the panic is logged without the
// secret in any encoding, and the handler goes on handling notifications.
func TestWebhookHandlePanicRecovered(t *testing.T) {
	var logs syncBuffer
	var calls atomic.Int32
	h := &WebhookHandler{
		ClientID: testClientID, ClientSecret: leakClientSecret, MaxConcurrent: 1,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
		Handle: func(context.Context, *Notification) {
			if calls.Add(1) == 1 {
				panic(fmt.Sprintf("cannot use %s (%s, %s)", leakClientSecret, url.QueryEscape(leakClientSecret), mixed(leakClientSecret)))
			}
		},
	}
	body := notificationBody(testClientID, leakClientSecret, hookEvent{User: "u", XID: "x", Type: "move", Action: ActionCreation, Time: 1})
	for range 2 {
		if code := postHook(t, h, body); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
		if err := h.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if calls.Load() != 2 {
		t.Errorf("Handle called %d times, want 2: the panic stopped the handler", calls.Load())
	}
	out := logs.String()
	if !strings.Contains(out, "Handle panicked") || !strings.Contains(out, "cannot use") || !strings.Contains(out, "goroutine") {
		t.Errorf("the panic was not logged with its stack: %s", out)
	}
	if found := leaks(out, leakClientSecret); len(found) > 0 {
		t.Errorf("the log shows the client secret as %v: %s", found, out)
	}
}

// panickingBody is a request body whose Read panics.
type panickingBody struct{ msg string }

func (b panickingBody) Read([]byte) (int, error) { panic(b.msg) }
func (panickingBody) Close() error               { return nil }

// TestWebhookReadPanicAnswers500 has reading the request panic: the
// handler answers 500 and logs the panic without the secret.
func TestWebhookReadPanicAnswers500(t *testing.T) {
	var logs syncBuffer
	h := &WebhookHandler{
		ClientID: testClientID, ClientSecret: leakClientSecret,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Handle: func(context.Context, *Notification) { t.Error("Handle called") },
	}
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/up", nil)
	req.Body = panickingBody{msg: "broken body " + url.PathEscape(leakClientSecret)}
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", rec.Code)
	}
	out := logs.String()
	if !strings.Contains(out, "panic while reading") || len(leaks(out, leakClientSecret)) > 0 {
		t.Errorf("log: %s", out)
	}
}

// dedupeHandler returns a handler that drops repeats among the last n
// events, and the events it handed to Handle, in order.
func dedupeHandler(n int) (*WebhookHandler, func() []WebhookEvent) {
	var mu sync.Mutex
	var got []WebhookEvent
	h := &WebhookHandler{ClientID: testClientID, ClientSecret: testClientSecret, Dedupe: n,
		Handle: func(_ context.Context, note *Notification) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, note.Events...)
		}}
	return h, func() []WebhookEvent {
		if err := h.Wait(context.Background()); err != nil {
			panic(err)
		}
		mu.Lock()
		defer mu.Unlock()
		out := got
		got = nil
		return out
	}
}

func TestWebhookDedupe(t *testing.T) {
	h, handled := dedupeHandler(100)
	created := hookEvent{User: "u1", XID: "w1", Type: "workout", Action: ActionCreation, Time: 100}
	updated := hookEvent{User: "u1", XID: "w1", Type: "workout", Action: ActionUpdation, Time: 100}
	later := hookEvent{User: "u1", XID: "w1", Type: "workout", Action: ActionUpdation, Time: 200}
	other := hookEvent{User: "u2", XID: "w1", Type: "workout", Action: ActionCreation, Time: 100}
	band := hookEvent{User: "u1", Action: "enter_sleep_mode", Time: 100}
	bandLater := hookEvent{User: "u1", Action: "enter_sleep_mode", Time: 101}
	post := func(events ...hookEvent) []WebhookEvent {
		if code := postHook(t, h, notificationBody(testClientID, testClientSecret, events...)); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
		return handled()
	}
	xids := func(es []WebhookEvent) string {
		var s []string
		for _, e := range es {
			s = append(s, fmt.Sprintf("%s/%s/%s/%d", e.UserXID, e.EventXID, e.Action, e.Time.Unix()))
		}
		return strings.Join(s, " ")
	}
	for _, tt := range []struct {
		name   string
		events []hookEvent
		want   string
	}{
		{"first", []hookEvent{created, band}, "u1/w1/creation/100 u1//enter_sleep_mode/100"},
		{"replayed", []hookEvent{created, band}, ""},
		{"replayed in another order", []hookEvent{band, created}, ""},
		{"another action, time, user or band time", []hookEvent{updated, later, other, bandLater}, "u1/w1/updation/100 u1/w1/updation/200 u2/w1/creation/100 u1//enter_sleep_mode/101"},
		{"repeat within one notification", []hookEvent{{User: "u3", XID: "m", Type: "meal", Action: ActionDeletion, Time: 5}, {User: "u3", XID: "m", Type: "meal", Action: ActionDeletion, Time: 5}}, "u3/m/deletion/5"},
		{"old and new together", []hookEvent{created, {User: "u1", XID: "w2", Type: "workout", Action: ActionCreation, Time: 300}}, "u1/w2/creation/300"},
	} {
		if got := xids(post(tt.events...)); got != tt.want {
			t.Errorf("%s: handled %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestWebhookDedupeAfterBusy checks that a notification refused with 503
// is not remembered: UP's retry is handled.
func TestWebhookDedupeAfterBusy(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	h := &WebhookHandler{ClientID: testClientID, ClientSecret: testClientSecret, Dedupe: 10, MaxConcurrent: 1,
		Handle: func(context.Context, *Notification) { calls.Add(1); <-release }}
	first := notificationBody(testClientID, testClientSecret, hookEvent{User: "u", XID: "a", Type: "move", Action: ActionCreation, Time: 1})
	second := notificationBody(testClientID, testClientSecret, hookEvent{User: "u", XID: "b", Type: "move", Action: ActionCreation, Time: 1})
	if code := postHook(t, h, first); code != http.StatusOK {
		t.Fatal(code)
	}
	if code := postHook(t, h, second); code != http.StatusServiceUnavailable {
		t.Fatalf("second while busy: %d, want 503", code)
	}
	close(release)
	if err := h.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if code := postHook(t, h, second); code != http.StatusOK {
		t.Fatal(code)
	}
	if err := h.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Errorf("Handle called %d times, want 2: the retry after 503 was dropped", calls.Load())
	}
}

// TestWebhookDedupeBounded sends many more distinct events than the handler
// remembers: it never remembers more than Dedupe, an event pushed out is
// handled again, and a recent one is still dropped.
func TestWebhookDedupeBounded(t *testing.T) {
	const capacity = 64
	h, handled := dedupeHandler(capacity)
	ev := func(i int) hookEvent {
		return hookEvent{User: "u", XID: fmt.Sprintf("x%d", i), Type: "move", Action: ActionUpdation, Time: int64(i)}
	}
	total := 0
	for i := 0; i < 2000; i += 20 {
		var batch []hookEvent
		for j := i; j < i+20; j++ {
			batch = append(batch, ev(j))
		}
		if code := postHook(t, h, notificationBody(testClientID, testClientSecret, batch...)); code != http.StatusOK {
			t.Fatal(code)
		}
		total += len(handled())
		if n := h.seen.len(); n > capacity || len(h.seen.index) > capacity {
			t.Fatalf("remembers %d events (index %d), more than %d", n, len(h.seen.index), capacity)
		}
	}
	if total != 2000 {
		t.Errorf("handled %d distinct events, want 2000", total)
	}
	postHook(t, h, notificationBody(testClientID, testClientSecret, ev(0), ev(1999)))
	if got := handled(); len(got) != 1 || got[0].EventXID != "x0" {
		t.Errorf("after 2000 events, replaying the first and the last handled %+v; want the first only (forgotten), not the last", got)
	}
}

// TestWebhookWithoutDedupe checks the default: every delivery is handled.
func TestWebhookWithoutDedupe(t *testing.T) {
	h, handled := dedupeHandler(0)
	body := notificationBody(testClientID, testClientSecret, hookEvent{User: "u", XID: "x", Type: "move", Action: ActionCreation, Time: 1})
	for range 3 {
		postHook(t, h, body)
	}
	if got := handled(); len(got) != 3 || h.seen != nil {
		t.Errorf("handled %d of 3 deliveries", len(got))
	}
}

// TestEventCacheMemoryBounded feeds the cache two hundred times more
// distinct events than it holds and checks the heap it keeps: under 100
// bytes an event it holds, not an event it saw.
func TestEventCacheMemoryBounded(t *testing.T) {
	const capacity, seen = 1000, 200000
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c := newEventCache(capacity)
	batch := make([]WebhookEvent, 100)
	for i := 0; i < seen; i += len(batch) {
		for j := range batch {
			batch[j] = WebhookEvent{UserXID: "u", EventXID: strconv.Itoa(i + j), Type: "move", Action: ActionCreation}
		}
		c.fresh(batch)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	kept := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("holding %d of %d events keeps %d KiB", c.len(), seen, kept>>10)
	if c.len() != capacity || len(c.index) != capacity {
		t.Errorf("holds %d events (index %d), want %d", c.len(), len(c.index), capacity)
	}
	if kept > 1<<20 {
		t.Errorf("keeps %d KiB for %d events", kept>>10, capacity)
	}
	runtime.KeepAlive(c)
}
