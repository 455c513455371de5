package uptest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/upapi/up-go/gen"
)

// recordingTB is a testing.TB that keeps what Errorf reports instead of
// failing the test.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recordingTB) reported() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errors...)
}

func fetch(t *testing.T, s *Server, path string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.MintToken().AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// corruptMoves makes every listed move's date a string, which the spec forbids.
func corruptMoves(op string, body []byte) []byte {
	if op != "ListMoves" {
		return body
	}
	return bytes.Replace(body, []byte(`"date":`), []byte(`"date":"yesterday","was":`), 1)
}

func TestSpecBreakingAnswerFailsTheTest(t *testing.T) {
	tb := &recordingTB{TB: t}
	s := NewServer(tb)
	s.corrupt.Store(ptr(corruptMoves))
	code, body := fetch(t, s, "/users/@me/moves?limit=1")
	if code != http.StatusInternalServerError {
		t.Fatalf("a spec-breaking answer reached the client as %d: %s", code, body)
	}
	var env gen.ErrorEnvelope
	if err := json.Unmarshal(body, &env); err != nil || env.Meta.Code != 500 || env.Meta.Message != "INTERNAL_SERVER_ERROR" ||
		!strings.Contains(env.Meta.ErrorDetail, "broke the spec") {
		t.Errorf("500 envelope %s", body)
	}
	errs := tb.reported()
	if len(errs) != 1 || !strings.Contains(errs[0], "ListMoves") || !strings.Contains(errs[0], "date") {
		t.Errorf("reported %q, want one error naming ListMoves and the date", errs)
	}
	// Other operations are untouched.
	if code, _ := fetch(t, s, "/users/@me/sleeps?limit=1"); code != http.StatusOK {
		t.Errorf("sleeps: %d", code)
	}
	if n := len(tb.reported()); n != 1 {
		t.Errorf("%d reports after a valid answer", n)
	}
}

func TestSpecBreakingAnswerIsLogged(t *testing.T) {
	var logs bytes.Buffer
	s := New(WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	defer s.Close()
	s.corrupt.Store(ptr(corruptMoves))
	if code, _ := fetch(t, s, "/users/@me/moves"); code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", code)
	}
	if !strings.Contains(logs.String(), "breaks the spec") || !strings.Contains(logs.String(), "ListMoves") {
		t.Errorf("log %q", logs.String())
	}
}

// TestEveryKindHasAReadScope keeps the table of kinds in step with the
// kinds and the spec: every kind has an entry, with a table in the store and
// a read scope the spec declares, for webhook filtering.
func TestEveryKindHasAReadScope(t *testing.T) {
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	st := newStore(nil)
	for _, kind := range []Kind{KindMove, KindWorkout, KindSleep, KindMeal, KindBody, KindHeartRate, KindGenericEvent, KindMood, KindCardiac} {
		k := eventKinds[kind]
		if k == nil {
			t.Errorf("kind %s has no entry in the table of kinds", kind)
			continue
		}
		if k.info().kind != kind {
			t.Errorf("kind %s: entry names %s", kind, k.info().kind)
		}
		if _, found := k.rows(st).owner("no such event"); found { // panics without a table
			t.Errorf("kind %s: an empty table holds an event", kind)
		}
		if !slices.Contains(c.known, k.info().scope) {
			t.Errorf("kind %s needs %q, which the spec does not declare", kind, k.info().scope)
		}
	}
}
