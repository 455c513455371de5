package up

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// The plumbing every resource method shares: paths, list pages, form
// writes, empty answers, images and requests about one event.

// mePath is the path of the user who owns the access token, under
// /users/{user}: the SDK always acts for that user.
const mePath = "/users/@me"

// eventCall is a request about the event xid of a collection ("workouts"),
// with suffix after the XID ("", "/image", "/ticks", "/partialUpdate").
// The XID is escaped as the generated builders escape a path parameter
// (url.PathEscape).
func eventCall(method, collection, xid, suffix string) call {
	cl := call{method: method, path: "/" + collection + "/" + xid + suffix}
	if esc := url.PathEscape(xid); esc != xid {
		cl.rawPath = "/" + collection + "/" + esc + suffix
	}
	return cl
}

// query writes a query string: name=value pairs, each value escaped with
// url.QueryEscape, in the order they are added, which is the order the
// spec declares the operation's parameters in.
type query struct{ b []byte }

func (q *query) sep(name string) {
	if len(q.b) > 0 {
		q.b = append(q.b, '&')
	}
	q.b = append(q.b, name...)
	q.b = append(q.b, '=')
}

// addInt adds name with the decimal value v, when p is not nil.
func addInt[T ~int | ~int64](q *query, name string, p *T) {
	if p != nil {
		q.sep(name)
		q.b = appendInt(q.b, int64(*p))
	}
}

// addString adds name with the value s, when p is not nil.
func addString[T ~string](q *query, name string, p *T) {
	if p != nil {
		q.sep(name)
		q.b = append(q.b, url.QueryEscape(string(*p))...)
	}
}

func (q *query) String() string { return string(q.b) }

// listPage validates q and fetches the first page of the list at path.
func listPage[T any](ctx context.Context, c *Client, path string, q ListQuery) (*Page[T], error) {
	p, err := q.params()
	if err != nil {
		return nil, err
	}
	return firstPage[T](ctx, c, get(path, p.encode()))
}

// sendForm encodes fields as an application/x-www-form-urlencoded body and
// sends it as cl. The body can be replayed, so a 401 refresh resends it;
// nothing else ever does, because creates are not idempotent.
func sendForm[T any](ctx context.Context, c *Client, cl call, fields formBody) (*T, *Response, error) {
	form, err := encodeFormBody(fields)
	if err != nil {
		return nil, nil, err
	}
	cl.body, cl.contentType = form, "application/x-www-form-urlencoded"
	return send[T](ctx, c, cl)
}

// sendEmpty sends a request whose answer carries no data (a delete, a
// webhook registration) and checks that answer.
func sendEmpty(ctx context.Context, c *Client, cl call) (*Response, error) {
	req, err := c.newRequest(ctx, cl)
	if err != nil {
		return nil, err
	}
	a := new(answer[struct{}])
	sent, err := c.exchange(req, &a.resp, &a.env)
	if !sent {
		return nil, err
	}
	if err == nil {
		a.resp.Meta = metaOf(a.env.Meta)
	}
	return &a.resp, err
}

// maxImageBytes bounds the PNG graphs Image methods read into memory.
const maxImageBytes = 16 << 20

// openImage requests a PNG graph and returns its body for the caller to
// read and close; reading more than limit bytes of it fails with a
// *ResponseTooLargeError, unless limit is zero. The Response is nil when no
// answer came.
func openImage(ctx context.Context, c *Client, cl call, limit int64) (_ io.ReadCloser, _ *Response, err error) {
	defer func() { err = c.scrub(err) }()
	cl.png = true
	req, err := c.newRequest(ctx, cl)
	if err != nil {
		return nil, nil, err
	}
	resp := new(Response)
	httpResp, err := c.roundTrip(req, resp)
	if httpResp == nil {
		return nil, nil, err
	}
	if err != nil {
		drainClose(httpResp)
		return nil, resp, err
	}
	if mt, _, _ := mime.ParseMediaType(httpResp.Header.Get("Content-Type")); mt != "image/png" {
		drainClose(httpResp)
		return nil, resp, &DecodeError{Method: req.Method, URL: safeURL(req.URL), Err: fmt.Errorf("content type %q is not image/png", mt)}
	}
	if limit > 0 {
		return newLimitedBody(req, httpResp.Body, limit), resp, nil
	}
	return httpResp.Body, resp, nil
}

