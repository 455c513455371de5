package main

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/upapi/up-go/internal/realpart"
)

// TestPostgreSQL runs the app with its tokens in PostgreSQL: sign in,
// dashboard, a refresh after the token expired, sign out. It needs
// UP_TEST_POSTGRES_DSN, a database in which the test may create a table
// (README, Development); without it the test skips, or fails when
// UP_REQUIRE_POSTGRES=1.
func TestPostgreSQL(t *testing.T) {
	dsn := os.Getenv("UP_TEST_POSTGRES_DSN")
	if dsn == "" {
		realpart.Absent(t, realpart.Postgres,
			"set UP_TEST_POSTGRES_DSN to a database the tests may create tables in (README, Development)")
	}
	h := newHarness(t, harnessConfig{users: 2, postgres: dsn})
	u := h.users()[1]
	b := h.browser()
	b.signIn(u)
	if p := b.get("/dashboard"); p.status != http.StatusOK || !strings.Contains(p.body, `id="steps"`) {
		t.Fatalf("dashboard: %d", p.status)
	}
	stored := h.storedToken(u)
	if stored == nil {
		t.Fatal("no token in PostgreSQL after signing in")
	}
	u.ExpireAccessTokens()
	xid := firstWorkoutXID(t, b.get("/dashboard").body)
	if p := b.get("/workouts/" + xid); p.status != http.StatusOK {
		t.Errorf("a workout after the token expired: %d", p.status)
	}
	if n := u.TokenRequests()["refresh_token"]; n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	if now := h.storedToken(u); now == nil || now.AccessToken == stored.AccessToken {
		t.Error("the refreshed token was not stored in PostgreSQL")
	}
	if p := b.post("/signout", nil); p.status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", p.status)
	}
	if h.storedToken(u) != nil {
		t.Error("the token is still in PostgreSQL after signing out")
	}
}
