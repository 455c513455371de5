package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestEpoch(t *testing.T) {
	t.Parallel()
	at := time.Date(2013, 11, 21, 8, 5, 0, 0, time.FixedZone("PST", -8*3600))
	e := EpochOf(at.Add(900 * time.Millisecond))
	if e != 1385049900 {
		t.Fatalf("EpochOf = %d", e)
	}
	if got := e.Time(); !got.Equal(at) || got.Location() != time.UTC {
		t.Errorf("Time() = %v, want %v in UTC", got, at)
	}
}

func TestDate(t *testing.T) {
	t.Parallel()
	d := NewDate(2013, time.November, 21)
	if d != 20131121 || d.Year() != 2013 || d.Month() != time.November || d.Day() != 21 || d.String() != "2013-11-21" {
		t.Errorf("NewDate = %d (%d %v %d %s)", d, d.Year(), d.Month(), d.Day(), d)
	}
	la, _ := time.LoadLocation("America/Los_Angeles")
	// 07:30 UTC on the 22nd is still the 21st in Los Angeles.
	if got := DateOf(time.Date(2013, 11, 22, 7, 30, 0, 0, time.UTC).In(la)); got != d {
		t.Errorf("DateOf in LA = %v", got)
	}
	if got := d.In(la); !got.Equal(time.Date(2013, 11, 21, 0, 0, 0, 0, la)) {
		t.Errorf("In = %v", got)
	}
	if got := NewDate(2024, time.February, 28).AddDays(1); got != 20240229 {
		t.Errorf("AddDays across a leap day = %d", got)
	}
	if got := NewDate(2024, time.January, 1).AddDays(-1); got != 20231231 {
		t.Errorf("AddDays back across a year = %d", got)
	}
	for _, bad := range []Date{0, -20131121, 20131321, 20131100, 20230229, 1, 201311211} {
		if bad.Valid() {
			t.Errorf("%d is valid", bad)
		}
	}
	for _, good := range []Date{20240229, 19700101, 20131121} {
		if !good.Valid() {
			t.Errorf("%d is not valid", good)
		}
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Date{"20131121": 20131121, "2013-11-21": 20131121, "2024-02-29": 20240229} {
		if got, err := ParseDate(in); err != nil || got != want {
			t.Errorf("ParseDate(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "2013-02-30", "2013112", "21/11/2013", "2013-1-21x"} {
		if _, err := ParseDate(in); err == nil {
			t.Errorf("ParseDate(%q) accepted", in)
		}
	}
}

func TestCoordinate(t *testing.T) {
	t.Parallel()
	c := CoordinateOf(-122.184435)
	if c != "-122.184435" {
		t.Errorf("CoordinateOf = %q", c)
	}
	if f, ok := Coordinate("37.451572").Float64(); !ok || f != 37.451572 {
		t.Errorf("Float64 = %v %v", f, ok)
	}
	for _, bad := range []Coordinate{"", "north"} {
		if _, ok := bad.Float64(); ok {
			t.Errorf("%q reads as a number", bad)
		}
	}
	b, _ := json.Marshal(struct{ Lat Coordinate }{"37.451572"})
	if string(b) != `{"Lat":"37.451572"}` {
		t.Errorf("JSON %s: a coordinate stays a string on the wire", b)
	}
}

func TestTZTransitionJSON(t *testing.T) {
	t.Parallel()
	for _, in := range []string{`[1384963500,"America/Phoenix"]`, `[1384963500,-25200]`} {
		var tz TZTransition
		if err := json.Unmarshal([]byte(in), &tz); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		out, err := json.Marshal(tz)
		if err != nil || string(out) != in {
			t.Errorf("%s re-encodes as %s, %v", in, out, err)
		}
		loc, err := tz.Location()
		if err != nil {
			t.Fatal(err)
		}
		if _, off := tz.Start.Time().In(loc).Zone(); off != -7*3600 {
			t.Errorf("%s: offset %d", in, off)
		}
	}
	for _, bad := range []string{`[]`, `[1]`, `[1,"a",2]`, `{"a":1}`, `["x","y"]`, `[1,true]`, `[1,1.5]`} {
		var tz TZTransition
		if err := json.Unmarshal([]byte(bad), &tz); err == nil {
			t.Errorf("%s accepted as %+v", bad, tz)
		}
	}
}

func TestDatedJSON(t *testing.T) {
	t.Parallel()
	type metrics struct {
		Steps *int `json:"m_steps,omitempty"`
	}
	in := `[[20131105,{"m_steps":2184}],[20131106,{}]]`
	var points []Dated[metrics]
	if err := json.Unmarshal([]byte(in), &points); err != nil {
		t.Fatal(err)
	}
	if len(points) != 2 || points[0].Date != 20131105 || *points[0].Value.Steps != 2184 || points[1].Value.Steps != nil {
		t.Errorf("decoded %+v", points)
	}
	if out, _ := json.Marshal(points); string(out) != in {
		t.Errorf("re-encoded %s", out)
	}
	for _, bad := range []string{`[20131105]`, `["20131105",{}]`, `[20131105,[]]`, `{}`} {
		var p Dated[metrics]
		if err := json.Unmarshal([]byte(bad), &p); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// FuzzTZTransition checks that any input either fails to decode or
// re-encodes to a document that decodes to the same value.
func FuzzTZTransition(f *testing.F) {
	for _, s := range []string{`[1384963500,"America/Phoenix"]`, `[1,-25200]`, `[1, "a"]`, `[]`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var a TZTransition
		if json.Unmarshal(in, &a) != nil {
			return
		}
		out, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("%q decoded but does not encode: %v", in, err)
		}
		var b TZTransition
		if err := json.Unmarshal(out, &b); err != nil || b.Start != a.Start || b.Name != a.Name || (a.Offset == nil) != (b.Offset == nil) || (a.Offset != nil && *a.Offset != *b.Offset) {
			t.Fatalf("%q → %s → %+v, %v", in, out, b, err)
		}
	})
}

// referenceTZ is how TZTransition was decoded before it read pairs itself
// (an array of raw messages, each decoded by encoding/json): the definition
// the faster decoder must keep to, but for null, which it now leaves alone.
func referenceTZ(b []byte) (TZTransition, error) {
	var pair []json.RawMessage
	if err := json.Unmarshal(b, &pair); err != nil {
		return TZTransition{}, err
	}
	if len(pair) != 2 {
		return TZTransition{}, errors.New("not two elements")
	}
	var out TZTransition
	if err := json.Unmarshal(pair[0], &out.Start); err != nil {
		return TZTransition{}, err
	}
	zone := bytes.TrimSpace(pair[1])
	if len(zone) > 0 && zone[0] == '"' {
		if err := json.Unmarshal(zone, &out.Name); err != nil {
			return TZTransition{}, err
		}
		return out, nil
	}
	var off int
	if err := json.Unmarshal(zone, &off); err != nil {
		return TZTransition{}, err
	}
	out.Offset = &off
	return out, nil
}

// referenceDated is the Dated decoder's definition, as referenceTZ is
// TZTransition's.
func referenceDated[T any](b []byte) (Dated[T], error) {
	var pair []json.RawMessage
	if err := json.Unmarshal(b, &pair); err != nil {
		return Dated[T]{}, err
	}
	if len(pair) != 2 {
		return Dated[T]{}, errors.New("not two elements")
	}
	var out Dated[T]
	if err := json.Unmarshal(pair[0], &out.Date); err != nil {
		return Dated[T]{}, err
	}
	if err := json.Unmarshal(pair[1], &out.Value); err != nil {
		return Dated[T]{}, err
	}
	return out, nil
}

func isNull(b []byte) bool { return string(bytes.TrimSpace(b)) == "null" }

// FuzzTZTransitionMatchesReference checks that the pair reader accepts what
// the decoding through encoding/json accepted, refuses what it refused, and
// reads the same transition, for any bytes.
func FuzzTZTransitionMatchesReference(f *testing.F) {
	for _, s := range []string{`[1384963500,"America/Phoenix"]`, `[1,-25200]`, ` [ 1 , "a" ] `, `[]`, `null`, `[1,"a\u00e9\"b"]`,
		`[1,"\xff"]`, `[01,"a"]`, `[-0,0]`, `[1e3,"a"]`, `[1,"a",]`, `[9223372036854775808,"a"]`, `[-9223372036854775808,"a"]`, `[1,"a"]x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var got TZTransition
		err := got.UnmarshalJSON(in)
		want, wantErr := referenceTZ(in)
		if isNull(in) {
			if err != nil || got != (TZTransition{}) {
				t.Fatalf("null: %+v, %v; want no change", got, err)
			}
			return
		}
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q: error %v, the reference %v", in, err, wantErr)
		}
		if err == nil && (got.Start != want.Start || got.Name != want.Name || (got.Offset == nil) != (want.Offset == nil) ||
			got.Offset != nil && *got.Offset != *want.Offset) {
			t.Fatalf("%q: %+v, the reference %+v", in, got, want)
		}
	})
}

// FuzzDatedMatchesReference does for Dated what
// FuzzTZTransitionMatchesReference does for TZTransition.
func FuzzDatedMatchesReference(f *testing.F) {
	for _, s := range []string{`[20131105,{"m_steps":2184}]`, `[20131106,{}]`, `[1,{},2]`, `[1,]`, `[1 , { "m_steps" : null } ]`, `null`, `[1,[]]`, `[1,"x]"]`} {
		f.Add([]byte(s))
	}
	type metrics struct {
		Steps *float64 `json:"m_steps"`
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var got Dated[metrics]
		err := got.UnmarshalJSON(in)
		want, wantErr := referenceDated[metrics](in)
		if isNull(in) {
			if err != nil || got != (Dated[metrics]{}) {
				t.Fatalf("null: %+v, %v; want no change", got, err)
			}
			return
		}
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q: error %v, the reference %v", in, err, wantErr)
		}
		if err == nil && (got.Date != want.Date || (got.Value.Steps == nil) != (want.Value.Steps == nil) ||
			got.Value.Steps != nil && *got.Value.Steps != *want.Value.Steps) {
			t.Fatalf("%q: %+v, the reference %+v", in, got, want)
		}
	})
}

// TestPairsDecodeWithoutAllocating checks that a page's time-zone pairs cost
// one allocation each, for the zone's name.
// Not parallel: AllocsPerRun counts the allocations of the whole process.
func TestPairsDecodeWithoutAllocating(t *testing.T) {
	in := []byte(`[1384963500, "America/Los_Angeles"]`)
	var tz TZTransition
	if n := testing.AllocsPerRun(100, func() { _ = tz.UnmarshalJSON(in) }); n > 1 {
		t.Errorf("%v allocations per pair, want 1", n)
	}
	num := []byte(`[1384963500,-25200]`)
	if n := testing.AllocsPerRun(100, func() { _ = tz.UnmarshalJSON(num) }); n > 1 {
		t.Errorf("%v allocations per pair with an offset, want 1", n)
	}
}
