package uptest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/uptest"
)

// me returns the meta.user_xid and data.xid of GET /users/@me with token.
func me(t *testing.T, s *uptest.Server, token string) (string, string) {
	t.Helper()
	resp, body := get(t, s, token, "/users/@me")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/users/@me: %d %s", resp.StatusCode, body)
	}
	var env gen.UserEnvelope
	decodeStrict(t, body, &env)
	return env.Meta.UserXID, env.Data.XID
}

// login runs the authorization code flow as u and returns the token.
func login(t *testing.T, s *uptest.Server, u *uptest.User, scopes ...string) gen.OAuthToken {
	t.Helper()
	next, err := u.Allow(s.Config(redirectURI, scopes...).AuthCodeURL("st4te"))
	if err != nil {
		t.Fatal(err)
	}
	loc, err := url.Parse(next)
	if err != nil || loc.Query().Get("code") == "" || loc.Query().Get("state") != "st4te" {
		t.Fatalf("Allow sent the browser to %q", next)
	}
	st, tok, oerr := tokenCall(t, s, exchangeForm(s, loc.Query().Get("code")))
	if st != http.StatusOK {
		t.Fatalf("exchange: %d %+v", st, oerr)
	}
	return tok
}

func TestUsers(t *testing.T) {
	s := uptest.NewServer(t, uptest.WithUsers(3))
	users := s.Users()
	if len(users) != 3 || users[0] != s.DefaultUser() || users[0].XID() != s.UserXID() {
		t.Fatalf("users %v, default %v", users, s.DefaultUser())
	}
	more := s.AddUser(uptest.WithEmail("Ada@Example.org"), uptest.WithPassword("s3cret"))
	users = append(users, more)
	if got := s.Users(); !slices.Equal(got, users) {
		t.Fatalf("Users %v, want %v", got, users)
	}
	seen := map[string]bool{}
	for i, u := range users {
		if i < 3 && (u.Email() != fmt.Sprintf("user%d@example.com", i+1) || u.Password() != uptest.DefaultPassword) {
			t.Errorf("user %d: %s / %s", i+1, u.Email(), u.Password())
		}
		if seen[u.XID()] {
			t.Errorf("two users with the XID %s", u.XID())
		}
		seen[u.XID()] = true
		for _, key := range []string{u.XID(), strings.ToUpper(u.Email())} {
			if found, ok := s.User(key); !ok || found != u {
				t.Errorf("User(%q) = %v, %t; want %v", key, found, ok, u)
			}
		}
		// Every call acts on the user whose token it carries.
		metaXID, dataXID := me(t, s, u.MintToken().AccessToken)
		if metaXID != u.XID() || dataXID != u.XID() {
			t.Errorf("%v: /users/@me answers for %s (meta %s)", u, dataXID, metaXID)
		}
	}
	if more.Email() != "Ada@Example.org" || more.Password() != "s3cret" {
		t.Errorf("options not applied: %s %s", more.Email(), more.Password())
	}
	if _, ok := s.User("nobody@example.com"); ok {
		t.Error("User found an unknown email")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("AddUser accepted a taken email")
			}
		}()
		s.AddUser(uptest.WithEmail("user2@EXAMPLE.com"))
	}()

	// Each user has a history of their own, the same on every server with the seed.
	a, b := users[0].MintToken().AccessToken, users[1].MintToken().AccessToken
	movesA := listPage(t, s, a, "/users/@me/moves?limit=100").Items
	movesB := listPage(t, s, b, "/users/@me/moves?limit=100").Items
	if len(movesA) != 30 || len(movesB) != 30 || movesA[0].XID == movesB[0].XID {
		t.Fatalf("moves: %d and %d, first %s and %s", len(movesA), len(movesB), movesA[0].XID, movesB[0].XID)
	}
	again := uptest.NewServer(t, uptest.WithUsers(2))
	if again.Users()[1].XID() != users[1].XID() {
		t.Error("the second user differs between servers with the same seed")
	}
	if got := listPage(t, again, again.Users()[1].MintToken().AccessToken, "/users/@me/moves?limit=100").Items; !slices.Equal(got, movesB) {
		t.Error("the second user's moves differ between servers with the same seed")
	}
	// One user's events are not another's.
	if got := status(t, s, a, "/moves/"+movesB[0].XID); got != http.StatusNotFound {
		t.Errorf("user 1 reading user 2's move: %d, want 404", got)
	}
	if got := status(t, s, b, "/moves/"+movesB[0].XID+"/ticks"); got != http.StatusOK {
		t.Errorf("user 2 reading their move's ticks: %d", got)
	}
	xid := created(t, s, b, "workouts", workoutForm(time.Now().Add(-time.Hour)))
	if got := status(t, s, a, "/workouts/"+xid); got != http.StatusNotFound {
		t.Errorf("user 1 reading user 2's new workout: %d, want 404", got)
	}
	if resp, _ := do(t, http.MethodDelete, s.URL+"/workouts/"+xid, a, nil, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("user 1 deleting user 2's workout: %d, want 404", resp.StatusCode)
	}
	// Add, Touch and Delete act on the user they are given.
	mood := uptest.Add(users[2], gen.Mood{SubType: 3})
	c := users[2].MintToken().AccessToken
	if got := status(t, s, c, "/mood/"+mood.XID); got != http.StatusOK {
		t.Errorf("user 3's added mood: %d", got)
	}
	if got := status(t, s, a, "/mood/"+mood.XID); got != http.StatusNotFound {
		t.Errorf("user 1 reading user 3's added mood: %d, want 404", got)
	}
	if err := users[0].Touch(uptest.KindMood, mood.XID); err == nil {
		t.Error("Touch found user 3's mood in user 1's data")
	}
	if err := users[2].Touch(uptest.KindMood, mood.XID); err != nil {
		t.Error(err)
	}
	if err := users[2].Delete(uptest.KindMood, mood.XID); err != nil {
		t.Error(err)
	}
	if got := status(t, s, c, "/mood/"+mood.XID); got != http.StatusNotFound {
		t.Errorf("user 3's deleted mood: %d, want 404", got)
	}
}

