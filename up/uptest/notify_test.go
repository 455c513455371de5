package uptest_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/uptest"
)

// receiver is a webhook endpoint that records what it is sent and answers
// with the statuses it is given, then 200.
type receiver struct {
	srv *httptest.Server

	mu       sync.Mutex
	statuses []int
	got      []gen.WebhookNotification
	forms    []url.Values
	hits     int
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	t.Helper()
	rc := &receiver{statuses: statuses}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		var n gen.WebhookNotification
		if err := json.Unmarshal([]byte(r.PostForm.Get("file")), &n); err != nil {
			t.Errorf("webhook file field %q: %v", r.PostForm.Get("file"), err)
		}
		rc.mu.Lock()
		rc.hits++
		rc.forms = append(rc.forms, r.PostForm)
		code := http.StatusOK
		if len(rc.statuses) > 0 {
			code, rc.statuses = rc.statuses[0], rc.statuses[1:]
		}
		if code == http.StatusOK {
			rc.got = append(rc.got, n)
		}
		rc.mu.Unlock()
		if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("webhook Content-Type %q", r.Header.Get("Content-Type"))
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) notifications() []gen.WebhookNotification {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]gen.WebhookNotification(nil), rc.got...)
}

func subscribe(t *testing.T, s *uptest.Server, token, hook string) {
	t.Helper()
	resp, body := do(t, http.MethodPost, s.URL+"/users/@me/pubsub?webhook="+url.QueryEscape(hook), token, nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("subscribe: %d %s", resp.StatusCode, body)
	}
}

func wait(t *testing.T, s *uptest.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := s.WaitNotifications(ctx); err != nil {
		t.Fatal(err)
	}
}

func ts(t *testing.T, v gen.WebhookTimestamp) string {
	t.Helper()
	s, err := v.AsWebhookTimestamp0()
	if err != nil {
		t.Fatalf("timestamp is not a string: %v", err)
	}
	return s
}

