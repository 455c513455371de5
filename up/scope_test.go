package up

import (
	"slices"
	"testing"
)

func TestAllScopes(t *testing.T) {
	want := []string{
		"basic_read", "extended_read", "location_read", "friends_read", "mood_read", "mood_write",
		"move_read", "move_write", "sleep_read", "sleep_write", "meal_read", "meal_write",
		"weight_read", "weight_write", "generic_event_read", "generic_event_write", "heartrate_read",
		"cardiac_read", "cardiac_write",
	}
	got := AllScopes()
	if len(got) != len(want) {
		t.Fatalf("AllScopes has %d scopes, want %d", len(got), len(want))
	}
	for i, s := range got {
		if string(s) != want[i] {
			t.Errorf("AllScopes()[%d] = %q, want %q", i, s, want[i])
		}
	}
	got[0] = "tampered"
	if AllScopes()[0] != ScopeBasicRead {
		t.Error("AllScopes returns a shared slice")
	}
}

func TestJoinScopes(t *testing.T) {
	tests := []struct {
		in   []Scope
		want string
	}{
		{nil, "basic_read"},
		{[]Scope{}, "basic_read"},
		{[]Scope{ScopeMoveRead}, "move_read"},
		{[]Scope{ScopeMoveRead, ScopeSleepRead, ScopeHeartRateRead}, "move_read sleep_read heartrate_read"},
	}
	for _, tt := range tests {
		if got := joinScopes(tt.in); got != tt.want {
			t.Errorf("joinScopes(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	in := []Scope{ScopeMealRead}
	joinScopes(in)
	if !slices.Equal(in, []Scope{ScopeMealRead}) {
		t.Error("joinScopes changed its argument")
	}
}
