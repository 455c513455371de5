package up

import (
	"context"
	"iter"
	"net/http"
	"time"

	"github.com/upapi/up-go/gen"
)

// Mood fetches one mood event (GET /mood/{xid}; scope mood_read), as Meal,
// Move and the other events are fetched by their XID. For the mood of a
// day, use MoodOn. See https://jawbone.com/up/developer/endpoints/mood.
func (c *Client) Mood(ctx context.Context, xid string) (*Mood, *Response, error) {
	return getEvent[Mood](ctx, c, "mood", xid)
}

// MoodEvent fetches one mood event by its XID.
//
// Deprecated: MoodEvent is Mood, named as every other event's getter is.
func (c *Client) MoodEvent(ctx context.Context, xid string) (*Mood, *Response, error) {
	return c.Mood(ctx, xid)
}

// MoodOn fetches the mood the user logged on date, or today when date is
// zero (GET /users/@me/mood; scope mood_read). UP keeps one mood a day and
// has no list of moods, so unlike the other events mood is read by day
// rather than through a ListQuery. On a day without one, the returned Mood
// is the zero Mood (its XID is empty).
func (c *Client) MoodOn(ctx context.Context, date Date) (*Mood, *Response, error) {
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
	// CreatedAfter selects events created after this moment, sent as
	// created_after. Where ListQuery has UpdatedAfter (updated_after), band
	// events take created_after: a band event is never changed once made,
	// and created_after is what Jawbone's Android SDK sends to this
	// endpoint, whose own docs page did not survive (api/up.yaml, note 11).
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
