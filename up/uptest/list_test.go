package uptest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/upapi/up-go/up/uptest"
)

// item is what list tests need of any listed event.
type item struct {
	XID         string `json:"xid"`
	Date        int    `json:"date"`
	TimeCreated int64  `json:"time_created"`
	TimeUpdated int64  `json:"time_updated"`
	Action      string `json:"action"`
}

type page struct {
	Items []item `json:"items"`
	Size  int    `json:"size"`
	Links *struct {
		Next string `json:"next"`
	} `json:"links"`
}

var listResources = []string{"moves", "workouts", "sleeps", "meals", "body_events", "heartrates", "generic_events", "cardiac_events", "bandevents"}

// listPage fetches one page by path (relative to the API base, or a
// links.next path relative to the host).
func listPage(t *testing.T, s *uptest.Server, token, path string) page {
	t.Helper()
	u := s.URL + path
	if strings.HasPrefix(path, "/nudge/") {
		base, _ := url.Parse(s.URL)
		u = base.Scheme + "://" + base.Host + path
	}
	resp, body := do(t, http.MethodGet, u, token, nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	var env struct {
		Data page `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if env.Data.Size != len(env.Data.Items) {
		t.Errorf("GET %s: size %d, %d items", path, env.Data.Size, len(env.Data.Items))
	}
	return env.Data
}

// walk follows links.next from path and returns every item in order.
func walk(t *testing.T, s *uptest.Server, token, resource, path string, limit int) []item {
	t.Helper()
	var all []item
	prefix := fmt.Sprintf("/nudge/api/v.1.1/users/%s/%s?", s.UserXID(), resource)
	for n := 0; ; n++ {
		if n > 1000 {
			t.Fatal("links.next never ends")
		}
		p := listPage(t, s, token, path)
		if len(p.Items) > limit {
			t.Fatalf("page of %d items, limit %d", len(p.Items), limit)
		}
		all = append(all, p.Items...)
		if p.Links == nil {
			return all
		}
		next := p.Links.Next
		if !strings.HasPrefix(next, prefix) || !strings.Contains(next, "page_token=") || !strings.HasSuffix(next, fmt.Sprintf("&limit=%d", limit)) {
			t.Fatalf("links.next %q, want %s...page_token=...&limit=%d", next, prefix, limit)
		}
		if len(p.Items) != limit {
			t.Fatalf("a page of %d items before the last, limit %d", len(p.Items), limit)
		}
		path = next
	}
}

func TestPagination(t *testing.T) {
	s := uptest.NewServer(t, uptest.WithDays(40))
	tok := s.MintToken().AccessToken
	for _, res := range listResources {
		t.Run(res, func(t *testing.T) {
			everything := listPage(t, s, tok, "/users/@me/"+res+"?limit=100000")
			if everything.Links != nil {
				t.Error("a page holding everything has links")
			}
			if len(everything.Items) < 3 {
				t.Fatalf("only %d %s in 40 days", len(everything.Items), res)
			}
			if !slices.IsSortedFunc(everything.Items, func(a, b item) int { return int(b.TimeCreated - a.TimeCreated) }) {
				t.Error("without a time frame, not newest first")
			}
			seen := map[int64]bool{}
			for _, it := range everything.Items {
				if seen[it.TimeCreated] {
					t.Fatalf("two %s created at %d", res, it.TimeCreated)
				}
				seen[it.TimeCreated] = true
			}

			walked := walk(t, s, tok, res, "/users/@me/"+res+"?limit=2", 2)
			if !slices.Equal(walked, everything.Items) {
				t.Errorf("walking pages of 2 gave %d items, want the %d of one page in the same order", len(walked), len(everything.Items))
			}

			// With a time frame: oldest first, and the frame kept in the links.
			oldest := everything.Items[len(everything.Items)-1].TimeCreated
			framed := walk(t, s, tok, res, fmt.Sprintf("/users/@me/%s?start_time=%d&limit=3", res, oldest), 3)
			want := slices.Clone(everything.Items)
			slices.Reverse(want)
			if !slices.Equal(framed, want) {
				t.Errorf("walking from start_time gave %d items, want all %d oldest first", len(framed), len(want))
			}
		})
	}
}

func TestListFilters(t *testing.T) {
	s := uptest.NewServer(t)
	tok := s.MintToken().AccessToken
	all := listPage(t, s, tok, "/users/@me/meals?limit=1000").Items
	slices.Reverse(all) // oldest first

	t.Run("date", func(t *testing.T) {
		day := all[len(all)/2].Date
		var want []item
		for _, it := range all {
			if it.Date == day {
				want = append(want, it)
			}
		}
		got := listPage(t, s, tok, fmt.Sprintf("/users/@me/meals?date=%d", day)).Items
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("date=%d: %v, want %v", day, got, want)
		}
	})
	t.Run("start and end", func(t *testing.T) {
		from, to := all[3].TimeCreated, all[9].TimeCreated
		got := listPage(t, s, tok, fmt.Sprintf("/users/@me/meals?start_time=%d&end_time=%d", from, to)).Items
		if !slices.Equal(got, all[3:10]) {
			t.Errorf("start_time..end_time: %d items, want the 7 between them oldest first", len(got))
		}
		got = listPage(t, s, tok, fmt.Sprintf("/users/@me/meals?end_time=%d&limit=100", to)).Items
		if !slices.Equal(got, all[:10]) {
			t.Errorf("end_time alone: %d items, want the first 10", len(got))
		}
		got = listPage(t, s, tok, fmt.Sprintf("/users/@me/meals?start_time=%d&limit=100", all[len(all)-2].TimeCreated)).Items
		if !slices.Equal(got, all[len(all)-2:]) {
			t.Errorf("start_time alone runs to now: %d items, want 2", len(got))
		}
	})
	t.Run("updated_after", func(t *testing.T) {
		cut := all[len(all)/2].TimeUpdated
		var want []item
		for _, it := range all {
			if it.TimeUpdated > cut {
				want = append(want, it)
			}
		}
		slices.Reverse(want)
		got := listPage(t, s, tok, fmt.Sprintf("/users/@me/meals?updated_after=%d&limit=1000", cut)).Items
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("updated_after: %d items, want %d", len(got), len(want))
		}
	})
	t.Run("limit", func(t *testing.T) {
		p := listPage(t, s, tok, "/users/@me/meals?limit=7")
		if p.Size != 7 || p.Links == nil {
			t.Errorf("limit=7: size %d, links %v", p.Size, p.Links)
		}
		if p := listPage(t, s, tok, "/users/@me/meals"); p.Size != 10 {
			t.Errorf("default limit: size %d, want 10", p.Size)
		}
	})
	t.Run("band events created_after", func(t *testing.T) {
		bands := listPage(t, s, tok, "/users/@me/bandevents?limit=1000").Items
		cut := bands[5].TimeCreated
		got := listPage(t, s, tok, fmt.Sprintf("/users/@me/bandevents?created_after=%d&limit=1000", cut)).Items
		if !slices.Equal(got, bands[:5]) {
			t.Errorf("created_after: %d items, want the 5 newer", len(got))
		}
	})
}

func TestEmptyList(t *testing.T) {
	s := uptest.NewServer(t, uptest.WithDays(0))
	tok := s.MintToken().AccessToken
	for _, res := range listResources {
		_, body := get(t, s, tok, "/users/@me/"+res)
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(body, &env); err != nil || string(env.Data) != `{"items":[],"size":0}` {
			t.Errorf("%s with no history: data %s, want {\"items\":[],\"size\":0}", res, env.Data)
		}
	}
}

func TestUserXIDPaths(t *testing.T) {
	s := uptest.NewServer(t)
	tok := s.MintToken().AccessToken
	_, viaMe := get(t, s, tok, "/users/@me/sleeps?limit=2")
	_, viaXID := get(t, s, tok, "/users/"+s.UserXID()+"/sleeps?limit=2")
	if trimTime(viaMe) != trimTime(viaXID) {
		t.Errorf("/users/<xid>/sleeps differs from /users/@me/sleeps:\n%s\n%s", viaMe, viaXID)
	}
	if got := status(t, s, tok, "/users/"+s.UserXID()); got != http.StatusOK {
		t.Errorf("/users/<xid>: %d", got)
	}
	_, friends := get(t, s, tok, "/users/@me/friends")
	var env struct {
		Data struct {
			Items []struct{ XID string } `json:"items"`
		} `json:"data"`
	}
	_ = json.Unmarshal(friends, &env)
	resp, body := get(t, s, tok, "/users/"+env.Data.Items[0].XID+"/sleeps")
	errorMeta(t, resp, body, http.StatusForbidden, "FORBIDDEN")
	resp, body = get(t, s, tok, "/users/nobody-at-all/sleeps")
	errorMeta(t, resp, body, http.StatusNotFound, "NOT_FOUND")
}

// trimTime drops meta.time, which may tick between two calls.
func trimTime(b []byte) string {
	var v map[string]any
	_ = json.Unmarshal(b, &v)
	if m, ok := v["meta"].(map[string]any); ok {
		delete(m, "time")
	}
	out, _ := json.Marshal(v)
	return string(out)
}
