package up

import (
	"context"
	"iter"
	"net/http"
	"time"

	"github.com/upapi/up-go/gen"
)

// Mood fetches the mood the user logged for date, or for today when date is
// zero (GET /users/@me/mood; scope mood_read). On a day without one, the
// returned Mood is the zero Mood (its XID is empty). See
// https://jawbone.com/up/developer/endpoints/mood.
func (c *Client) Mood(ctx context.Context, date Date) (*Mood, *Response, error) {
	var p gen.GetMoodParams
	if date != 0 {
		if !date.Valid() {
			return nil, nil, &QueryError{Reason: "Date is not a day (want YYYYMMDD)"}
		}
		p.Date = &date
	}
	var q query
	addInt(&q, "date", p.Date)
	return send[Mood](ctx, c, get(mePath+"/mood", q.String()))
}

// MoodEvent fetches one mood event (GET /mood/{xid}; scope mood_read).
func (c *Client) MoodEvent(ctx context.Context, xid string) (*Mood, *Response, error) {
	return getEvent[Mood](ctx, c, "mood", xid)
}

// CreateMood records how the user feels (POST /users/@me/mood; scope
// mood_write); SubType is one of MoodAmazing to MoodTotallyDone. It is never
// resent, except once the token is refreshed after a 401.
func (c *Client) CreateMood(ctx context.Context, m MoodCreate) (*Mood, *Response, error) {
	if m.Title == "" {
		return nil, nil, &InputError{Field: "title", Reason: "empty"}
	}
	return sendForm[Mood](ctx, c, call{method: http.MethodPost, path: mePath + "/mood"}, m)
}

// DeleteMood deletes a mood this application recorded (DELETE /mood/{xid};
// scope mood_write).
func (c *Client) DeleteMood(ctx context.Context, xid string) (*Response, error) {
	return deleteEvent(ctx, c, "mood", xid)
}

// BandEventQuery selects band events. Its zero value asks for UP's default.
type BandEventQuery struct {
	// Date selects the events of one day in the user's time zone.
	Date Date
	// Range selects events by time; it cannot be combined with Date.
	Range TimeRange
	// CreatedAfter selects events created after this moment.
	CreatedAfter time.Time
	// Limit is the page size; zero asks for DefaultPageSize.
	Limit int
}

// BandEvents iterates over the band's mode changes that q selects, page
// after page. See https://jawbone.com/up/developer/endpoints/bandevents.
func (c *Client) BandEvents(ctx context.Context, q BandEventQuery) iter.Seq2[BandEvent, error] {
	return all(ctx, func(ctx context.Context) (*Page[BandEvent], error) { return c.BandEventsPage(ctx, q) })
}

// BandEventsPage fetches the first page of the band's mode changes that q
// selects (GET /users/@me/bandevents; scope move_read or sleep_read).
func (c *Client) BandEventsPage(ctx context.Context, q BandEventQuery) (*Page[BandEvent], error) {
	date, start, end, limit, err := commonParams(q.Date, q.Range, q.Limit)
	if err != nil {
		return nil, err
	}
	p := gen.ListBandEventsParams{Date: date, StartTime: start, EndTime: end, Limit: limit}
	if !q.CreatedAfter.IsZero() {
		p.CreatedAfter = Ptr(EpochOf(q.CreatedAfter))
	}
	qs := listQuery(p.Date, p.PageToken, p.StartTime, p.EndTime, "created_after", p.CreatedAfter, p.Limit)
	return firstPage[BandEvent](ctx, c, get(mePath+"/bandevents", qs))
}
