package up

import (
	"context"
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

// pageView is what printing a Page shows: its items, its meta and the URL
// of the next page. A Page formats itself as its pageView, so that no verb
// reaches the Client it holds, and with it the user's token.
type pageView[T any] struct {
	Items []T
	Meta  Meta
	Next  string
}

// Format prints the Page as its pageView, with the same verb and flags.
func (p Page[T]) Format(f fmt.State, verb rune) {
	_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), pageView[T]{Items: p.Items, Meta: p.Meta, Next: p.NextURL()})
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

// Next fetches the page after p. It returns ErrNoMorePages on the last page,
// and an error matching ErrPaginationLoop if UP sends a next link whose
// page was fetched before (which would otherwise loop forever). A Next that
// failed (a 429, a timeout) may be called again: a link counts as followed
// only once its page arrived.
func (p *Page[T]) Next(ctx context.Context) (*Page[T], error) {
	if p.next == nil {
		return nil, ErrNoMorePages
	}
	return followPage[T](ctx, p.c, p.cursor, p.next)
}

// ResumePage fetches the page at pageURL, a URL that Page.NextURL returned
// earlier, so that a walk interrupted (say, by a crash) can go on where it
// stopped. The URL must lead to the Client's API, as next links must.
func ResumePage[T any](ctx context.Context, c *Client, pageURL string) (*Page[T], error) {
	u, err := resolveNext(c.cfg.baseURL(), pageURL)
	if err != nil {
		return nil, c.scrub(err)
	}
	return followPage[T](ctx, c, newCursor(), u)
}

// followPage fetches the page at next, a link resolveNext accepted, as the
// next page of the walk cur tracks, and records next as followed once the
// page arrived.
func followPage[T any](ctx context.Context, c *Client, cur *cursor, next *url.URL) (*Page[T], error) {
	if err := cur.check(next); err != nil {
		return nil, c.scrub(err)
	}
	req, err := c.newURLRequest(ctx, next)
	if err != nil {
		return nil, err
	}
	page, err := fetchPage[T](ctx, c, cur, req)
	if err != nil {
		return nil, err
	}
	if err := cur.visit(next); err != nil {
		return nil, c.scrub(err) // a concurrent Next fetched the same page first
	}
	return page, nil
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

// check fails if u was visited before.
func (c *cursor) check(u *url.URL) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mark(u, false)
}

// visit records u, failing if it was visited before.
func (c *cursor) visit(u *url.URL) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mark(u, true)
}

// mark fails if u was visited before, and otherwise records it when record
// is set. c.mu must be held.
func (c *cursor) mark(u *url.URL, record bool) error {
	h := maphash.String(c.seed, u.String())
	if _, dup := c.seen[h]; dup {
		return fmt.Errorf("%w: %s", ErrPaginationLoop, safeURL(u))
	}
	if record {
		c.seen[h] = struct{}{}
	}
	return nil
}

// fetchPage sends a page request and decodes the collection in its answer.
func fetchPage[T any](ctx context.Context, c *Client, cur *cursor, req *http.Request) (*Page[T], error) {
	data, resp, err := sendRequest[collection[T]](c, req)
	if err != nil {
		return nil, err
	}
	page := &Page[T]{Items: data.Items, Meta: resp.Meta, c: c, cursor: cur}
	if data.Links.Next != "" {
		if page.next, err = resolveNext(c.cfg.baseURL(), data.Links.Next); err != nil {
			return nil, c.scrub(err)
		}
	}
	return page, nil
}

// firstPage fetches the first page of a collection, starting a new walk.
func firstPage[T any](ctx context.Context, c *Client, cl call) (*Page[T], error) {
	req, err := c.newRequest(ctx, cl)
	if err != nil {
		return nil, err
	}
	return fetchPage[T](ctx, c, newCursor(), req)
}

