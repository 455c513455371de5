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
	"cmp"
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
	b := make([]byte, 0, 16+len(t.Name))
	b = append(b, '[')
	b = strconv.AppendInt(b, int64(t.Start), 10)
	b = append(b, ',')
	if t.Offset != nil {
		b = strconv.AppendInt(b, int64(*t.Offset), 10)
	} else {
		b = appendJSONString(b, t.Name)
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads a [epoch, zone] pair, where zone is a name or an
// integer offset in seconds. A JSON null leaves t as it is, as
// encoding/json does for other types. It reads the pair itself, allocating
// nothing but the zone's name (and the offset, when there is one): a page
// of moves carries thousands of pairs.
func (t *TZTransition) UnmarshalJSON(b []byte) error {
	p := pairReader{b: b}
	if p.null() {
		return nil
	}
	var out TZTransition
	if !p.open() {
		return errors.New("wire: time-zone transition is not a [epoch, zone] array")
	}
	start, err := p.int()
	if err != nil {
		return fmt.Errorf("wire: time-zone transition start: %w", err)
	}
	out.Start = Epoch(start)
	if !p.comma() {
		return errors.New("wire: time-zone transition has 1 element, want 2")
	}
	if p.peek() == '"' {
		if out.Name, err = p.string(); err != nil {
			return fmt.Errorf("wire: time-zone transition zone: %w", err)
		}
	} else {
		off, err := p.int()
		if err != nil || off != int64(int(off)) {
			return errors.New("wire: time-zone transition zone is neither a name nor an offset in seconds")
		}
		o := int(off)
		out.Offset = &o
	}
	if !p.close() {
		return errors.New("wire: time-zone transition has more than 2 elements")
	}
	*t = out
	return nil
}

// Dated is a [YYYYMMDD, value] pair, the shape of each point in the trends
// series (data.data of GET /users/@me/trends).
type Dated[T any] struct {
	Date  Date // the day of the point
	Value T    // the point's value
}

// MarshalJSON writes d as the two-element array the API uses.
func (d Dated[T]) MarshalJSON() ([]byte, error) {
	value, err := json.Marshal(d.Value)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 12+len(value))
	b = append(b, '[')
	b = strconv.AppendInt(b, int64(d.Date), 10)
	b = append(b, ',')
	b = append(b, value...)
	return append(b, ']'), nil
}

// UnmarshalJSON reads a [YYYYMMDD, value] pair: the date itself, and the
// value with encoding/json. A JSON null leaves d as it is.
func (d *Dated[T]) UnmarshalJSON(b []byte) error {
	p := pairReader{b: b}
	if p.null() {
		return nil
	}
	if !p.open() {
		return errors.New("wire: dated pair is not a [date, value] array")
	}
	date, err := p.int()
	if err != nil || date != int64(int(date)) {
		return fmt.Errorf("wire: dated pair date: %w", cmp.Or(err, errors.New("out of range")))
	}
	if !p.comma() {
		return errors.New("wire: dated pair has 1 element, want 2")
	}
	// The value runs to the closing bracket; a third element makes it
	// no JSON value, and json.Unmarshal says so.
	end := bytes.LastIndexByte(b, ']')
	if end < p.i {
		return errors.New("wire: dated pair is not a [date, value] array")
	}
	var out Dated[T]
	out.Date = Date(date)
	if err := json.Unmarshal(b[p.i:end], &out.Value); err != nil {
		return fmt.Errorf("wire: dated pair value: %w", err)
	}
	p.i = end
	if !p.close() {
		return errors.New("wire: dated pair is not a [date, value] array")
	}
	*d = out
	return nil
}

// pairReader reads the parts of a two-element JSON array: the brackets,
// the comma, integers and strings, skipping white space before each.
type pairReader struct {
	b []byte
	i int
}

func (p *pairReader) skip() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// peek returns the next byte that is not white space, or 0 at the end.
func (p *pairReader) peek() byte {
	p.skip()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *pairReader) expect(c byte) bool {
	if p.peek() != c {
		return false
	}
	p.i++
	return true
}

// null reports whether the input is the JSON null.
func (p *pairReader) null() bool {
	return string(bytes.TrimSpace(p.b)) == "null"
}

func (p *pairReader) open() bool  { return p.expect('[') }
func (p *pairReader) comma() bool { return p.expect(',') }

// close reads the closing bracket, which must end the input.
func (p *pairReader) close() bool {
	if !p.expect(']') {
		return false
	}
	p.skip()
	return p.i == len(p.b)
}

// errNotInteger reports a JSON value that is not an integer.
var errNotInteger = errors.New("not an integer")

// int reads a JSON number that is an integer (no fraction, no exponent)
// and fits an int64.
func (p *pairReader) int() (int64, error) {
	p.skip()
	neg := p.i < len(p.b) && p.b[p.i] == '-'
	if neg {
		p.i++
	}
	start := p.i
	var n uint64
	for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
		d := uint64(p.b[p.i] - '0')
		if n > (1<<63-d)/10 {
			return 0, errors.New("integer out of range")
		}
		n = n*10 + d
		p.i++
	}
	digits := p.i - start
	switch {
	case digits == 0, digits > 1 && p.b[start] == '0':
		return 0, errNotInteger
	case p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E'):
		return 0, errNotInteger
	case !neg && n == 1<<63:
		return 0, errors.New("integer out of range")
	}
	if neg {
		return -int64(n), nil
	}
	return int64(n), nil
}

// string reads a JSON string. One of printable ASCII without escapes, as
// zone names are, is copied as it is; any other is left to encoding/json.
func (p *pairReader) string() (string, error) {
	p.skip()
	start := p.i
	if !p.expect('"') {
		return "", errors.New("not a string")
	}
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(p.b[start+1 : p.i-1]), nil
		case c < 0x20 || c == '\\' || c >= 0x80:
			return p.slowString(start)
		}
		p.i++
	}
	return "", errors.New("unterminated string")
}

// slowString reads the JSON string that starts at start with encoding/json.
func (p *pairReader) slowString(start int) (string, error) {
	end := start + 1
	for ; end < len(p.b); end++ {
		if p.b[end] == '\\' {
			end++
			continue
		}
		if p.b[end] == '"' {
			break
		}
	}
	if end >= len(p.b) {
		return "", errors.New("unterminated string")
	}
	var s string
	if err := json.Unmarshal(p.b[start:end+1], &s); err != nil {
		return "", err
	}
	p.i = end + 1
	return s, nil
}

// appendJSONString appends s as a JSON string: as it is when it is
// printable ASCII without a quote or backslash, with encoding/json
// otherwise.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
