package realpart

import "testing"

func TestRequired(t *testing.T) {
	for _, c := range []struct {
		list, postgresVar string
		want              bool
	}{
		{"", "", false},
		{"", "1", true},
		{"", "0", false},
		{"postgres", "", true},
		{"chromium,postgres", "", true},
		{"chromium postgres", "", true},
		{"all", "", true},
		{"chromium,prism", "", false},
		{"postgresql", "", false},
	} {
		t.Setenv(RequireEnv, c.list)
		t.Setenv("UP_REQUIRE_POSTGRES", c.postgresVar)
		if got := Required(Postgres); got != c.want {
			t.Errorf("%s=%q UP_REQUIRE_POSTGRES=%q: Required(postgres) = %t, want %t", RequireEnv, c.list, c.postgresVar, got, c.want)
		}
	}
	if PartEnv(Chromium) != "UP_REQUIRE_CHROMIUM" || PartEnv(Prism) != "UP_REQUIRE_PRISM" {
		t.Errorf("PartEnv names %s and %s", PartEnv(Chromium), PartEnv(Prism))
	}
}
