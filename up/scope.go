package up

import (
	"cmp"
	"strings"
)

// Scope is a permission an application asks the user to grant, such as
// read access to sleeps. See https://jawbone.com/up/developer/authentication.
type Scope string

// The scopes the UP API documents. A token carries the scopes the user
// granted; calls outside them fail with a 401 or 403.
const (
	// ScopeBasicRead reads the user's name and picture; it is requested when
	// Config.Scopes is empty.
	ScopeBasicRead Scope = "basic_read"
	// ScopeExtendedRead reads the extended profile, such as weight and height.
	ScopeExtendedRead Scope = "extended_read"
	// ScopeLocationRead reads where events took place (the place_* fields).
	ScopeLocationRead Scope = "location_read"
	// ScopeFriendsRead reads the user's friends list.
	ScopeFriendsRead Scope = "friends_read"
	// ScopeMoodRead reads mood entries.
	ScopeMoodRead Scope = "mood_read"
	// ScopeMoodWrite creates and deletes mood entries.
	ScopeMoodWrite Scope = "mood_write"
	// ScopeMoveRead reads moves, workouts and band events.
	ScopeMoveRead Scope = "move_read"
	// ScopeMoveWrite creates and changes workouts.
	ScopeMoveWrite Scope = "move_write"
	// ScopeSleepRead reads sleeps and band events.
	ScopeSleepRead Scope = "sleep_read"
	// ScopeSleepWrite creates and deletes sleeps.
	ScopeSleepWrite Scope = "sleep_write"
	// ScopeMealRead reads meals.
	ScopeMealRead Scope = "meal_read"
	// ScopeMealWrite creates, changes and deletes meals.
	ScopeMealWrite Scope = "meal_write"
	// ScopeWeightRead reads body events such as weight and body fat.
	ScopeWeightRead Scope = "weight_read"
	// ScopeWeightWrite creates and deletes body events.
	ScopeWeightWrite Scope = "weight_write"
	// ScopeGenericEventRead reads custom (generic) events.
	ScopeGenericEventRead Scope = "generic_event_read"
	// ScopeGenericEventWrite creates, changes and deletes custom events.
	ScopeGenericEventWrite Scope = "generic_event_write"
	// ScopeHeartRateRead reads resting heart rates.
	ScopeHeartRateRead Scope = "heartrate_read"
	// ScopeCardiacRead reads cardiac events.
	//
	// Deprecated: cardiac events belong to API v1.0; v1.1 serves heart
	// rates under ScopeHeartRateRead.
	ScopeCardiacRead Scope = "cardiac_read"
	// ScopeCardiacWrite creates cardiac events.
	//
	// Deprecated: cardiac events belong to API v1.0 and have no v1.1
	// replacement that can be written.
	ScopeCardiacWrite Scope = "cardiac_write"
)

// AllScopes returns every documented scope, the deprecated cardiac ones
// last, in a new slice the caller may modify.
func AllScopes() Scopes {
	return Scopes{
		ScopeBasicRead, ScopeExtendedRead, ScopeLocationRead, ScopeFriendsRead,
		ScopeMoodRead, ScopeMoodWrite, ScopeMoveRead, ScopeMoveWrite,
		ScopeSleepRead, ScopeSleepWrite, ScopeMealRead, ScopeMealWrite,
		ScopeWeightRead, ScopeWeightWrite, ScopeGenericEventRead, ScopeGenericEventWrite,
		ScopeHeartRateRead, ScopeCardiacRead, ScopeCardiacWrite,
	}
}

// Scopes is a list of scopes, as Config.Scopes asks for them.
type Scopes []Scope

// String returns the scopes separated by spaces, as the authorization
// endpoint's scope parameter and a token's scope field write them; it is
// empty for none.
func (s Scopes) String() string {
	parts := make([]string, len(s))
	for i, sc := range s {
		parts[i] = string(sc)
	}
	return strings.Join(parts, " ")
}

// requested returns the scope parameter of a login asking for s: s itself,
// or basic_read for none, which is what UP grants then.
func (s Scopes) requested() string { return cmp.Or(s.String(), string(ScopeBasicRead)) }
