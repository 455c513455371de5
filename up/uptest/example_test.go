package uptest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
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
	fmt.Println(resp.StatusCode, env.Meta.Message, *env.Data.First, *env.Data.Last, env.Data.XID == s.UserXID())
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
