// Package wire holds the few Go types that carry UP API values exactly as
// Jawbone's servers put them on the wire.
//
// The generated models in package gen use these types through the spec's
// x-go-type extension, and package up re-exports them, so most programs never
// import wire directly. Each type decodes what real servers sent and encodes
// it back to the same JSON, so no field is lost in a round trip.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Epoch is a point in time as the UP API writes it: whole seconds since the
// Unix epoch, as a JSON number.
type Epoch int64

// EpochOf returns t as an Epoch, dropping anything finer than a second.
func EpochOf(t time.Time) Epoch { return Epoch(t.Unix()) }

// Time returns e as a time.Time in UTC.
func (e Epoch) Time() time.Time { return time.Unix(int64(e), 0).UTC() }

// Date is a calendar day as the UP API writes it: the integer YYYYMMDD, in
// the time zone of the user whose data it dates (20131121 is 21 November 2013).
type Date int

// NewDate returns the Date of year, month and day. It does not normalise: an
// impossible day such as 31 February gives a Date whose Valid reports false.
func NewDate(year int, month time.Month, day int) Date {
	return Date(year*10000 + int(month)*100 + day)
}

// DateOf returns the calendar day of t in t's own location; convert t with
// In first to date it in a user's time zone.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return NewDate(y, m, d)
}

// ParseDate reads a day written YYYYMMDD (as the API does) or YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	layout := "20060102"
	if len(s) == len("2006-01-02") {
		layout = "2006-01-02"
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return 0, fmt.Errorf("wire: date %q is neither YYYYMMDD nor YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// Year returns the year of d.
func (d Date) Year() int { return int(d) / 10000 }

// Month returns the month of d.
func (d Date) Month() time.Month { return time.Month(int(d) / 100 % 100) }

// Day returns the day of the month of d.
func (d Date) Day() int { return int(d) % 100 }

// Valid reports whether d names a day that exists on the calendar.
func (d Date) Valid() bool {
	if d < 10000101 || d > 99991231 || d.Month() < time.January || d.Month() > time.December || d.Day() < 1 {
		return false
	}
	return DateOf(d.In(time.UTC)) == d
}

// In returns the first instant of d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
}

// AddDays returns the day n days after d (before it, for negative n).
func (d Date) AddDays(n int) Date { return DateOf(d.In(time.UTC).AddDate(0, 0, n)) }

// String returns d as YYYY-MM-DD.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year(), int(d.Month()), d.Day())
}

// Coordinate is a latitude or longitude in decimal degrees. Jawbone documented
// place_lat and place_lon as floats, but every payload its servers sent
// carried them as JSON strings ("37.451572"), so that is what Coordinate
// holds; Float64 reads the number.
type Coordinate string

// CoordinateOf formats f as a Coordinate with the fewest digits that read back
// as f.
func CoordinateOf(f float64) Coordinate {
	return Coordinate(strconv.FormatFloat(f, 'f', -1, 64))
}

// Float64 returns c as a number. An empty Coordinate (the API's "unknown")
// reports ok false, as does text that is not a number.
func (c Coordinate) Float64() (f float64, ok bool) {
	f, err := strconv.ParseFloat(string(c), 64)
	return f, err == nil
}

// TZTransition is one entry of a move's tzs list: the moment the user's time
// zone changed during the day, and the zone in effect from then on. The zone
// is normally an Olson name ("America/Phoenix"); a number in its place is an
// offset from UTC in seconds, and TZTransition keeps whichever was sent.
type TZTransition struct {
	// Start is when the zone took effect.
	Start Epoch
	// Name is the Olson time-zone name, when the server sent a name.
	Name string
	// Offset is the offset from UTC in seconds, when the server sent a number
	// instead of a name.
	Offset *int
}

// Location returns the time zone that t names, loading it from the system's
// zone database when t holds a name.
func (t TZTransition) Location() (*time.Location, error) {
	if t.Offset != nil {
		return time.FixedZone("", *t.Offset), nil
	}
	return time.LoadLocation(t.Name)
}

// MarshalJSON writes t as the two-element array the API uses.
func (t TZTransition) MarshalJSON() ([]byte, error) {
	var zone any = t.Name
	if t.Offset != nil {
		zone = *t.Offset
	}
	return json.Marshal([2]any{t.Start, zone})
}

// UnmarshalJSON reads a [epoch, zone] pair, where zone is a name or an
// integer offset in seconds.
func (t *TZTransition) UnmarshalJSON(b []byte) error {
	var pair []json.RawMessage
	if err := json.Unmarshal(b, &pair); err != nil {
		return fmt.Errorf("wire: time-zone transition: %w", err)
	}
	if len(pair) != 2 {
		return fmt.Errorf("wire: time-zone transition has %d elements, want 2", len(pair))
	}
	var out TZTransition
	if err := json.Unmarshal(pair[0], &out.Start); err != nil {
		return fmt.Errorf("wire: time-zone transition start: %w", err)
	}
	zone := bytes.TrimSpace(pair[1])
	if len(zone) > 0 && zone[0] == '"' {
		if err := json.Unmarshal(zone, &out.Name); err != nil {
			return fmt.Errorf("wire: time-zone transition zone: %w", err)
		}
	} else {
		var off int
		if err := json.Unmarshal(zone, &off); err != nil {
			return errors.New("wire: time-zone transition zone is neither a name nor an offset in seconds")
		}
		out.Offset = &off
	}
	*t = out
	return nil
}

// Dated is a [YYYYMMDD, value] pair, the shape of each point in the trends
// series (data.data of GET /users/@me/trends).
type Dated[T any] struct {
	Date  Date
	Value T
}

// MarshalJSON writes d as the two-element array the API uses.
func (d Dated[T]) MarshalJSON() ([]byte, error) {
	return json.Marshal([2]any{d.Date, d.Value})
}

// UnmarshalJSON reads a [YYYYMMDD, value] pair.
func (d *Dated[T]) UnmarshalJSON(b []byte) error {
	var pair []json.RawMessage
	if err := json.Unmarshal(b, &pair); err != nil {
		return fmt.Errorf("wire: dated pair: %w", err)
	}
	if len(pair) != 2 {
		return fmt.Errorf("wire: dated pair has %d elements, want 2", len(pair))
	}
	var out Dated[T]
	if err := json.Unmarshal(pair[0], &out.Date); err != nil {
		return fmt.Errorf("wire: dated pair date: %w", err)
	}
	if err := json.Unmarshal(pair[1], &out.Value); err != nil {
		return fmt.Errorf("wire: dated pair value: %w", err)
	}
	*d = out
	return nil
}
