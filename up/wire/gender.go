package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Gender is a user's gender as the UP API sends it (the gender field of
// GET /users/@me and of each trends bucket; see
// https://jawbone.com/up/developer/endpoints/user). The sources disagree on
// its form: the trends example writes a JSON boolean (true female, false
// male), while Jawbone's iOS SDK read a number (0 male, any other number
// female). Gender decodes every one of these forms and encodes back the form
// it read: true or false for a boolean, 0 or 1 for a number (1 being the
// canonical female number). The zero Gender is male, written as false; a
// Gender made with GenderOf is written as a boolean, the spec's form.
type Gender struct {
	female  bool
	numeric bool
}

// GenderOf returns the Gender that is female when female is true, male
// otherwise, written as a boolean.
func GenderOf(female bool) Gender { return Gender{female: female} }

// Female reports whether g is female.
func (g Gender) Female() bool { return g.female }

// Male reports whether g is male.
func (g Gender) Male() bool { return !g.female }

// Numeric reports whether g was read from a number rather than a boolean,
// and so is written back as 0 or 1.
func (g Gender) Numeric() bool { return g.numeric }

// String returns "female" or "male".
func (g Gender) String() string {
	if g.female {
		return "female"
	}
	return "male"
}

// MarshalJSON writes g in the form it was read: a boolean, or 0 or 1.
func (g Gender) MarshalJSON() ([]byte, error) {
	switch {
	case g.numeric && g.female:
		return []byte("1"), nil
	case g.numeric:
		return []byte("0"), nil
	case g.female:
		return []byte("true"), nil
	}
	return []byte("false"), nil
}

// UnmarshalJSON reads true, false or a number (0 male, any other number
// female). A JSON null leaves g unchanged, as encoding/json does for other
// types; anything else is an error.
func (g *Gender) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch string(b) {
	case "true", "false":
		*g = Gender{female: string(b) == "true"}
		return nil
	case "null":
		return nil
	}
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) || !json.Valid(b) {
		return fmt.Errorf("wire: gender %.40q is neither a boolean nor a number", b)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		// A number too large for float64 is still a number, and not zero.
		f = 1
	}
	*g = Gender{female: f != 0, numeric: true}
	return nil
}
