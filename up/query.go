package up

import (
	"errors"
	"fmt"
	"time"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/wire"
)

// TimeRange selects events by time: from Start to End, or from Start to now
// when End is zero.
type TimeRange struct {
	Start, End time.Time
}

// Between returns the range from start to end.
func Between(start, end time.Time) TimeRange { return TimeRange{Start: start, End: end} }

// Since returns the range from start to now.
func Since(start time.Time) TimeRange { return TimeRange{Start: start} }

// IsZero reports whether r selects nothing (no Start and no End).
func (r TimeRange) IsZero() bool { return r.Start.IsZero() && r.End.IsZero() }

// check reports what is wrong with r, if anything.
func (r TimeRange) check() error {
	switch {
	case r.Start.IsZero() && !r.End.IsZero():
		return errors.New("a time range with an End needs a Start")
	case !r.End.IsZero() && r.End.Before(r.Start):
		return fmt.Errorf("time range ends (%s) before it starts (%s)", r.End.Format(time.RFC3339), r.Start.Format(time.RFC3339))
	case !r.Start.IsZero() && r.Start.Unix() < 0:
		return errors.New("time range starts before 1970")
	}
	return nil
}

// ListQuery selects the events a list call returns. Its zero value asks for
// UP's default: the newest events first.
type ListQuery struct {
	// Date selects the events of one day in the user's time zone.
	Date Date
	// Range selects events by time; it cannot be combined with Date. With a
	// range, UP lists the oldest events first.
	Range TimeRange
	// UpdatedAfter selects events changed after this moment, sent as
	// updated_after. (Band events take created_after instead: see
	// BandEventQuery.CreatedAfter.)
	UpdatedAfter time.Time
	// Limit is the page size; zero asks for DefaultPageSize.
	Limit int
}

// DefaultPageSize is the page size list calls and iterators ask for when
// the query sets no Limit. UP's own default is 10 a page, so a year of daily
// moves would take 37 round trips; UP documents no largest page (its
// support: a call may ask for any amount, and what is too much for one
// answer is paged through links.next, FACTS §4), so the SDK asks for 1000,
// a year of any kind of event in one or two pages. The largest items, moves
// with their hourly totals, make such a page about 4.4 MB, well within
// DefaultMaxResponseBytes.
const DefaultPageSize = 1000

// listParams mirrors the generated List*Params structs, field for field, so
// a value converts to any of them; the conversions below stop compiling if
// the spec gives one list different parameters.
type listParams struct {
	Date         *wire.Date
	PageToken    *int64
	StartTime    *wire.Epoch
	EndTime      *wire.Epoch
	UpdatedAfter *wire.Epoch
	Limit        *int
}

var (
	_ = gen.ListMovesParams(listParams{})
	_ = gen.ListWorkoutsParams(listParams{})
	_ = gen.ListSleepsParams(listParams{})
	_ = gen.ListMealsParams(listParams{})
	_ = gen.ListBodyEventsParams(listParams{})
	_ = gen.ListHeartRatesParams(listParams{})
	_ = gen.ListGenericEventsParams(listParams{})
	_ = gen.ListCardiacEventsParams(listParams{})
)

// encode writes p as a query, in the order the spec declares the list
// parameters.
func (p listParams) encode() string {
	return listQuery(p.Date, p.PageToken, p.StartTime, p.EndTime, "updated_after", p.UpdatedAfter, p.Limit)
}

// listQuery writes the parameters of a list as a query, in the order the
// spec declares them; after is updated_after, or created_after for band
// events.
func listQuery(date *wire.Date, pageToken *int64, start, end *wire.Epoch, afterName string, after *wire.Epoch, limit *int) string {
	var q query
	addInt(&q, "date", date)
	addInt(&q, "page_token", pageToken)
	addInt(&q, "start_time", start)
	addInt(&q, "end_time", end)
	addInt(&q, afterName, after)
	addInt(&q, "limit", limit)
	return q.String()
}

// params validates q and converts it to query parameters.
func (q ListQuery) params() (listParams, error) {
	var p listParams
	date, start, end, limit, err := commonParams(q.Date, q.Range, q.Limit)
	if err != nil {
		return p, err
	}
	p.Date, p.StartTime, p.EndTime, p.Limit = date, start, end, limit
	if !q.UpdatedAfter.IsZero() {
		if q.UpdatedAfter.Unix() < 0 {
			return p, &QueryError{Reason: "UpdatedAfter is before 1970"}
		}
		p.UpdatedAfter = Ptr(EpochOf(q.UpdatedAfter))
	}
	return p, nil
}

// commonParams validates and converts the parameters every list shares.
func commonParams(date Date, r TimeRange, limit int) (d *wire.Date, start, end *wire.Epoch, lim *int, err error) {
	if date != 0 {
		if !date.Valid() {
			return nil, nil, nil, nil, &QueryError{Reason: fmt.Sprintf("Date %d is not a day (want YYYYMMDD)", int(date))}
		}
		if !r.IsZero() {
			return nil, nil, nil, nil, &QueryError{Reason: "Date and Range cannot be combined"}
		}
		d = &date
	}
	if err := r.check(); err != nil {
		return nil, nil, nil, nil, &QueryError{Reason: err.Error()}
	}
	if !r.Start.IsZero() {
		start = Ptr(EpochOf(r.Start))
	}
	if !r.End.IsZero() {
		end = Ptr(EpochOf(r.End))
	}
	switch {
	case limit < 0:
		return nil, nil, nil, nil, &QueryError{Reason: fmt.Sprintf("Limit %d is negative", limit)}
	case limit == 0:
		limit = DefaultPageSize
	}
	lim = &limit
	return d, start, end, lim, nil
}
