package up

import (
	"time"

	"github.com/upapi/up-go/up/wire"
)

// Value types, as the UP API writes them on the wire (see package wire).
type (
	// Epoch is a moment in whole seconds since the Unix epoch (an int64);
	// Time converts it to a time.Time in UTC.
	Epoch = wire.Epoch
	// Date is a calendar day, the int YYYYMMDD, in the user's time zone.
	// Year, Month and Day read it, Valid reports whether the calendar has
	// it, In gives its first instant in a location, AddDays moves it, and
	// String writes it YYYY-MM-DD.
	Date = wire.Date
	// Coordinate is a latitude or longitude, carried as a decimal string
	// (empty when unknown); Float64 reads it.
	Coordinate = wire.Coordinate
	// TZTransition is a time-zone change within a move's day, the pair
	// [epoch, zone] on the wire; Location gives its time.Location.
	//
	//	type TZTransition struct {
	//		Start  Epoch  // when the zone took effect
	//		Name   string // the Olson name, when the server sent one
	//		Offset *int   // the offset from UTC in seconds, when it sent a number instead
	//	}
	TZTransition = wire.TZTransition
	// Gender is a user's gender, sent as a boolean or as a number; Female
	// and Male read it, Numeric says which form it came in, String names
	// it. See https://jawbone.com/up/developer/endpoints/user.
	Gender = wire.Gender
)

// EpochOf returns t as an Epoch.
func EpochOf(t time.Time) Epoch { return wire.EpochOf(t) }

// DateOf returns the calendar day of t in t's location; use t.In(loc) to
// date a moment in the user's time zone.
func DateOf(t time.Time) Date { return wire.DateOf(t) }

// NewDate returns the Date of year, month and day.
func NewDate(year int, month time.Month, day int) Date { return wire.NewDate(year, month, day) }

// ParseDate reads a day written YYYYMMDD or YYYY-MM-DD.
func ParseDate(s string) (Date, error) { return wire.ParseDate(s) }

// GenderOf returns the female Gender when female is true, the male one
// otherwise.
func GenderOf(female bool) Gender { return wire.GenderOf(female) }

// The generated models of the spec's schemas that a program reads and
// writes are re-exported in types.gen.go, each with a doc comment that shows
// its fields, and the values of the enumerated ones with them.
//
//go:generate go run ../api/internal/typegen -spec ../api/up.yaml aliases -o types.gen.go -models ../gen/types.gen.go -up . User Friend FriendList Trends TrendPoint TrendMetrics TrendUnit Goals GoalsUpdate Settings TimeZone TZDetails Move MoveDetails HourlyTotal Tick Workout WorkoutDetails WorkoutType WorkoutIntensity WorkoutCreate WorkoutUpdate Sleep SleepDetails SleepCreate SleepTick SleepPhase Meal MealDetails MealType MealItem MealItemType FoodType ServingType MealItemList BodyEvent BodyEventCreate HeartRate GenericEvent Mood MoodType MoodCreate BandEvent BandEventAction CardiacEvent CardiacEventCreate

// Ptr returns a pointer to v, for the optional fields of the types above.
func Ptr[T any](v T) *T { return &v }
