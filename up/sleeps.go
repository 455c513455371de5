package up

import (
	"context"
	"io"
	"iter"
	"net/http"
)

// Sleeps iterates over the user's sleeps that q selects, page after page.
// See https://jawbone.com/up/developer/endpoints/sleeps.
func (c *Client) Sleeps(ctx context.Context, q ListQuery) iter.Seq2[Sleep, error] {
	return all(ctx, func(ctx context.Context) (*Page[Sleep], error) { return c.SleepsPage(ctx, q) })
}

// SleepsPage fetches the first page of the user's sleeps that q selects
// (GET /users/@me/sleeps; scope sleep_read).
// See https://jawbone.com/up/developer/endpoints/sleeps.
func (c *Client) SleepsPage(ctx context.Context, q ListQuery) (*Page[Sleep], error) {
	return listPage[Sleep](ctx, c, mePath+"/sleeps", q)
}

// Sleep fetches one sleep (GET /sleeps/{xid}; scope sleep_read).
// See https://jawbone.com/up/developer/endpoints/sleeps.
func (c *Client) Sleep(ctx context.Context, xid string) (*Sleep, *Response, error) {
	return getEvent[Sleep](ctx, c, "sleeps", xid)
}

// CreateSleep logs a sleep (POST /users/@me/sleeps; scope sleep_write). It
// is never resent, except once the token is refreshed after a 401.
// See https://jawbone.com/up/developer/endpoints/sleeps.
func (c *Client) CreateSleep(ctx context.Context, sl SleepCreate) (*Sleep, *Response, error) {
	if err := checkSpan(&sl.TimeCreated, sl.TimeCompleted); err != nil {
		return nil, nil, err
	}
	return sendForm[Sleep](ctx, c, call{method: http.MethodPost, path: mePath + "/sleeps"}, sl)
}

// DeleteSleep deletes a sleep this application created (DELETE
// /sleeps/{xid}; scope sleep_write).
// See https://jawbone.com/up/developer/endpoints/sleeps.
func (c *Client) DeleteSleep(ctx context.Context, xid string) (*Response, error) {
	return deleteEvent(ctx, c, "sleeps", xid)
}

// SleepImage fetches the sleep's phase graph as PNG bytes (GET
// /sleeps/{xid}/image; scope sleep_read).
// See https://jawbone.com/up/developer/endpoints/sleeps.
func (c *Client) SleepImage(ctx context.Context, xid string) ([]byte, *Response, error) {
	return eventImage(ctx, c, "sleeps", xid)
}

// OpenSleepImage streams the sleep's phase graph (GET
// /sleeps/{xid}/image; scope sleep_read) for the caller to read and close. It
// reads nothing into memory itself, so unlike SleepImage it sets no size
// limit. See https://jawbone.com/up/developer/endpoints/sleeps.
func (c *Client) OpenSleepImage(ctx context.Context, xid string) (io.ReadCloser, *Response, error) {
	return openEventImage(ctx, c, "sleeps", xid)
}

// SleepTicks iterates over the sleep's phase changes, oldest first (GET
// /sleeps/{xid}/ticks; scope sleep_read).
// See https://jawbone.com/up/developer/endpoints/sleeps.
func (c *Client) SleepTicks(ctx context.Context, xid string) iter.Seq2[SleepTick, error] {
	return all(ctx, func(ctx context.Context) (*Page[SleepTick], error) { return c.SleepTicksPage(ctx, xid) })
}

// SleepTicksPage fetches the first page of the sleep's phase changes (GET
// /sleeps/{xid}/ticks; scope sleep_read).
// See https://jawbone.com/up/developer/endpoints/sleeps.
func (c *Client) SleepTicksPage(ctx context.Context, xid string) (*Page[SleepTick], error) {
	return ticksPage[SleepTick](ctx, c, "sleeps", xid)
}