func TestUserFriendsAndPaths(t *testing.T) {
	s := uptest.NewServer(t, uptest.WithUsers(2))
	one, two := s.Users()[0], s.Users()[1]
	three := s.AddUser()
	// Every user has three friends outside the server; each new user
	// befriends one user already there.
	if f := two.Friends(); len(f) != 4 || f[3] != one.XID() || !slices.Contains(one.Friends(), two.XID()) {
		t.Fatalf("friends of user 2 %v, of user 1 %v", f, one.Friends())
	}
	friendsOf := func(u *uptest.User) []string {
		var env gen.FriendListEnvelope
		_, body := get(t, s, u.MintToken("friends_read").AccessToken, "/users/@me/friends")
		decodeStrict(t, body, &env)
		var out []string
		for _, f := range env.Data.Items {
			out = append(out, f.XID)
		}
		return out
	}
	if got := friendsOf(two); !slices.Equal(got, two.Friends()) {
		t.Errorf("listFriends %v, want %v", got, two.Friends())
	}
	stranger := one
	if slices.Contains(three.Friends(), one.XID()) {
		stranger = two
	}
	tok := three.MintToken().AccessToken
	if got := status(t, s, tok, "/users/"+three.XID()+"/moves"); got != http.StatusOK {
		t.Errorf("a user's own XID path: %d", got)
	}
	if got := status(t, s, tok, "/users/"+stranger.XID()+"/moves"); got != http.StatusNotFound {
		t.Errorf("another user's XID path: %d, want 404", got)
	}
	three.Befriend(stranger)
	if !slices.Contains(friendsOf(stranger), three.XID()) || !slices.Contains(friendsOf(three), stranger.XID()) {
		t.Error("Befriend is not mutual")
	}
	resp, body := get(t, s, tok, "/users/"+stranger.XID()+"/moves")
	errorMeta(t, resp, body, http.StatusForbidden, "FORBIDDEN")
	// Without a token, a user's XID path fails authentication as /users/@me does.
	resp, body = get(t, s, "", "/users/"+two.XID()+"/moves")
	errorMeta(t, resp, body, http.StatusUnauthorized, "NOT_AUTHORIZED")
	// links.next names the caller.
	p := listPage(t, s, tok, "/users/@me/moves?limit=2")
	if p.Links == nil || !strings.Contains(p.Links.Next, "/users/"+three.XID()+"/moves?") {
		t.Errorf("links %+v, want a next page under user 3's XID", p.Links)
	}
	if next := listPage(t, s, tok, p.Links.Next); len(next.Items) != 2 {
		t.Errorf("next page: %d items", len(next.Items))
	}
}

