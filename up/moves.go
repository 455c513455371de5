package up

import (
	"context"
	"io"
	"iter"
)

// Moves iterates over the user's moves (one per day) that q selects, page
// after page. See https://jawbone.com/up/developer/endpoints/moves.
func (c *Client) Moves(ctx context.Context, q ListQuery) iter.Seq2[Move, error] {
	return all(ctx, func(ctx context.Context) (*Page[Move], error) { return c.MovesPage(ctx, q) })
}

// MovesPage fetches the first page of the user's moves that q selects (GET
// /users/@me/moves; scope move_read).
// See https://jawbone.com/up/developer/endpoints/moves.
func (c *Client) MovesPage(ctx context.Context, q ListQuery) (*Page[Move], error) {
	return listPage[Move](ctx, c, mePath+"/moves", q)
}

// Move fetches one move (GET /moves/{xid}; scope move_read).
// See https://jawbone.com/up/developer/endpoints/moves.
func (c *Client) Move(ctx context.Context, xid string) (*Move, *Response, error) {
	return getEvent[Move](ctx, c, "moves", xid)
}

// MoveImage fetches the move's activity graph as PNG bytes (GET
// /moves/{xid}/image; scope move_read).
// See https://jawbone.com/up/developer/endpoints/moves.
func (c *Client) MoveImage(ctx context.Context, xid string) ([]byte, *Response, error) {
	return eventImage(ctx, c, "moves", xid)
}

// OpenMoveImage streams the move's activity graph (GET
// /moves/{xid}/image; scope move_read) for the caller to read and close. It
// reads nothing into memory itself, so unlike MoveImage it sets no size
// limit. See https://jawbone.com/up/developer/endpoints/moves.
func (c *Client) OpenMoveImage(ctx context.Context, xid string) (io.ReadCloser, *Response, error) {
	return openEventImage(ctx, c, "moves", xid)
}

// MoveTicks iterates over the move's intraday series, oldest first (GET
// /moves/{xid}/ticks; scope move_read).
// See https://jawbone.com/up/developer/endpoints/moves.
func (c *Client) MoveTicks(ctx context.Context, xid string) iter.Seq2[Tick, error] {
	return all(ctx, func(ctx context.Context) (*Page[Tick], error) { return c.MoveTicksPage(ctx, xid) })
}

// MoveTicksPage fetches the first page of the move's intraday series (GET
// /moves/{xid}/ticks; scope move_read).
// See https://jawbone.com/up/developer/endpoints/moves.
func (c *Client) MoveTicksPage(ctx context.Context, xid string) (*Page[Tick], error) {
	return ticksPage[Tick](ctx, c, "moves", xid)
}
