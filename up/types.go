package up

import (
	"time"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/wire"
)

// Value types, as the UP API writes them on the wire (see package wire).
type (
	// Epoch is a moment in whole seconds since the Unix epoch; Time converts it.
	Epoch = wire.Epoch
	// Date is a calendar day, YYYYMMDD, in the user's time zone.
	Date = wire.Date
	// Coordinate is a latitude or longitude, carried as a decimal string.
	Coordinate = wire.Coordinate
	// TZTransition is a time-zone change within a move's day.
	TZTransition = wire.TZTransition
	// Gender is a user's gender, sent as a boolean or as a number; Female
	// reads it. See https://jawbone.com/up/developer/endpoints/user.
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

// CoordinateOf formats f as a Coordinate.
func CoordinateOf(f float64) Coordinate { return wire.CoordinateOf(f) }

// GenderOf returns the female Gender when female is true, the male one
// otherwise.
func GenderOf(female bool) Gender { return wire.GenderOf(female) }

// The user, their friends and their settings.
type (
	User         = gen.User
	Friend       = gen.Friend
	FriendList   = gen.FriendList
	Trends       = gen.Trends
	TrendPoint   = gen.TrendPoint
	TrendMetrics = gen.TrendMetrics
	TrendUnit    = gen.TrendUnit
	Goals        = gen.Goals
	GoalsUpdate  = gen.GoalsUpdate
	Settings     = gen.Settings
	TimeZone     = gen.TimeZone
)

// Units of a trends query.
const (
	TrendUnitDay   = gen.TrendUnitDay
	TrendUnitWeek  = gen.TrendUnitWeek
	TrendUnitMonth = gen.TrendUnitMonth
	TrendUnitYear  = gen.TrendUnitYear
)

// Events, as the API returns them, and the fields to create or change them.
type (
	TZDetails = gen.TZDetails

	Move        = gen.Move
	MoveDetails = gen.MoveDetails
	HourlyTotal = gen.HourlyTotal
	Tick        = gen.Tick

	Workout        = gen.Workout
	WorkoutDetails = gen.WorkoutDetails
	WorkoutCreate  = gen.WorkoutCreate
	WorkoutUpdate  = gen.WorkoutUpdate

	Sleep        = gen.Sleep
	SleepDetails = gen.SleepDetails
	SleepCreate  = gen.SleepCreate
	SleepTick    = gen.SleepTick

	Meal         = gen.Meal
	MealDetails  = gen.MealDetails
	MealItem     = gen.MealItem
	MealItemList = gen.MealItemList

	BodyEvent       = gen.BodyEvent
	BodyEventCreate = gen.BodyEventCreate

	HeartRate = gen.HeartRate

	GenericEvent = gen.GenericEvent

	Mood       = gen.Mood
	MoodCreate = gen.MoodCreate

	BandEvent       = gen.BandEvent
	BandEventAction = gen.BandEventAction

	// Deprecated: cardiac events are API v1.0; use HeartRate.
	CardiacEvent = gen.CardiacEvent //nolint:staticcheck // re-exported for the deprecated cardiac methods
	// Deprecated: cardiac events are API v1.0.
	CardiacEventCreate = gen.CardiacEventCreate //nolint:staticcheck // re-exported for the deprecated cardiac methods
)

// What a band event says the band did.
const (
	BandEnterSleepMode     = gen.BandEventActionEnterSleepMode
	BandExitSleepMode      = gen.BandEventActionExitSleepMode
	BandEnterStopwatchMode = gen.BandEventActionEnterStopwatchMode
	BandExitStopwatchMode  = gen.BandEventActionExitStopwatchMode
)

// Ptr returns a pointer to v, for the optional fields of the types above.
func Ptr[T any](v T) *T { return &v }