// readImage reads a whole PNG graph, up to maxImageBytes.
func readImage(ctx context.Context, c *Client, cl call) ([]byte, *Response, error) {
	body, resp, err := openImage(ctx, c, cl, maxImageBytes)
	if err != nil {
		return nil, resp, err
	}
	defer func() { _ = body.Close() }()
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, resp, c.scrub(err)
	}
	return b, resp, nil
}

// getEvent fetches the event xid names in collection.
func getEvent[T any](ctx context.Context, c *Client, collection, xid string) (*T, *Response, error) {
	if err := checkXID(xid); err != nil {
		return nil, nil, err
	}
	return send[T](ctx, c, eventCall(http.MethodGet, collection, xid, ""))
}

// updateEvent changes the event xid names in collection with the form
// fields, through its partialUpdate.
func updateEvent[T any](ctx context.Context, c *Client, collection, xid string, fields formBody) (*T, *Response, error) {
	return sendForm[T](ctx, c, eventCall(http.MethodPost, collection, xid, "/partialUpdate"), fields)
}

// deleteEvent deletes the event xid names in collection.
func deleteEvent(ctx context.Context, c *Client, collection, xid string) (*Response, error) {
	if err := checkXID(xid); err != nil {
		return nil, err
	}
	return sendEmpty(ctx, c, eventCall(http.MethodDelete, collection, xid, ""))
}

// eventImage reads the PNG graph of the event xid names in collection.
func eventImage(ctx context.Context, c *Client, collection, xid string) ([]byte, *Response, error) {
	if err := checkXID(xid); err != nil {
		return nil, nil, err
	}
	return readImage(ctx, c, eventCall(http.MethodGet, collection, xid, "/image"))
}

// openEventImage opens the PNG graph of the event xid names in collection.
func openEventImage(ctx context.Context, c *Client, collection, xid string) (io.ReadCloser, *Response, error) {
	if err := checkXID(xid); err != nil {
		return nil, nil, err
	}
	return openImage(ctx, c, eventCall(http.MethodGet, collection, xid, "/image"), 0)
}

// ticksPage fetches the first page of the intraday series of the event xid
// names in collection.
func ticksPage[T any](ctx context.Context, c *Client, collection, xid string) (*Page[T], error) {
	if err := checkXID(xid); err != nil {
		return nil, err
	}
	return firstPage[T](ctx, c, eventCall(http.MethodGet, collection, xid, "/ticks"))
}

// errEmptyXID is returned before any request by methods given an empty XID.
var errEmptyXID = errors.New("up: empty event XID")

// checkXID rejects an XID that would name something other than an event:
// an empty one names the collection, and "." or ".." a path above it. The
// XID is sent escaped, but a server that decodes a path more than once,
// takes a backslash for a slash or drops ";parameters" might read it as a
// path: an XID that such a reading takes out of its collection ("../x",
// "a/../../x", "%2e%2e", `..\x`), or back to the collection itself ("a/.."),
// is refused too, as next links are (see resolveNext). UP's XIDs are
// letters, digits, "-" and "_".
func checkXID(xid string) error {
	switch strings.TrimSpace(xid) {
	case "":
		return errEmptyXID
	case ".", "..":
		return &InputError{Field: "xid", Reason: fmt.Sprintf("%q is not an event XID", xid)}
	}
	if laxLeavesCollection(xid) {
		return &InputError{Field: "xid", Reason: fmt.Sprintf("%q reads as a path outside its collection", xid)}
	}
	return nil
}

// laxLeavesCollection reports whether a lax reading of xid, decoded again
// and again (valid escapes only, as lax decoders do), split at slashes and
// backslashes, each segment's ";parameters" dropped and its dot segments
// (segments of dots and spaces: "..", "...", ". .") resolved, climbs out of
// the collection or ends on it rather than below it.
func laxLeavesCollection(xid string) bool {
	s := xid
	for strings.Contains(s, "%") {
		d := lenientUnescape(s)
		if d == s {
			break
		}
		s = d // each decoding shortens s, so the loop ends
	}
	depth := 0
	for _, seg := range strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '\\' }) {
		name, _, _ := strings.Cut(seg, ";")
		switch {
		case !dotLike(seg):
			depth++
		case strings.Count(name, ".") >= 2:
			if depth--; depth < 0 {
				return true
			}
		}
	}
	return depth < 1
}

// lenientUnescape decodes the valid percent-escapes of s and keeps the
// rest as it is.
func lenientUnescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && ishex(s[i+1]) && ishex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
