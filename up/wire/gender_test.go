package wire

import (
	"encoding/json"
	"testing"
)

func TestGenderDecodesEveryForm(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		female  bool
		numeric bool
		out     string
	}{
		{"true", true, false, "true"},
		{"false", false, false, "false"},
		{"1", true, true, "1"},
		{"0", false, true, "0"},
		{" 0 ", false, true, "0"},
		{"2", true, true, "1"},
		{"-1", true, true, "1"},
		{"0.0", false, true, "0"},
		{"1e400", true, true, "1"},
	} {
		var g Gender
		if err := json.Unmarshal([]byte(tc.in), &g); err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if g.Female() != tc.female || g.Male() == tc.female || g.Numeric() != tc.numeric {
			t.Errorf("%s: female %v numeric %v, want %v %v", tc.in, g.Female(), g.Numeric(), tc.female, tc.numeric)
		}
		out, err := json.Marshal(g)
		if err != nil || string(out) != tc.out {
			t.Errorf("%s encodes as %s (%v), want %s", tc.in, out, err, tc.out)
		}
	}
}

func TestGenderRefusesOtherValues(t *testing.T) {
	t.Parallel()
	for _, in := range []string{`"female"`, `"1"`, `{}`, `[]`, `tru`, `01x`, `-`} {
		var g Gender
		if err := json.Unmarshal([]byte(in), &g); err == nil {
			t.Errorf("%s decoded as %v", in, g)
		}
	}
}

func TestGenderInAStruct(t *testing.T) {
	t.Parallel()
	var u struct {
		Gender *Gender `json:"gender,omitempty"`
	}
	if err := json.Unmarshal([]byte(`{"gender":null}`), &u); err != nil || u.Gender != nil {
		t.Fatalf("null: %v %v", u.Gender, err)
	}
	if err := json.Unmarshal([]byte(`{"gender":1}`), &u); err != nil || u.Gender == nil || !u.Gender.Female() {
		t.Fatalf("1: %v %v", u.Gender, err)
	}
	if s := u.Gender.String(); s != "female" {
		t.Errorf("String = %q", s)
	}
	u.Gender = new(GenderOf(false))
	out, _ := json.Marshal(u)
	if string(out) != `{"gender":false}` {
		t.Errorf("GenderOf(false) encodes as %s", out)
	}
	if (Gender{}).String() != "male" || !GenderOf(true).Female() {
		t.Error("the zero Gender must be male and GenderOf(true) female")
	}
}

func FuzzGender(f *testing.F) {
	for _, s := range []string{"true", "false", "0", "1", "2.5", "null", `"x"`, "-0", "1e999"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var g Gender
		if err := json.Unmarshal(b, &g); err != nil {
			return
		}
		out, err := json.Marshal(g)
		if err != nil {
			t.Fatal(err)
		}
		var again Gender
		if err := json.Unmarshal(out, &again); err != nil || again != g {
			t.Fatalf("%s -> %s -> %v (%v), want %v", b, out, again, err, g)
		}
	})
}