func TestUserTokens(t *testing.T) {
	s := uptest.NewServer(t, uptest.WithUsers(3))
	one, two, three := s.Users()[0], s.Users()[1], s.Users()[2]
	tokOne, tokTwo, tokThree := login(t, s, one), login(t, s, two, "basic_read", "move_read"), login(t, s, three)
	if metaXID, _ := me(t, s, tokTwo.AccessToken); metaXID != two.XID() {
		t.Fatalf("a code Allowed by user 2 gave a token for %s", metaXID)
	}
	if got := status(t, s, tokTwo.AccessToken, "/users/@me/sleeps"); got != http.StatusForbidden {
		t.Errorf("the scopes asked for: sleeps %d, want 403", got)
	}

	// ExpireAccessTokens, for one user or the default one, leaves the others'.
	two.ExpireAccessTokens()
	if status(t, s, tokTwo.AccessToken, "/users/@me") != http.StatusUnauthorized || status(t, s, tokOne.AccessToken, "/users/@me") != http.StatusOK {
		t.Error("User.ExpireAccessTokens expired another user's token, or not its own")
	}
	s.ExpireAccessTokens()
	if status(t, s, tokOne.AccessToken, "/users/@me") != http.StatusUnauthorized || status(t, s, tokThree.AccessToken, "/users/@me") != http.StatusOK {
		t.Error("Server.ExpireAccessTokens is not the default user's")
	}
	s.ExpireAllAccessTokens()
	if status(t, s, tokThree.AccessToken, "/users/@me") != http.StatusUnauthorized {
		t.Error("ExpireAllAccessTokens left a token working")
	}

	// Refresh, then send the rotated refresh token again.
	st, fresh, _ := tokenCall(t, s, refreshForm(s, tokTwo.RefreshToken))
	if st != http.StatusOK || status(t, s, fresh.AccessToken, "/users/@me/moves") != http.StatusOK {
		t.Fatalf("refresh: %d", st)
	}
	if s.RefreshTokenReplays() != 0 || two.RefreshTokenReplays() != 0 {
		t.Errorf("replays before any: %d, %d", s.RefreshTokenReplays(), two.RefreshTokenReplays())
	}
	if st, _, oerr := tokenCall(t, s, refreshForm(s, tokTwo.RefreshToken)); st != http.StatusBadRequest || oerr.Error != "invalid_grant" {
		t.Errorf("replayed refresh token: %d %+v", st, oerr)
	}
	if s.RefreshTokenReplays() != 1 || two.RefreshTokenReplays() != 1 || one.RefreshTokenReplays() != 0 {
		t.Errorf("replays: server %d, user 2 %d, user 1 %d; want 1, 1, 0", s.RefreshTokenReplays(), two.RefreshTokenReplays(), one.RefreshTokenReplays())
	}
	if n := s.RefreshTokenRequests(tokTwo.RefreshToken); n != 2 {
		t.Errorf("requests with the first refresh token: %d, want 2", n)
	}
	if n := s.RefreshTokenRequests(fresh.RefreshToken); n != 0 {
		t.Errorf("requests with the fresh refresh token: %d, want 0", n)
	}
	if got := two.TokenRequests(); got["authorization_code"] != 1 || got["refresh_token"] != 2 {
		t.Errorf("user 2's token requests %v", got)
	}
	if got := s.TokenRequests(); got["authorization_code"] != 3 || got["refresh_token"] != 2 {
		t.Errorf("every token request %v", got)
	}

	// Revoke ends every token of the user, refresh tokens included, and its webhooks.
	rc := newReceiver(t)
	subscribe(t, s, fresh.AccessToken, rc.srv.URL)
	kept := three.MintToken()
	two.Revoke()
	if status(t, s, fresh.AccessToken, "/users/@me") != http.StatusUnauthorized || status(t, s, kept.AccessToken, "/users/@me") != http.StatusOK {
		t.Error("Revoke ended another user's token, or not its own")
	}
	if st, _, oerr := tokenCall(t, s, refreshForm(s, fresh.RefreshToken)); st != http.StatusBadRequest || oerr.Error != "invalid_grant" {
		t.Errorf("refresh after Revoke: %d %+v", st, oerr)
	}
	uptest.Add(two, gen.Mood{SubType: 2})
	wait(t, s)
	if n := len(rc.notifications()); n != 0 {
		t.Errorf("%d notifications after Revoke", n)
	}
}

