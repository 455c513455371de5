package main

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/upapi/up-go/up"
)

// Limits of the workout form.
const (
	maxWorkoutMinutes  = 24 * 60
	maxWorkoutCalories = 10000
	maxTitleRunes      = 60
	// maxWorkoutAge is how far back a workout may be logged: as far as the
	// charts reach.
	maxWorkoutAge = chartDays * 24 * time.Hour
	// clockSkew is how far in the future a workout may end, for clocks that
	// run a little ahead of the server's.
	clockSkew = 5 * time.Minute
	// startLayout is the layout of an <input type="datetime-local">.
	startLayout = "2006-01-02T15:04"
)

// workoutForm is the workout form as the user filled it in: the values to
// show again, and what is wrong with each field.
type workoutForm struct {
	Kind, Start, Minutes, Intensity, Calories, Title string
	Errors                                           map[string]string
}

// defaultWorkoutForm is the empty form: a walk that started an hour ago.
func defaultWorkoutForm(now time.Time, loc *time.Location) workoutForm {
	return workoutForm{Kind: "1", Start: now.In(loc).Add(-time.Hour).Format(startLayout), Minutes: "30"}
}

// parseWorkoutForm reads and checks the form's fields. On success it
// returns the workout to create; otherwise the form with an error for each
// field at fault, and nil.
func parseWorkoutForm(v url.Values, now time.Time, loc *time.Location) (workoutForm, *up.WorkoutCreate) {
	f := workoutForm{
		Kind: strings.TrimSpace(v.Get("kind")), Start: strings.TrimSpace(v.Get("start")),
		Minutes: strings.TrimSpace(v.Get("minutes")), Intensity: strings.TrimSpace(v.Get("intensity")),
		Calories: strings.TrimSpace(v.Get("calories")), Title: strings.TrimSpace(v.Get("title")),
		Errors: map[string]string{},
	}
	var w up.WorkoutCreate

	kind, err := strconv.Atoi(f.Kind)
	if _, known := workoutNames[kind]; err != nil || !known {
		f.Errors["kind"] = "Choose the kind of workout."
	}
	w.SubType = up.WorkoutType(kind)

	start, err := time.ParseInLocation(startLayout, f.Start, loc)
	if err != nil {
		f.Errors["start"] = "Enter when the workout started, as a date and a time."
	}

	minutes, err := strconv.Atoi(f.Minutes)
	switch {
	case err != nil:
		f.Errors["minutes"] = "Enter the duration as a whole number of minutes."
	case minutes < 1 || minutes > maxWorkoutMinutes:
		f.Errors["minutes"] = fmt.Sprintf("A workout lasts from 1 to %d minutes.", maxWorkoutMinutes)
	}

	if f.Errors["start"] == "" {
		end := start.Add(time.Duration(minutes) * time.Minute)
		switch {
		case start.Before(now.Add(-maxWorkoutAge)):
			f.Errors["start"] = fmt.Sprintf("Log workouts of the last %d days only.", chartDays)
		case start.After(now.Add(clockSkew)):
			f.Errors["start"] = "The workout cannot start in the future."
		case f.Errors["minutes"] == "" && end.After(now.Add(clockSkew)):
			f.Errors["minutes"] = "The workout cannot end in the future: shorten it, or start it earlier."
		}
		w.TimeCreated = up.Ptr(up.EpochOf(start))
		w.TimeCompleted = up.Ptr(up.EpochOf(end))
	}

	if f.Intensity != "" {
		n, err := strconv.Atoi(f.Intensity)
		if _, known := intensityNames[n]; err != nil || !known {
			f.Errors["intensity"] = "Choose an intensity from the list."
		}
		w.Intensity = up.Ptr(up.WorkoutIntensity(n))
	}

	if f.Calories != "" {
		n, err := strconv.Atoi(f.Calories)
		if err != nil || n < 0 || n > maxWorkoutCalories {
			f.Errors["calories"] = fmt.Sprintf("Calories are a whole number from 0 to %d.", maxWorkoutCalories)
		}
		w.Calories = up.Ptr(float64(n))
	}

	if f.Title != "" {
		switch {
		case !utf8.ValidString(f.Title) || strings.ContainsFunc(f.Title, unicode.IsControl):
			f.Errors["title"] = "The title holds characters that cannot be shown."
		case utf8.RuneCountInString(f.Title) > maxTitleRunes:
			f.Errors["title"] = fmt.Sprintf("Keep the title to %d characters.", maxTitleRunes)
		}
		w.Title = up.Ptr(f.Title)
	}

	if len(f.Errors) > 0 {
		return f, nil
	}
	f.Errors = nil
	return f, &w
}

// workoutKinds lists the kinds of workout for the form's menu, by name.
func workoutKinds() []option {
	opts := make([]option, 0, len(workoutNames))
	for n, name := range workoutNames {
		opts = append(opts, option{Value: strconv.Itoa(n), Label: name})
	}
	slices.SortFunc(opts, func(a, b option) int { return strings.Compare(a.Label, b.Label) })
	return opts
}

// intensities lists the intensities for the form's menu, easiest first.
func intensities() []option {
	opts := []option{{Value: "", Label: "not given"}}
	for n := 1; n <= len(intensityNames); n++ {
		opts = append(opts, option{Value: strconv.Itoa(n), Label: intensityNames[n]})
	}
	return opts
}

// option is an entry of a form's menu.
type option struct{ Value, Label string }
