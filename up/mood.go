package up

import (
	"context"
	"net/http"

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
// See https://jawbone.com/up/developer/endpoints/mood.
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
// See https://jawbone.com/up/developer/endpoints/mood.
func (c *Client) CreateMood(ctx context.Context, m MoodCreate) (*Mood, *Response, error) {
	if m.Title == "" {
		return nil, nil, &InputError{Field: "title", Reason: "empty"}
	}
	return sendForm[Mood](ctx, c, call{method: http.MethodPost, path: mePath + "/mood"}, m)
}

// DeleteMood deletes a mood this application recorded (DELETE /mood/{xid};
// scope mood_write). See https://jawbone.com/up/developer/endpoints/mood.
func (c *Client) DeleteMood(ctx context.Context, xid string) (*Response, error) {
	return deleteEvent(ctx, c, "mood", xid)
}
