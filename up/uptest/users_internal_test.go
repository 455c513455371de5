package uptest

import (
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/wire"
)

// seeded reports whether u's history was made.
func seeded(u *User) bool {
	u.st.mu.Lock()
	defer u.st.mu.Unlock()
	return len(u.st.moves.rows) > 0
}

// TestHistoryIsSeededOnFirstUse checks that making users leaves their
// history for later, and that a call seeds only its user's.
func TestHistoryIsSeededOnFirstUse(t *testing.T) {
	s := NewServer(t, WithUsers(50))
	users := s.Users()
	for _, u := range users {
		if seeded(u) {
			t.Fatalf("%v has a history before any call", u)
		}
	}
	if code, body := fetch(t, s, "/users/@me"); code != 200 || seeded(users[0]) {
		t.Fatalf("/users/@me: %d, seeded %t: %s", code, seeded(users[0]), body)
	}
	if code, _ := fetch(t, s, "/users/@me/moves"); code != 200 || !seeded(users[0]) || seeded(users[1]) {
		t.Errorf("after listing the default user's moves: seeded %t and %t", seeded(users[0]), seeded(users[1]))
	}
}

// TestSeededTicksAreMadeAgain checks that the ticks of a seeded event, which
// the store does not keep, come back the same as the day's seeding made
// them, and still sum to the event's totals.
func TestSeededTicksAreMadeAgain(t *testing.T) {
	s := NewServer(t, WithDays(3))
	u := s.DefaultUser()
	st := u.data()
	if len(st.ticks) != 0 || len(st.seeded) == 0 {
		t.Fatalf("after seeding: %d ticks kept, %d seeded events", len(st.ticks), len(st.seeded))
	}
	fresh := newStore(s.loc)
	seedProfile(fresh, s.cfg.seed, "", 3, u.today)
	d := u.today.AddDays(-2)
	seedDay(fresh, fresh.prof, rngFor(s.cfg.seed, "day "+strconv.Itoa(int(d))), d)
	for _, r := range st.moves.rows {
		if r.v.Date != d {
			continue
		}
		got := u.ticksOf(r.v.XID)
		if want := fresh.ticks[r.v.XID]; len(want) == 0 || !slices.EqualFunc(got, want, sameTick) {
			t.Errorf("move %s: %d ticks made again, %d made by seeding", r.v.XID, len(got), len(want))
		}
		steps := 0
		for _, tk := range got {
			steps += tk.Steps
		}
		if steps != r.v.Details.Steps {
			t.Errorf("move %s: ticks sum to %d steps, the move has %d", r.v.XID, steps, r.v.Details.Steps)
		}
	}
	for _, r := range st.sleeps.rows {
		if len(u.sleepTicksOf(r.v.XID)) < 3 {
			t.Errorf("sleep %s: %d phase changes", r.v.XID, len(u.sleepTicksOf(r.v.XID)))
		}
	}
}

func sameTick(a, b gen.Tick) bool {
	return a.Time == b.Time && a.Steps == b.Steps && a.Calories == b.Calories &&
		a.Distance == b.Distance && a.ActiveTime == b.ActiveTime
}

// BenchmarkAddUsers measures making a thousand users, as WithUsers(1000) does.
func BenchmarkAddUsers(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		s := NewUnstarted()
		s.AddUsers(999)
		s.Close()
	}
}

// BenchmarkSeedHistory measures seeding one user's 30 days of history, the
// work of a user's first call that reads it, and reports the memory a
// seeded user keeps.
func BenchmarkSeedHistory(b *testing.B) {
	s := NewUnstarted()
	defer s.Close()
	today := wire.DateOf(time.Now().In(s.loc))
	b.ReportAllocs()
	var kept []*store
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; b.Loop(); i++ {
		st := newStore(s.loc)
		seedProfile(st, int64(i), "", 30, today)
		seedHistory(st, int64(i), "", 30, today)
		kept = append(kept, st)
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(len(kept)), "heap-B/user")
	runtime.KeepAlive(kept)
}
