package up

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Page is one page of a UP collection: its items, the envelope's meta, and
// the way to the next page, which UP gives as a links.next URL.
//
// Following pages with Next, or ranging over an iterator such as
// Client.Workouts, holds one page in memory at a time, however many pages
// there are.
type Page[T any] struct {
	// Items are this page's items, in the order UP sent them.
	Items []T
	// Meta is the envelope's meta object.
	Meta Meta

	c      *Client
	next   *url.URL // nil on the last page
	cursor *cursor
}

// HasNext reports whether UP announced another page.
func (p *Page[T]) HasNext() bool { return p.next != nil }

// NextURL returns the absolute URL of the next page, or "" on the last page.
func (p *Page[T]) NextURL() string {
	if p.next == nil {
		return ""
	}
	return p.next.String()
}

// ErrNoMorePages is returned by Page.Next on the last page.
var ErrNoMorePages = errors.New("up: no more pages")

// Next fetches the page after p. It returns ErrNoMorePages on the last page,
// and an error matching ErrPaginationLoop if UP sends a next link it sent
// before (which would otherwise loop forever).
func (p *Page[T]) Next(ctx context.Context) (*Page[T], error) {
	if p.next == nil {
		return nil, ErrNoMorePages
	}
	if err := p.cursor.visit(p.next); err != nil {
		return nil, err
	}
	next := p.next
	return fetchPage[T](ctx, p.c, p.cursor, func(string) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, next.String(), nil)
	})
}

// ResumePage fetches the page at pageURL, a URL that Page.NextURL returned
// earlier, so that a walk interrupted (say, by a crash) can go on where it
// stopped. The URL must lead to the Client's API, as next links must.
func ResumePage[T any](ctx context.Context, c *Client, pageURL string) (*Page[T], error) {
	u, err := resolveNext(c.cfg.baseURL(), pageURL)
	if err != nil {
		return nil, err
	}
	cur := newCursor()
	if err := cur.visit(u); err != nil {
		return nil, err
	}
	return fetchPage[T](ctx, c, cur, func(string) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	})
}

// ErrPaginationLoop reports a links.next that repeats one already followed.
var ErrPaginationLoop = errors.New("up: pagination loop: next link repeats")

// NextLinkError reports a links.next that the client refuses to follow
// because it leads away from the API's scheme, host or base path: following
// it would hand the user's token to someone else.
type NextLinkError struct {
	Next   string // the link as UP sent it
	Reason string
}

// Error describes the refusal.
func (e *NextLinkError) Error() string {
	return fmt.Sprintf("up: refusing to follow next link %q: %s", e.Next, e.Reason)
}

// cursor tracks the next links a walk through one collection has followed.
// It keeps an 8-byte hash per page rather than the links themselves.
type cursor struct {
	mu   sync.Mutex
	seed maphash.Seed
	seen map[uint64]struct{}
}

func newCursor() *cursor {
	return &cursor{seed: maphash.MakeSeed(), seen: make(map[uint64]struct{})}
}

// visit records u, failing if it was visited before.
func (c *cursor) visit(u *url.URL) error {
	h := maphash.String(c.seed, u.String())
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.seen[h]; dup {
		return fmt.Errorf("%w: %s", ErrPaginationLoop, safeURL(u))
	}
	c.seen[h] = struct{}{}
	return nil
}

// fetchPage sends a page request and decodes the collection in its answer.
func fetchPage[T any](ctx context.Context, c *Client, cur *cursor, build request) (*Page[T], error) {
	data, resp, err := send[collection[T]](ctx, c, build)
	if err != nil {
		return nil, err
	}
	page := &Page[T]{Items: data.Items, Meta: resp.Meta, c: c, cursor: cur}
	if data.Links.Next != nil && *data.Links.Next != "" {
		if page.next, err = resolveNext(c.cfg.baseURL(), *data.Links.Next); err != nil {
			return nil, err
		}
	}
	return page, nil
}

// firstPage fetches the first page of a collection, starting a new walk.
func firstPage[T any](ctx context.Context, c *Client, build request) (*Page[T], error) {
	return fetchPage[T](ctx, c, newCursor(), build)
}

// resolveNext resolves a links.next against the API's base URL and accepts
// it only if it stays on the same scheme and host and under the base path.
func resolveNext(baseURL, next string) (*url.URL, error) {
	base, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("up: invalid base URL: %w", err)
	}
	ref, err := url.Parse(next)
	if err != nil {
		return nil, &NextLinkError{Next: next, Reason: "not a URL"}
	}
	u := base.ResolveReference(ref)
	switch {
	case u.Scheme != base.Scheme:
		return nil, &NextLinkError{Next: next, Reason: "scheme " + u.Scheme + " is not " + base.Scheme}
	case hostKey(u) != hostKey(base) || u.User != nil:
		return nil, &NextLinkError{Next: next, Reason: "host " + u.Host + " is not " + base.Host}
	case !strings.HasPrefix(u.Path, strings.TrimSuffix(base.Path, "/")+"/"):
		return nil, &NextLinkError{Next: next, Reason: "path " + u.Path + " is outside " + base.Path}
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// all walks a collection from its first page, yielding each item once in
// the order UP sent them, and stops at the first error, which it yields.
func all[T any](ctx context.Context, first func(context.Context) (*Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		page, err := first(ctx)
		for {
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range page.Items {
				if !yield(item, nil) {
					return
				}
			}
			if !page.HasNext() {
				return
			}
			page, err = page.Next(ctx)
		}
	}
}
