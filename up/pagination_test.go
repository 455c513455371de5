package up_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/uptest"
)

// TestIteratorWalksEveryPage checks that ranging over a list of several
// pages yields every item once, in order, by comparing with the same list
// fetched as one page.
func TestIteratorWalksEveryPage(t *testing.T) {
	t.Parallel()
	s, c := fakeClient(t, nil, uptest.WithDays(40))
	ctx := t.Context()
	whole, err := c.MealsPage(ctx, up.ListQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if whole.HasNext() {
		t.Fatal("a page of 1000 should hold 40 days of meals")
	}
	s.ResetRequests()
	var got []string
	for meal, err := range c.Meals(ctx, up.ListQuery{Limit: 7}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, meal.XID)
	}
	if len(got) != len(whole.Items) {
		t.Fatalf("iterated %d meals, want %d", len(got), len(whole.Items))
	}
	for i, m := range whole.Items {
		if got[i] != m.XID {
			t.Fatalf("meal %d is %s, want %s", i, got[i], m.XID)
		}
	}
	wantPages := (len(whole.Items) + 6) / 7
	if n := len(s.Requests()); n != wantPages {
		t.Errorf("%d requests, want %d pages", n, wantPages)
	}
	for i, r := range s.Requests()[1:] {
		if !strings.HasPrefix(r.Path, "/nudge/api/v.1.1/users/"+s.UserXID()+"/meals") || !strings.Contains(r.RawQuery, "page_token=") {
			t.Errorf("page %d requested %s?%s, want the links.next of the page before", i+2, r.Path, r.RawQuery)
		}
	}
}

// TestIteratorStopsEarly checks that breaking out of the loop stops fetching.
func TestIteratorStopsEarly(t *testing.T) {
	t.Parallel()
	s, c := fakeClient(t, nil)
	s.ResetRequests()
	n := 0
	for _, err := range c.Moves(t.Context(), up.ListQuery{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			break
		}
	}
	if got := len(s.Requests()); got != 2 {
		t.Errorf("%d requests for 3 items on pages of 2, want 2", got)
	}
}

// TestPageNext walks pages by hand to the end.
func TestPageNext(t *testing.T) {
	t.Parallel()
	_, c := fakeClient(t, nil, uptest.WithDays(5))
	ctx := t.Context()
	page, err := c.SleepsPage(ctx, up.ListQuery{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	total := len(page.Items)
	for page.HasNext() {
		if page, err = page.Next(ctx); err != nil {
			t.Fatal(err)
		}
		total += len(page.Items)
	}
	if total != 5 {
		t.Errorf("%d sleeps over 5 days", total)
	}
	if _, err := page.Next(ctx); !errors.Is(err, up.ErrNoMorePages) {
		t.Errorf("Next on the last page: %v, want ErrNoMorePages", err)
	}
}

// linkServer answers every list request with one item and the next link
// that next returns for the request, and counts the bearer tokens it saw
// outside the API path.
type linkServer struct {
	*httptest.Server
	next func(r *http.Request) string
}

func newLinkServer(t *testing.T, next func(r *http.Request) string) *linkServer {
	t.Helper()
	ls := &linkServer{next: next}
	ls.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		link := ""
		if n := ls.next(r); n != "" {
			link = fmt.Sprintf(`,"links":{"next":%q}`, n)
		}
		_, _ = fmt.Fprintf(w, `{"meta":{"user_xid":"u","message":"OK","code":200,"time":1},"data":{"items":[{"xid":"x","date":20240101,"time_created":1}],"size":1%s}}`, link)
	}))
	t.Cleanup(ls.Close)
	return ls
}

func (ls *linkServer) client() *up.Client {
	cfg := &up.Config{ClientID: "id", ClientSecret: "secret", BaseURL: ls.URL + "/nudge/api/v.1.1"}
	return cfg.ClientFromAccessToken("access")
}

// TestRepeatedNextStops checks that a next link seen before ends the walk
// with ErrPaginationLoop instead of looping forever.
func TestRepeatedNextStops(t *testing.T) {
	t.Parallel()
	for name, next := range map[string]func(*http.Request) string{
		"same link every time": func(*http.Request) string { return "/nudge/api/v.1.1/users/u/moves?page_token=5" },
		"a cycle of two": func(r *http.Request) string {
			if r.URL.Query().Get("page_token") == "1" {
				return "/nudge/api/v.1.1/users/u/moves?page_token=2"
			}
			return "/nudge/api/v.1.1/users/u/moves?page_token=1"
		},
	} {
		t.Run(name, func(t *testing.T) {
			ls := newLinkServer(t, next)
			n := 0
			var last error
			for _, err := range ls.client().Moves(t.Context(), up.ListQuery{}) {
				if err != nil {
					last = err
					break
				}
				if n++; n > 10 {
					t.Fatal("still iterating after 10 pages")
				}
			}
			if !errors.Is(last, up.ErrPaginationLoop) {
				t.Errorf("walk ended with %v, want ErrPaginationLoop", last)
			}
		})
	}
}

