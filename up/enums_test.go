package up_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/upapi/up-go/up"
)

// TestEnumerations checks the named values: what String says of a listed
// and an unlisted value, what Valid says, and that a response with a value
// the spec does not list decodes, keeping the number.
func TestEnumerations(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		v     interface{ Valid() bool }
		str   string
		valid bool
	}{
		{up.WorkoutRun, "run", true},
		{up.WorkoutGame, "game", true},
		{up.WorkoutType(0), "WorkoutType(0)", false},
		{up.WorkoutType(99), "WorkoutType(99)", false},
		{up.IntensityHard, "hard", true},
		{up.MealDinner, "dinner", true},
		{up.MealType(4), "MealType(4)", false},
		{up.MoodTotallyDone, "totally done", true},
		{up.SleepSound, "sound", true},
		{up.FoodPersonal, "personal", true},
		{up.MealItemDrink, "drink", true},
		{up.ServingGlass, "glass", true},
		{up.ServingType("tray"), "tray", false},
		{up.BandExitStopwatchMode, "exit_stopwatch_mode", true},
	} {
		if got := fmt.Sprint(tt.v); got != tt.str || tt.v.Valid() != tt.valid {
			t.Errorf("%#v prints %q, valid %v; want %q, %v", tt.v, got, tt.v.Valid(), tt.str, tt.valid)
		}
	}
	var w up.Workout
	if err := json.Unmarshal([]byte(`{"xid":"x","date":20131121,"time_created":1,"sub_type":99,"details":{"intensity":null}}`), &w); err != nil {
		t.Fatal(err)
	}
	if w.SubType != 99 || w.SubType.Valid() || w.Details.Intensity != 0 {
		t.Errorf("decoded %+v", w)
	}
	if b, _ := json.Marshal(up.WorkoutCreate{SubType: up.WorkoutRun}); string(b) != `{"sub_type":2}` {
		t.Errorf("a workout type encodes as %s, want its number", b)
	}
}
