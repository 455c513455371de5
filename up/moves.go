package up

import (
	"context"
	"iter"
	"net/http"

	"github.com/upapi/up-go/gen"
)

// Moves iterates over the user's moves (one per day) that q selects, page
// after page. See https://jawbone.com/up/developer/endpoints/moves.
func (c *Client) Moves(ctx context.Context, q ListQuery) iter.Seq2[Move, error] {
	return all(ctx, func(ctx context.Context) (*Page[Move], error) { return c.MovesPage(ctx, q) })
}

// MovesPage fetches the first page of the user's moves that q selects (GET
// /users/@me/moves; scope move_read).
func (c *Client) MovesPage(ctx context.Context, q ListQuery) (*Page[Move], error) {
	return listPage[Move](ctx, c, q, func(s string, p listParams) (*http.Request, error) {
		return gen.NewListMovesRequest(s, (*gen.ListMovesParams)(&p))
	})
}

// Move fetches one move (GET /moves/{xid}; scope move_read).
func (c *Client) Move(ctx context.Context, xid string) (*Move, *Response, error) {
	if err := checkXID(xid); err != nil {
		return nil, nil, err
	}
	return send[Move](ctx, c, func(s string) (*http.Request, error) { return gen.NewGetMoveRequest(s, xid) })
}

// MoveImage fetches the move's activity graph as PNG bytes (GET
// /moves/{xid}/image; scope move_read).
func (c *Client) MoveImage(ctx context.Context, xid string) ([]byte, error) {
	if err := checkXID(xid); err != nil {
		return nil, err
	}
	return readImage(ctx, c, func(s string) (*http.Request, error) { return gen.NewGetMoveImageRequest(s, xid) })
}

// MoveTicks iterates over the move's intraday series, oldest first (GET
// /moves/{xid}/ticks; scope move_read).
func (c *Client) MoveTicks(ctx context.Context, xid string) iter.Seq2[Tick, error] {
	return all(ctx, func(ctx context.Context) (*Page[Tick], error) { return c.MoveTicksPage(ctx, xid) })
}

// MoveTicksPage fetches the first page of the move's intraday series.
func (c *Client) MoveTicksPage(ctx context.Context, xid string) (*Page[Tick], error) {
	if err := checkXID(xid); err != nil {
		return nil, err
	}
	return firstPage[Tick](ctx, c, func(s string) (*http.Request, error) { return gen.NewListMoveTicksRequest(s, xid) })
}