// TestForeignNextRefused checks that a next link to another scheme, host or
// path is refused before any request carries the token there.
func TestForeignNextRefused(t *testing.T) {
	t.Parallel()
	var leaked int
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked++
		}
		_, _ = io.WriteString(w, "{}")
	}))
	defer elsewhere.Close()
	other, _ := url.Parse(elsewhere.URL)
	for _, next := range []string{
		elsewhere.URL + "/nudge/api/v.1.1/users/u/moves?page_token=1",
		"//" + other.Host + "/nudge/api/v.1.1/users/u/moves",
		"https://" + other.Host + "/nudge/api/v.1.1/users/u/moves",
		"/somewhere/else?page_token=1",
		"/nudge/api/v.1.0/users/u/moves?page_token=1",
		"javascript:alert(1)",
	} {
		t.Run(next, func(t *testing.T) {
			ls := newLinkServer(t, func(*http.Request) string { return next })
			page, err := ls.client().MovesPage(t.Context(), up.ListQuery{})
			var linkErr *up.NextLinkError
			if !errors.As(err, &linkErr) {
				t.Fatalf("first page: %v (page %v), want *NextLinkError", err, page)
			}
			if linkErr.Next != next {
				t.Errorf("error names %q, want %q", linkErr.Next, next)
			}
		})
	}
	if leaked != 0 {
		t.Errorf("the token reached another host %d times", leaked)
	}
}

// TestQueryErrors checks that invalid queries fail before any request.
func TestQueryErrors(t *testing.T) {
	t.Parallel()
	s, c := fakeClient(t, nil)
	ctx := t.Context()
	now := time.Now()
	cases := map[string]up.ListQuery{
		"date and range":    {Date: up.DateOf(now), Range: up.Since(now.AddDate(0, 0, -1))},
		"end without start": {Range: up.TimeRange{End: now}},
		"end before start":  {Range: up.Between(now, now.AddDate(0, 0, -1))},
		"impossible date":   {Date: 20230231},
		"negative limit":    {Limit: -1},
		"before 1970":       {UpdatedAfter: now.AddDate(-60, 0, 0)},
	}
	s.ResetRequests()
	for name, q := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := c.WorkoutsPage(ctx, q)
			var qe *up.QueryError
			if !errors.As(err, &qe) {
				t.Errorf("error %v, want *QueryError", err)
			}
		})
	}
	if _, err := c.BandEventsPage(ctx, up.BandEventQuery{Date: 1}); err == nil {
		t.Error("band events accepted date 1")
	}
	if _, _, err := c.Trends(ctx, up.TrendsQuery{RangeDuration: 101}); err == nil {
		t.Error("trends accepted a range_duration of 101")
	}
	if _, _, err := c.Trends(ctx, up.TrendsQuery{BucketSize: "q"}); err == nil {
		t.Error("trends accepted bucket size q")
	}
	if _, _, err := c.Workout(ctx, " "); err == nil {
		t.Error("an empty XID was accepted")
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("%d requests sent for invalid queries", n)
	}
}

// TestResumePage checks that a walk can go on from a saved NextURL, and
// that ResumePage refuses a URL off the API.
func TestResumePage(t *testing.T) {
	t.Parallel()
	_, c := fakeClient(t, nil, uptest.WithDays(6))
	ctx := t.Context()
	page, err := c.MovesPage(ctx, up.ListQuery{Limit: 4})
	if err != nil {
		t.Fatal(err)
	}
	saved := page.NextURL()
	if saved == "" {
		t.Fatal("6 moves fit on one page of 4")
	}
	rest, err := up.ResumePage[up.Move](ctx, c, saved)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items)+len(rest.Items) != 6 || rest.HasNext() {
		t.Errorf("%d then %d moves (more: %v), want 6 in all", len(page.Items), len(rest.Items), rest.HasNext())
	}
	if rest.Items[0].XID == page.Items[len(page.Items)-1].XID {
		t.Error("the resumed page repeats the last move")
	}
	var linkErr *up.NextLinkError
	if _, err := up.ResumePage[up.Move](ctx, c, "https://elsewhere.example/nudge/api/v.1.1/users/@me/moves"); !errors.As(err, &linkErr) {
		t.Errorf("foreign URL: %v, want *NextLinkError", err)
	}
}

// TestNextAfterFailureRetries checks that a Next that failed (here a 429)
// can be called again and fetches the page, rather than taking its own
// earlier attempt for a pagination loop; and that a page once fetched still
// counts as followed.
func TestNextAfterFailureRetries(t *testing.T) {
	t.Parallel()
	var refused atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		token := r.URL.Query().Get("page_token")
		if token == "2" && refused.CompareAndSwap(false, true) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"meta":{"code":429,"error_type":"rate_limit","message":"Too Many Requests","time":1}}`)
			return
		}
		// Every page links to page 2: from page 2 itself, a loop.
		link := `,"links":{"next":"/nudge/api/v.1.1/users/u/moves?page_token=2"}`
		_, _ = fmt.Fprintf(w, `{"meta":{"user_xid":"u","message":"OK","code":200,"time":1},"data":{"items":[{"xid":"x%s","date":20240101,"time_created":1}],"size":1%s}}`, token, link)
	}))
	t.Cleanup(srv.Close)
	cfg := &up.Config{ClientID: "id", ClientSecret: "secret", BaseURL: srv.URL + "/nudge/api/v.1.1"}
	c := cfg.ClientFromAccessToken("access")
	ctx := t.Context()
	first, err := c.MovesPage(ctx, up.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var rl *up.RateLimitError
	if _, err := first.Next(ctx); !errors.As(err, &rl) {
		t.Fatalf("first Next: %v, want *RateLimitError", err)
	}
	second, err := first.Next(ctx)
	if err != nil {
		t.Fatalf("Next again after the 429: %v", err)
	}
	if len(second.Items) != 1 || second.Items[0].XID != "x2" {
		t.Fatalf("page 2 holds %+v", second.Items)
	}
	if _, err := second.Next(ctx); !errors.Is(err, up.ErrPaginationLoop) {
		t.Errorf("a next link to the page just fetched: %v, want ErrPaginationLoop", err)
	}
}