func TestWebhookDelivery(t *testing.T) {
	s := uptest.NewServer(t)
	rc := newReceiver(t)
	tok := s.MintToken().AccessToken
	subscribe(t, s, tok, rc.srv.URL+"/up")

	xid := created(t, s, tok, "workouts", workoutForm(time.Now().Add(-time.Hour)))
	postForm(t, s, tok, "/workouts/"+xid+"/partialUpdate", url.Values{"title": {"Hills"}})
	do(t, http.MethodDelete, s.URL+"/workouts/"+xid, tok, nil, "")
	added := uptest.Add(s, gen.Sleep{})
	uptest.Add(s, gen.BandEvent{Action: gen.BandEnterStopwatchMode})
	wait(t, s)

	got := rc.notifications()
	want := []struct{ action, kind, xid string }{
		{"creation", "workout", xid}, {"updation", "workout", xid}, {"deletion", "workout", xid},
		{"creation", "sleep", added.XID}, {"enter_stopwatch_mode", "", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("%d notifications, want %d: %+v", len(got), len(want), got)
	}
	for i, n := range got {
		if len(n.Events) != 1 {
			t.Fatalf("notification %d: %+v", i, n)
		}
		ev := n.Events[0]
		if string(ev.Action) != want[i].action || ev.Type != want[i].kind || ev.EventXID != want[i].xid {
			t.Errorf("event %d: %s %s %s, want %+v", i, ev.Action, ev.Type, ev.EventXID, want[i])
		}
		if ev.UserXID != s.UserXID() || ev.SecretHash != s.SecretHash() || ts(t, ev.Timestamp) == "" || ts(t, n.NotificationTimestamp) == "" {
			t.Errorf("event %d: %+v", i, ev)
		}
	}
	// secret_hash is the hex SHA-256 of the client ID and secret.
	if h := s.SecretHash(); len(h) != 64 || h != sha256Hex(s.ClientID+s.ClientSecret) {
		t.Errorf("SecretHash %q", h)
	}
	for _, d := range s.Deliveries() {
		if !d.Delivered || d.Attempts != 1 || d.Status != 200 || d.URL != rc.srv.URL+"/up" {
			t.Errorf("delivery %+v", d)
		}
	}

	// After unsubscribing, nothing more is sent.
	resp, _ := do(t, http.MethodDelete, s.URL+"/users/@me/pubsub", tok, nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("unsubscribe: %d", resp.StatusCode)
	}
	created(t, s, tok, "mood", url.Values{"title": {"Good"}, "sub_type": {"4"}})
	wait(t, s)
	if n := len(rc.notifications()); n != len(want) {
		t.Errorf("%d notifications after unsubscribing, want %d", n, len(want))
	}
}

func TestWebhookRetries(t *testing.T) {
	s := uptest.NewServer(t)
	tok := s.MintToken().AccessToken

	flaky := newReceiver(t, 500, 503)
	subscribe(t, s, tok, flaky.srv.URL)
	created(t, s, tok, "mood", url.Values{"title": {"Meh"}, "sub_type": {"5"}})
	wait(t, s)
	if flaky.hitCount() != 3 || len(flaky.notifications()) != 1 {
		t.Errorf("failing twice: %d tries, %d delivered; want 3 and 1", flaky.hitCount(), len(flaky.notifications()))
	}
	if d := s.Deliveries()[0]; !d.Delivered || d.Attempts != 3 {
		t.Errorf("delivery %+v", d)
	}

	down := newReceiver(t, 500, 500, 500, 500, 500)
	subscribe(t, s, tok, down.srv.URL)
	created(t, s, tok, "mood", url.Values{"title": {"Meh"}, "sub_type": {"5"}})
	wait(t, s)
	if down.hitCount() != 3 {
		t.Errorf("a receiver always failing got %d tries, want 3", down.hitCount())
	}
	d := s.Deliveries()[1]
	if d.Delivered || d.Attempts != 3 || d.Status != 500 || d.Err == nil {
		t.Errorf("dropped delivery %+v", d)
	}
}

func TestWebhookFollowsScopes(t *testing.T) {
	s := uptest.NewServer(t)
	rc := newReceiver(t)
	subscribe(t, s, s.MintToken("sleep_read").AccessToken, rc.srv.URL)
	all := s.MintToken().AccessToken
	created(t, s, all, "workouts", workoutForm(time.Now().Add(-time.Hour)))
	uptest.Add(s, gen.BandEvent{Action: gen.BandEnterStopwatchMode})
	uptest.Add(s, gen.BandEvent{Action: gen.BandEnterSleepMode})
	created(t, s, all, "sleeps", url.Values{"time_created": {"1426600000"}, "time_completed": {"1426620000"}})
	wait(t, s)
	got := rc.notifications()
	if len(got) != 2 || got[0].Events[0].Action != "enter_sleep_mode" || got[1].Events[0].Type != "sleep" {
		t.Errorf("a sleep_read registration got %+v, want the sleep-mode band event and the sleep", got)
	}
}

func TestDisconnect(t *testing.T) {
	s := uptest.NewServer(t)
	rc := newReceiver(t)
	tok := s.MintToken()
	other := s.MintToken("basic_read")
	subscribe(t, s, tok.AccessToken, rc.srv.URL)
	resp, body := do(t, http.MethodDelete, s.URL+"/users/@me/PartnerAppMembership", tok.AccessToken, nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("disconnect: %d %s", resp.StatusCode, body)
	}
	for _, tk := range []string{tok.AccessToken, other.AccessToken} {
		if got := status(t, s, tk, "/users/@me"); got != http.StatusUnauthorized {
			t.Errorf("a token of the user after disconnect: %d, want 401", got)
		}
	}
	if st, _, oerr := tokenCall(t, s, refreshForm(s, tok.RefreshToken)); st != http.StatusBadRequest || oerr.Error != "invalid_grant" {
		t.Errorf("refresh after disconnect: %d %+v", st, oerr)
	}
	uptest.Add(s, gen.Mood{SubType: 1})
	wait(t, s)
	if n := len(rc.notifications()); n != 0 {
		t.Errorf("%d notifications after disconnect", n)
	}
	if got := status(t, s, s.MintToken().AccessToken, "/users/@me"); got != http.StatusOK {
		t.Errorf("a token minted after disconnect: %d", got)
	}
}

// TestCloseStopsDelivery checks that Close ends the sender while a
// notification is still being retried, leaving no goroutine behind.
func TestCloseStopsDelivery(t *testing.T) {
	rc := newReceiver(t, 500, 500, 500)
	before := runtime.NumGoroutine()
	s := uptest.New(uptest.WithDays(1))
	subscribe(t, s, s.MintToken().AccessToken, rc.srv.URL)
	uptest.Add(s, gen.Mood{SubType: 4})
	deadline := time.Now().Add(5 * time.Second)
	for rc.hitCount() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if err := s.WaitNotifications(t.Context()); err != nil {
		t.Errorf("WaitNotifications after Close: %v", err)
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	noRedirect.CloseIdleConnections()
	for time.Now().Before(deadline) && runtime.NumGoroutine() > before {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before", n, before)
	}
}

func (rc *receiver) hitCount() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.hits
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