// resolveNext resolves a links.next against the API's base URL and accepts
// it only if it stays on the same scheme and host and under the base path.
//
// The path is compared, and the link followed, in RFC 3986 normal form:
// percent-encoded unreserved characters decoded (%2e is a dot), hex in upper
// case, dot segments removed after that decoding. What servers read in
// different ways is refused rather than guessed at: an encoded slash or
// backslash (%2f, %5c), a backslash, an empty segment (a double slash), a
// dot segment with parameters ("..;x"), a segment of dots and spaces other
// than "." and "..", a dot, slash or backslash percent-encoded more than once
// (%252e), and control characters. The URL returned carries no dot segment,
// so the server reads the path that was checked.
func resolveNext(baseURL, next string) (*url.URL, error) {
	base, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("up: invalid base URL: %w", err)
	}
	basePath, reason := normalizePath(base.EscapedPath())
	if reason != "" {
		return nil, fmt.Errorf("up: invalid base URL: path: %s", reason)
	}
	ref, err := url.Parse(next)
	if err != nil {
		return nil, &NextLinkError{Next: next, Reason: "not a URL"}
	}
	if ref.Opaque != "" {
		return nil, &NextLinkError{Next: next, Reason: "not a hierarchical URL"}
	}
	refPath, reason := normalizePath(ref.EscapedPath())
	if reason != "" {
		return nil, &NextLinkError{Next: next, Reason: "path: " + reason}
	}
	setEscapedPath(ref, refPath)
	u := base.ResolveReference(ref) // removes the dot segments, now all literal
	prefix := strings.TrimSuffix(basePath, "/") + "/"
	switch {
	case u.Scheme != base.Scheme:
		return nil, &NextLinkError{Next: next, Reason: "scheme " + u.Scheme + " is not " + base.Scheme}
	case hostKey(u) != hostKey(base) || u.User != nil:
		return nil, &NextLinkError{Next: next, Reason: "host " + u.Host + " is not " + base.Host}
	case !strings.HasPrefix(u.EscapedPath(), prefix):
		return nil, &NextLinkError{Next: next, Reason: "path " + u.EscapedPath() + " is outside " + basePath}
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// normalizePath returns an escaped URL path with percent-encoding in RFC
// 3986 normal form (unreserved characters decoded, other escapes in upper
// case), or a reason to refuse it (see resolveNext). Dot segments are left
// in place, all written as plain dots, for url.URL.ResolveReference to remove.
func normalizePath(escaped string) (string, string) {
	var b strings.Builder
	b.Grow(len(escaped))
	for i := 0; i < len(escaped); i++ {
		c := escaped[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(escaped) || !ishex(escaped[i+1]) || !ishex(escaped[i+2]) {
			return "", "malformed percent-encoding"
		}
		d := unhex(escaped[i+1])<<4 | unhex(escaped[i+2])
		if unreserved(d) {
			b.WriteByte(d)
		} else {
			b.WriteByte('%')
			b.WriteString(strings.ToUpper(escaped[i+1 : i+3]))
		}
		i += 2
	}
	path := b.String()
	segments := strings.Split(path, "/")
	for i, seg := range segments {
		if reason := checkSegment(seg, i == 0, i == len(segments)-1); reason != "" {
			return "", reason
		}
	}
	return path, ""
}

// checkSegment returns why a path segment (in normal form) is refused, or
// "". The first segment of an absolute path, and the last of any path (a
// trailing slash), may be empty.
func checkSegment(seg string, first, last bool) string {
	if seg == "" {
		if first || last {
			return ""
		}
		return "empty segment (a double slash)"
	}
	dec, err := url.PathUnescape(seg)
	switch {
	case err != nil:
		return "malformed percent-encoding"
	case strings.ContainsAny(dec, `/\`):
		return "encoded slash or backslash"
	case strings.ContainsFunc(dec, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "control character"
	case dec != "." && dec != ".." && dotLike(dec):
		return "dot segment with parameters, or of dots and spaces"
	}
	// A server that decodes twice would read %252e as a dot: each further
	// decoding must give neither a separator nor a dot segment. Each
	// decoding shortens the text, so the loop ends.
	for strings.Contains(dec, "%") {
		again, err := url.PathUnescape(dec)
		if err != nil || again == dec {
			break
		}
		if dec = again; strings.ContainsAny(dec, `/\`) || dotLike(dec) {
			return "slash, backslash or dot percent-encoded more than once"
		}
	}
	return ""
}

// dotLike reports whether a decoded segment could be read as a dot segment
// by some server: its part before any ";" is made of dots and spaces, at
// least one of them a dot.
func dotLike(dec string) bool {
	name, _, _ := strings.Cut(dec, ";")
	return strings.Contains(name, ".") && strings.Trim(name, ". ") == ""
}

// setEscapedPath sets u's path from its escaped form, which must be valid.
func setEscapedPath(u *url.URL, escaped string) {
	path, err := url.PathUnescape(escaped)
	if err != nil {
		return // normalizePath checked it; keep u as it is
	}
	u.Path, u.RawPath = path, escaped
}

// unreserved reports the characters RFC 3986 lets a URL carry unescaped
// anywhere, whose percent-encoding normalization decodes.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
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
