package uptest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/uptest"
)

func TestUnauthorized(t *testing.T) {
	clock := newClock(start)
	s := uptest.NewServer(t, uptest.WithClock(clock.Now), uptest.WithAccessTokenLifetime(time.Hour))
	check := func(name, token, errType string) {
		t.Helper()
		resp, body := get(t, s, token, "/users/@me")
		meta := errorMeta(t, resp, body, http.StatusUnauthorized, "NOT_AUTHORIZED")
		if ch := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q", name, ch)
		}
		if meta.ErrorType != errType {
			t.Errorf("%s: error_type %q, want %q", name, meta.ErrorType, errType)
		}
	}
	check("no token", "", "missing_token")
	check("unknown token", "not-a-token", "invalid_token")

	tok := s.MintToken("basic_read")
	if got := status(t, s, tok.AccessToken, "/users/@me"); got != http.StatusOK {
		t.Fatalf("fresh token: %d", got)
	}
	clock.Add(time.Hour)
	check("expired by the clock", tok.AccessToken, "invalid_token")

	tok = s.MintToken("basic_read")
	s.ExpireAccessTokens()
	check("expired by ExpireAccessTokens", tok.AccessToken, "invalid_token")

	tok = s.MintToken("basic_read")
	s.RevokeAll()
	check("revoked", tok.AccessToken, "invalid_token")

	// A request without a token that breaks the spec is refused for the token first.
	resp, body := get(t, s, "", "/users/@me/moves?limit=0")
	errorMeta(t, resp, body, http.StatusUnauthorized, "NOT_AUTHORIZED")
}

func TestScopesFromTheSpec(t *testing.T) {
	s := uptest.NewServer(t)
	basic := s.MintToken("basic_read").AccessToken
	for _, tc := range []struct {
		path, need string
	}{
		{"/users/@me/moves", "move_read"},
		{"/users/@me/sleeps", "sleep_read"},
		{"/users/@me/meals", "meal_read"},
		{"/users/@me/body_events", "weight_read"},
		{"/users/@me/heartrates", "heartrate_read"},
		{"/users/@me/friends", "friends_read"},
		{"/users/@me/bandevents", "move_read, sleep_read"},
		{"/users/@me/trends", "move_read, sleep_read, meal_read"},
	} {
		resp, body := get(t, s, basic, tc.path)
		meta := errorMeta(t, resp, body, http.StatusForbidden, "FORBIDDEN")
		if !strings.Contains(meta.ErrorDetail, tc.need) || meta.ErrorType != "insufficient_scope" || meta.UserXID != s.UserXID() {
			t.Errorf("%s: meta %+v, want a detail naming %s", tc.path, meta, tc.need)
		}
	}
	resp, body := postForm(t, s, s.MintToken("move_read").AccessToken, "/users/@me/workouts", workoutForm(time.Now().Add(-time.Hour)))
	meta := errorMeta(t, resp, body, http.StatusForbidden, "FORBIDDEN")
	if !strings.Contains(meta.ErrorDetail, "move_write") {
		t.Errorf("create without move_write: %q", meta.ErrorDetail)
	}
	// Either alternative suffices; an empty requirement takes any token.
	for _, tok := range []string{s.MintToken("basic_read").AccessToken, s.MintToken("extended_read").AccessToken} {
		if got := status(t, s, tok, "/users/@me"); got != http.StatusOK {
			t.Errorf("/users/@me: %d", got)
		}
	}
	resp, body = postForm(t, s, s.MintToken("mood_read").AccessToken, "/users/@me/goals", map[string][]string{"move_steps": {"9000"}})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("goals update with an unrelated scope: %d %s", resp.StatusCode, body)
	}
}

func TestDataFilteredByScope(t *testing.T) {
	s := uptest.NewServer(t)
	var user gen.UserEnvelope
	_, body := get(t, s, s.MintToken("basic_read").AccessToken, "/users/@me")
	decodeStrict(t, body, &user)
	if user.Data.First == "" || user.Data.Weight != 0 || user.Data.Gender != nil {
		t.Errorf("basic_read user %+v, want names without weight or gender", user.Data)
	}
	_, body = get(t, s, s.MintToken("basic_read", "extended_read").AccessToken, "/users/@me")
	decodeStrict(t, body, &user)
	if user.Data.Weight == 0 || user.Data.Height == 0 || user.Data.Gender == nil {
		t.Errorf("extended_read user %+v, want weight, height and gender", user.Data)
	}

	_, withPlace := get(t, s, s.MintToken("sleep_read", "location_read").AccessToken, "/users/@me/sleeps?limit=100")
	_, without := get(t, s, s.MintToken("sleep_read").AccessToken, "/users/@me/sleeps?limit=100")
	if !strings.Contains(string(withPlace), `"place_lat"`) || strings.Contains(string(without), `"place_`) {
		t.Error("place_* fields should need location_read")
	}

	actions := func(scopes ...string) map[string]int {
		_, body := get(t, s, s.MintToken(scopes...).AccessToken, "/users/@me/bandevents?limit=1000")
		var env gen.BandEventListEnvelope
		decodeStrict(t, body, &env)
		n := map[string]int{}
		for _, ev := range env.Data.Items {
			n[strings.TrimPrefix(strings.TrimPrefix(string(ev.Action), "enter_"), "exit_")]++
		}
		return n
	}
	if n := actions("sleep_read"); n["sleep_mode"] == 0 || n["stopwatch_mode"] != 0 {
		t.Errorf("band events with sleep_read: %v", n)
	}
	if n := actions("move_read"); n["stopwatch_mode"] == 0 || n["sleep_mode"] != 0 {
		t.Errorf("band events with move_read: %v", n)
	}

	_, body = get(t, s, s.MintToken("meal_read").AccessToken, "/users/@me/trends?range_duration=10")
	var raw map[string]any
	_ = json.Unmarshal(body, &raw)
	text := string(body)
	if !strings.Contains(text, `"e_calories"`) || strings.Contains(text, `"m_`) || strings.Contains(text, `"s_`) {
		t.Errorf("trends with meal_read: %s", text)
	}
}