func TestUserWebhooks(t *testing.T) {
	s := uptest.NewServer(t, uptest.WithUsers(2))
	one, two := s.Users()[0], s.Users()[1]
	rc := newReceiver(t)
	subscribe(t, s, two.MintToken().AccessToken, rc.srv.URL)
	created(t, s, one.MintToken().AccessToken, "mood", url.Values{"title": {"Good"}, "sub_type": {"4"}})
	xid := created(t, s, two.MintToken().AccessToken, "mood", url.Values{"title": {"Meh"}, "sub_type": {"5"}})
	uptest.Add(s, gen.Mood{SubType: 1})
	wait(t, s)
	got := rc.notifications()
	if len(got) != 1 || got[0].Events[0].UserXID != two.XID() || got[0].Events[0].EventXID != xid {
		t.Fatalf("notifications %+v, want user 2's mood only", got)
	}
	if d := two.Deliveries(); len(d) != 1 || !d[0].Delivered {
		t.Errorf("user 2's deliveries %+v", d)
	}
	if d := one.Deliveries(); len(d) != 0 {
		t.Errorf("user 1's deliveries %+v", d)
	}
}

// TestThousandUsers logs a thousand users in through the authorization
// code flow and drives them at once, several requests each, for the race
// detector: every answer must be the caller's.
func TestThousandUsers(t *testing.T) {
	if testing.Short() {
		t.Skip("a thousand users: skipped in -short mode")
	}
	s := uptest.NewServer(t, uptest.WithUsers(1000), uptest.WithDays(2))
	users := s.Users()
	jobs := make(chan *uptest.User)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range jobs {
				tok := login(t, s, u, "basic_read", "move_read", "friends_read")
				var inner sync.WaitGroup
				for i := range 3 {
					inner.Add(1)
					go func() {
						defer inner.Done()
						switch i {
						case 0:
							if metaXID, dataXID := me(t, s, tok.AccessToken); metaXID != u.XID() || dataXID != u.XID() {
								t.Errorf("%v got %s's profile", u, dataXID)
							}
						case 1:
							_, body := get(t, s, tok.AccessToken, "/users/@me/friends")
							if !strings.Contains(string(body), `"user_xid":"`+u.XID()+`"`) {
								t.Errorf("%v: friends %s", u, body)
							}
						default: // another of the user's tokens, since a refresh ends the one it replaces
							if st, _, oerr := tokenCall(t, s, refreshForm(s, u.MintToken().RefreshToken)); st != http.StatusOK {
								t.Errorf("%v: refresh %d %+v", u, st, oerr)
							}
						}
					}()
				}
				inner.Wait()
			}
		}()
	}
	for i, u := range users {
		jobs <- u
		if i%100 == 0 { // now and then a user whose history is read too
			tok := u.MintToken("move_read").AccessToken
			var env struct {
				Meta gen.Meta `json:"meta"`
				Data page     `json:"data"`
			}
			_, body := get(t, s, tok, "/users/@me/moves")
			if err := json.Unmarshal(body, &env); err != nil || env.Meta.UserXID != u.XID() || env.Data.Size != 2 {
				t.Errorf("%v: moves %s", u, body)
			}
		}
	}
	close(jobs)
	wg.Wait()
	if n := s.RefreshTokenReplays(); n != 0 {
		t.Errorf("%d refresh token replays", n)
	}
	if got := s.TokenRequests(); got["authorization_code"] != 1000 || got["refresh_token"] != 1000 {
		t.Errorf("token requests %v", got)
	}
}

// TestFirstCallsAtOnce has many calls read a user's history at once, the
// first of them seeding it: every one sees the whole history.
func TestFirstCallsAtOnce(t *testing.T) {
	s := uptest.NewServer(t, uptest.WithUsers(2))
	u := s.Users()[1]
	tok := u.MintToken().AccessToken
	bodies := make([]string, 16)
	var wg sync.WaitGroup
	for i := range bodies {
		wg.Go(func() {
			_, body := get(t, s, tok, "/users/@me/sleeps?limit=100")
			bodies[i] = trimTime(body)
		})
	}
	wg.Wait()
	for i, b := range bodies {
		if b != bodies[0] || !strings.Contains(b, `"size":30`) {
			t.Fatalf("call %d saw %.200s, call 0 %.200s", i, b, bodies[0])
		}
	}
}
