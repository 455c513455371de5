package main

import (
	"math"
	"testing"
)

// TestFmtDurationHugeValues formats durations in seconds as a hostile
// server might send them: a number of seconds too large for a
// time.Duration still prints as whole hours and minutes, not a negative or
// wrapped value.
func TestFmtDurationHugeValues(t *testing.T) {
	for _, tt := range []struct {
		secs int64
		want string
	}{
		{59, "0m"},
		{3599, "59m"},
		{3600, "1h00m"},
		{9223372037, "2562047h47m"}, // overflows time.Duration by a second
		{math.MaxInt64, "2562047788015215h30m"},
	} {
		secs := int(tt.secs)
		if int64(secs) != tt.secs {
			continue // does not fit this platform's int
		}
		if got := fmtDuration(&secs); got != tt.want {
			t.Errorf("fmtDuration(%d) = %q, want %q", tt.secs, got, tt.want)
		}
	}
}
