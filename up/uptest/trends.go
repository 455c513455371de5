package uptest

import (
	"context"
	"net/http"
	"time"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/wire"
)

// defaultRangeDuration is how many range units trends cover when the call does not say.
const defaultRangeDuration = 5

// addUnits returns the day n units of unit after d.
func addUnits(d wire.Date, unit gen.TrendUnit, n int) wire.Date {
	t := d.In(time.UTC)
	switch unit {
	case gen.TrendUnitWeek:
		t = t.AddDate(0, 0, 7*n)
	case gen.TrendUnitMonth:
		t = t.AddDate(0, n, 0)
	case gen.TrendUnitYear:
		t = t.AddDate(n, 0, 0)
	default:
		t = t.AddDate(0, 0, n)
	}
	return wire.DateOf(t)
}

// bucketStart is the first day of the calendar bucket holding d: the day,
// its week (from Monday), its month or its year.
func bucketStart(d wire.Date, unit gen.TrendUnit) wire.Date {
	switch unit {
	case gen.TrendUnitWeek:
		return d.AddDays(-((int(d.In(time.UTC).Weekday()) + 6) % 7))
	case gen.TrendUnitMonth:
		return wire.NewDate(d.Year(), d.Month(), 1)
	case gen.TrendUnitYear:
		return wire.NewDate(d.Year(), time.January, 1)
	}
	return d
}

// mean averages the values added to it.
type mean struct {
	sum float64
	n   int
}

func (m *mean) add(v float64) { m.sum += v; m.n++ }

func (m *mean) value(places int) *float64 {
	if m.n == 0 {
		return nil
	}
	return ptr(round(m.sum/float64(m.n), places))
}

// trends aggregates the user's data over the period the call asks for: one
// point per calendar bucket, each metric the daily mean over the bucket's
// days that have data, body figures as they stood at the bucket's end.
func (a *api) trends(ctx context.Context, p gen.GetTrendsParams) outcome {
	st := a.s.userOf(ctx).data()
	today := wire.DateOf(a.s.now().In(st.loc))
	end := today
	if p.EndDate != nil {
		end = *p.EndDate
		if !end.Valid() {
			return a.failed(ctx, badRequest("end_date %d is not a day", int(end)))
		}
	}
	unit, bucket, n := gen.TrendUnitDay, gen.TrendUnitDay, defaultRangeDuration
	if p.Range != nil {
		unit = *p.Range
	}
	if p.BucketSize != nil {
		bucket = *p.BucketSize
	}
	if p.RangeDuration != nil {
		n = *p.RangeDuration
	}
	start := addUnits(end, unit, -n).AddDays(1)
	move, sleep, meal, profile, weight := viewOf(ctx).trendGroups()

	st.mu.Lock()
	out := gen.Trends{Earliest: st.earliest(today), Data: []gen.TrendPoint{}}
	for b := bucketStart(start, bucket); b <= end; b = addUnits(b, bucket, 1) {
		from, to := max(b, start), min(addUnits(b, bucket, 1).AddDays(-1), end)
		var m gen.TrendMetrics
		in := func(d wire.Date) bool { return d >= from && d <= to }
		if move {
			var steps, cal, total, active, wo, dist mean
			for _, r := range st.moves.rows {
				if d := r.v.Details; in(r.v.Date) {
					steps.add(float64(d.Steps))
					cal.add(d.Calories)
					total.add(d.Calories + d.BMRDay)
					active.add(float64(d.ActiveTime))
					wo.add(float64(d.WoTime))
					dist.add(d.Distance)
				}
			}
			m.MSteps, m.MCalories, m.MTotalCalories = steps.value(0), cal.value(6), total.value(6)
			m.MActiveTime, m.MWorkoutTime, m.MDistance = active.value(0), wo.value(0), dist.value(0)
		}
		if sleep {
			var asleep, sound, awake, fell, woke mean
			for _, r := range st.sleeps.rows {
				if d := r.v.Details; in(r.v.Date) {
					midnight := r.v.Date.In(st.loc).Unix()
					asleep.add(float64(d.Duration - d.Awake))
					sound.add(float64(d.Sound))
					awake.add(float64(d.Awake))
					fell.add(float64(int64(d.AsleepTime) - midnight))
					woke.add(float64(int64(d.AwakeTime) - midnight))
				}
			}
			m.SDuration, m.SSound, m.SAwake = asleep.value(0), sound.value(0), awake.value(0)
			m.SAsleepTime, m.SAwakeTime = fell.value(0), woke.value(0)
		}
		if meal {
			days := map[wire.Date]*[9]float64{}
			for _, r := range st.meals.rows {
				if d := r.v.Details; in(r.v.Date) {
					sum := days[r.v.Date]
					if sum == nil {
						sum = new([9]float64)
						days[r.v.Date] = sum
					}
					for i, v := range []float64{d.Calories, d.Protein, d.Carbohydrate, d.Fiber, d.Sugar, d.SaturatedFat, d.UnsaturatedFat, d.Sodium, d.Calcium} {
						sum[i] += v
					}
				}
			}
			var e [9]mean
			for _, sum := range days {
				for i := range e {
					e[i].add(sum[i])
				}
			}
			m.ECalories, m.EProtein, m.ECarbs, m.EFiber, m.ESugar = e[0].value(1), e[1].value(1), e[2].value(1), e[3].value(1), e[4].value(1)
			m.ESatFat, m.EUnsatFat, m.ESodium, m.ECalcium = e[5].value(1), e[6].value(1), e[7].value(1), e[8].value(1)
		}
		if profile || weight {
			w, fat := st.user.Weight, (*float64)(nil)
			for _, r := range st.bodies.rows {
				if r.v.Date > to {
					break
				}
				if r.v.Weight != nil {
					w = *r.v.Weight
				}
				if r.v.BodyFat != nil {
					fat = r.v.BodyFat
				}
			}
			if profile {
				age := ageOn(st.birthday, to)
				m.Weight, m.Height, m.Gender = ptr(w), ptr(st.user.Height), clone(st.user.Gender)
				m.Age = ptr(round(age, 10))
				m.BMR = ptr(round(mifflin(w, st.user.Height, age, deref(st.user.Gender).Female()), 7))
			}
			if weight && fat != nil {
				m.BodyFat = ptr(*fat)
			}
		}
		out.Data = append(out.Data, gen.TrendPoint{Date: b, Value: m})
	}
	st.mu.Unlock()
	return a.ok(ctx, http.StatusOK, out)
}
