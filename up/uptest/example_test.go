package uptest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/uptest"
)

// A fake UP server, a token for its user, and an authenticated call.
func Example() {
	s := uptest.New() // in a test: uptest.NewServer(t)
	defer s.Close()
	tok := s.MintToken("basic_read")

	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, s.URL+"/users/@me", nil)
	if err != nil {
		panic(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var env gen.UserEnvelope
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode, env.Meta.Message, env.Data.First, env.Data.Last, env.Data.XID == s.UserXID())
	// Output: 200 OK Noah Franklin true
}

// NewServer in a test: the server closes when the test ends, and an answer
// that breaks the spec fails the test.
func ExampleNewServer() {
	testUser := func(t *testing.T) {
		s := uptest.NewServer(t, uptest.WithSeed(42), uptest.WithDays(7))
		tok := s.MintToken() // every scope
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"/users/@me/moves", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		var env gen.MoveListEnvelope
		if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
			t.Fatal(err)
		}
		if env.Data.Size != 7 {
			t.Errorf("%d moves, want a week's", env.Data.Size)
		}
	}
	_ = testUser
}

// Faults test how a client copes with a misbehaving API.
func ExampleServer_Inject() {
	s := uptest.New()
	defer s.Close()
	remove := s.Inject(uptest.Fault{Path: "/users/@me/workouts", Kind: uptest.FaultStatus, Status: 503, Count: 1})
	defer remove()

	get := func() int {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, s.URL+"/users/@me/workouts", nil)
		req.Header.Set("Authorization", "Bearer "+s.MintToken().AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	fmt.Println(get(), get())
	// Output: 503 200
}

// Many users: each call acts on the user whose token it carries.
func ExampleServer_AddUsers() {
	s := uptest.New(uptest.WithDays(1))
	defer s.Close()
	users := append([]*uptest.User{s.DefaultUser()}, s.AddUsers(2)...)
	for _, u := range users {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, s.URL+"/users/@me", nil)
		if err != nil {
			panic(err)
		}
		req.Header.Set("Authorization", "Bearer "+u.MintToken("basic_read").AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		var env gen.UserEnvelope
		err = json.NewDecoder(resp.Body).Decode(&env)
		_ = resp.Body.Close()
		if err != nil {
			panic(err)
		}
		fmt.Println(u.Email(), env.Data.First, env.Data.Last, env.Meta.UserXID == u.XID())
	}
	// Output:
	// user1@example.com Noah Franklin true
	// user2@example.com Nora Novak true
	// user3@example.com Maya Lindqvist true
}

// A user logs in to an app through the authorization code flow, as on the
// login page, without a browser.
func ExampleUser_Allow() {
	s := uptest.New(uptest.WithUsers(2))
	defer s.Close()
	u := s.Users()[1]
	cfg := s.Config("http://127.0.0.1:9999/callback", "basic_read") // the app's
	next, err := u.Allow(cfg.AuthCodeURL("some-state"))             // where the browser goes next
	if err != nil {
		panic(err)
	}
	back, err := url.Parse(next)
	if err != nil {
		panic(err)
	}
	tok, err := cfg.Exchange(context.Background(), back.Query().Get("code"))
	if err != nil {
		panic(err)
	}
	fmt.Println(back.Query().Get("state"), tok.AccessToken != "", tok.RefreshToken != "")
	// Output: some-state true true
}
