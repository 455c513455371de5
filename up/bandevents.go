package up

import (
	"context"
	"iter"
	"time"

	"github.com/upapi/up-go/gen"
)

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
// See https://jawbone.com/up/developer/endpoints/bandevents.
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
