package main

import (
	"strings"
	"testing"
)

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"since", "since", 0},
		{"sinc", "since", 1}, {"workout", "workouts", 1}, {"moevs", "moves", 1}, // a swap is one edit
		{"kitten", "sitting", 3}, {"ca", "abc", 3}, {"héllo", "hello", 1},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := editDistance(tc.b, tc.a); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d (it is symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	resources := resourceNames()
	for typed, want := range map[string]string{
		"workout": "workouts", "WORKOUTS": "workouts", "body-events": "body_events", "bandevent": "bandevents",
		"heartrate": "heartrates", "generic": "generic_events", // a unique prefix
		"cardiac": "cardiac_events", "sleps": "sleeps", "maels": "meals", "mael": "",
		"frobnicate": "", "x": "", "": "", "events": "", "mo": "",
	} {
		if got := suggest(typed, resources); got != want {
			t.Errorf("suggest(%q) = %q, want %q", typed, got, want)
		}
	}
	commands := []string{"login", "logout", "list", "get", "export", "help"}
	// Two names as close: no guess.
	if got := suggest("logn", commands); got != "login" {
		t.Errorf("suggest(logn) = %q", got)
	}
	if got := suggest("lot", commands); got != "" {
		t.Errorf("suggest(lot) = %q, want none between list and get", got)
	}
	if got := didYouMean("lsit", "up ", commands); got != "; did you mean up list?" {
		t.Errorf("didYouMean(lsit) = %q", got)
	}
}

func TestDidYouMean(t *testing.T) {
	e := newEnv(t)
	e.loggedIn()
	e.fails(exitUsage, `unknown command "lsit"; did you mean up list? (see 'up help')`, "lsit", "moves")
	e.fails(exitUsage, `unknown command "frobnicate" (see 'up help')`, "frobnicate")
	e.fails(exitUsage, "export: unknown flag --resource; did you mean --resources? (see 'up export --help')", "export", t.TempDir(), "--resource", "moves")
	e.fails(exitUsage, "whoami: unknown flag --fromat; did you mean --format?", "whoami", "--fromat", "json")
	e.fails(exitUsage, `friends: unknown --format "jsn"; did you mean json? (table or json)`, "friends", "--format", "jsn")
	e.fails(exitUsage, "login: unknown flag --scope-list (see 'up login --help')", "login", "--scope-list", "x")
	stderr := e.fails(exitUsage, `export: "trends" is not a list resource: up get /users/@me/trends`, "export", t.TempDir(), "--resources", "moves,trends")
	if !strings.Contains(stderr, "move_ticks") {
		t.Errorf("the export's names are not listed: %s", stderr)
	}
}

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{plural(0, "page"), "0 pages"}, {plural(1, "page"), "1 page"}, {plural(2, "page"), "2 pages"},
		{plural(1, "tick series", "tick series"), "1 tick series"}, {plural(3, "tick series", "tick series"), "3 tick series"},
		{joinAnd(nil), ""}, {joinAnd([]string{"a"}), "a"}, {joinAnd([]string{"a", "b"}), "a and b"}, {joinAnd([]string{"a", "b", "c"}), "a, b and c"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