func TestRequestLog(t *testing.T) {
	s := uptest.NewServer(t)
	tok := s.MintToken()
	get(t, s, tok.AccessToken, "/users/@me/moves?limit=2")
	postForm(t, s, tok.AccessToken, "/users/@me/refreshToken", map[string][]string{"secret": {s.ClientSecret}})
	reqs := s.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests logged, want 2", len(reqs))
	}
	if r := reqs[0]; r.Method != http.MethodGet || r.Path != "/nudge/api/v.1.1/users/@me/moves" || r.RawQuery != "limit=2" || r.AuthScheme != "Bearer" {
		t.Errorf("first request %+v", r)
	}
	if r := reqs[1]; r.Form.Get("secret") != "REDACTED" || r.ContentType != "application/x-www-form-urlencoded" {
		t.Errorf("second request %+v", r)
	}
	for _, r := range reqs {
		if strings.Contains(mustJSON(r), tok.AccessToken) || strings.Contains(mustJSON(r), s.ClientSecret) {
			t.Errorf("logged request holds a secret: %+v", r)
		}
	}
	s.ResetRequests()
	if n := len(s.Requests()); n != 0 {
		t.Errorf("%d requests after ResetRequests", n)
	}
}

// TestPlacesNeedLocationRead checks every answer that carries an event with a
// place: lists, gets, creates and partial updates show place_* fields to a
// token with location_read and to no other.
func TestPlacesNeedLocationRead(t *testing.T) {
	s := uptest.NewServer(t)
	all := s.MintToken().AccessToken
	noPlace := s.MintToken("move_read", "move_write", "sleep_read", "meal_read", "meal_write", "weight_read",
		"weight_write", "generic_event_read", "generic_event_write", "heartrate_read", "cardiac_read", "cardiac_write").AccessToken
	place := url.Values{"place_lat": {"37.5"}, "place_lon": {"-122.25"}, "place_acc": {"20"}, "place_name": {"Home"}}
	with := func(form url.Values) url.Values {
		for k, v := range place {
			form[k] = v
		}
		return form
	}
	now := time.Now()
	for _, tc := range []struct {
		resource string
		form     func() url.Values
		update   url.Values // nil where the API has no partialUpdate
	}{
		{"workouts", func() url.Values { return with(workoutForm(now.Add(-3 * time.Hour))) }, url.Values{"title": {"Renamed"}}},
		{"meals", func() url.Values { return with(url.Values{"note": {"Breakfast"}, "items": {mealItems}}) }, url.Values{"note": {"Brunch"}}},
		{"body_events", func() url.Values { return with(url.Values{"title": {"Weigh-in"}, "weight": {"70.5"}}) }, nil},
		{"generic_events", func() url.Values {
			return with(url.Values{"title": {"Read"}, "verb": {"read"}, "attributes": {`{"pages":12}`}})
		}, url.Values{"title": {"Renamed"}}},
		{"cardiac_events", func() url.Values { return with(url.Values{"heart_rate": {"64"}}) }, nil},
	} {
		t.Run(tc.resource, func(t *testing.T) {
			for _, token := range []struct {
				name, value string
				places      bool
			}{{"with location_read", all, true}, {"without location_read", noPlace, false}} {
				check := func(what string, body []byte) {
					t.Helper()
					if got := strings.Contains(string(body), `"place_lat":"37.5"`); got != token.places {
						t.Errorf("%s %s: place shown = %t, want %t: %s", token.name, what, got, token.places, body)
					}
					if !token.places && strings.Contains(string(body), `"place_`) {
						t.Errorf("%s %s: a place_* field is shown: %s", token.name, what, body)
					}
				}
				resp, body := postForm(t, s, token.value, "/users/@me/"+tc.resource, tc.form())
				if resp.StatusCode != http.StatusCreated {
					t.Fatalf("%s create: %d %s", token.name, resp.StatusCode, body)
				}
				check("create", body)
				xid := created(t, s, all, tc.resource, tc.form())
				_, body = get(t, s, token.value, "/"+tc.resource+"/"+xid)
				check("get", body)
				_, body = get(t, s, token.value, "/users/@me/"+tc.resource+"?limit=1")
				if !strings.Contains(string(body), xid) {
					t.Fatalf("%s list does not start with the new event %s: %s", token.name, xid, body)
				}
				check("list", body)
				if tc.update != nil {
					resp, body = postForm(t, s, token.value, "/"+tc.resource+"/"+xid+"/partialUpdate", tc.update)
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("%s update: %d %s", token.name, resp.StatusCode, body)
					}
					check("update", body)
				}
			}
		})
	}
}
