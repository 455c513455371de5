package up

import (
	"fmt"
	"slices"
	"testing"
)

func TestAllScopes(t *testing.T) {
	t.Parallel()
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

func TestScopesString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in              Scopes
		want, requested string
	}{
		{nil, "", "basic_read"},
		{Scopes{}, "", "basic_read"},
		{Scopes{ScopeMoveRead}, "move_read", "move_read"},
		{Scopes{ScopeMoveRead, ScopeSleepRead, ScopeHeartRateRead}, "move_read sleep_read heartrate_read", "move_read sleep_read heartrate_read"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Scopes(%q).String() = %q, want %q", []Scope(tt.in), got, tt.want)
		}
		if got := fmt.Sprint(tt.in); got != tt.want {
			t.Errorf("fmt.Sprint(Scopes(%q)) = %q, want %q", []Scope(tt.in), got, tt.want)
		}
		if got := tt.in.requested(); got != tt.requested {
			t.Errorf("Scopes(%q).requested() = %q, want %q", []Scope(tt.in), got, tt.requested)
		}
	}
	in := Scopes{ScopeMealRead}
	_ = in.String()
	if !slices.Equal(in, Scopes{ScopeMealRead}) {
		t.Error("String changed its receiver")
	}
}
