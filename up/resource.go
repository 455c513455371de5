package up

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/upapi/up-go/gen"
)

// The plumbing every resource method shares: list pages, form writes,
// empty answers, images and requests about one event.

// listBuilder is a generated list-request builder, adapted to listParams.
type listBuilder func(server string, p listParams) (*http.Request, error)

// listPage validates q and fetches the first page of a list.
func listPage[T any](ctx context.Context, c *Client, q ListQuery, build listBuilder) (*Page[T], error) {
	p, err := q.params()
	if err != nil {
		return nil, err
	}
	return firstPage[T](ctx, c, func(s string) (*http.Request, error) { return build(s, p) })
}

// bodyBuilder is a generated request builder that takes a body.
type bodyBuilder func(server, contentType string, body io.Reader) (*http.Request, error)

// me names, in the paths under /users/{user}, the user who owns the access
// token: the SDK always acts for that user.
const me gen.UserRef = "@me"

// forMe binds a generated builder of a /users/{user} request to me.
func forMe(build func(server string, user gen.UserRef) (*http.Request, error)) request {
	return func(s string) (*http.Request, error) { return build(s, me) }
}

// bodyForMe binds a generated builder of a /users/{user} request with a
// body to me.
func bodyForMe(build func(server string, user gen.UserRef, contentType string, body io.Reader) (*http.Request, error)) bodyBuilder {
	return func(s, ct string, body io.Reader) (*http.Request, error) { return build(s, me, ct, body) }
}

// sendForm encodes fields as an application/x-www-form-urlencoded body and
// sends it. The body can be replayed, so a 401 refresh resends it; nothing
// else ever does, because creates are not idempotent.
func sendForm[T any](ctx context.Context, c *Client, fields any, build bodyBuilder) (*T, *Response, error) {
	form, err := encodeForm(fields)
	if err != nil {
		return nil, nil, err
	}
	encoded := form.Encode()
	return send[T](ctx, c, func(s string) (*http.Request, error) {
		return build(s, "application/x-www-form-urlencoded", strings.NewReader(encoded))
	})
}

// sendEmpty sends a request whose answer carries no data (a delete, a
// webhook registration) and checks that answer.
func sendEmpty(ctx context.Context, c *Client, build request) (*Response, error) {
	var env envelope[struct{}]
	resp, err := c.exchange(ctx, build, &env)
	if err == nil {
		resp.Meta = metaOf(env.Meta)
	}
	return resp, err
}

// maxImageBytes bounds the PNG graphs Image methods read into memory.
const maxImageBytes = 16 << 20

// openImage requests a PNG graph and returns its body for the caller to
// read and close; reading more than limit bytes of it fails with a
// *ResponseTooLargeError, unless limit is zero.
func openImage(ctx context.Context, c *Client, build request, limit int64) (_ io.ReadCloser, err error) {
	defer func() { err = c.scrub(err) }()
	req, err := c.build(ctx, build)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "image/png")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if err := c.check(resp); err != nil {
		drainClose(resp)
		return nil, err
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "image/png" {
		drainClose(resp)
		return nil, &DecodeError{Method: req.Method, URL: safeURL(req.URL), Err: fmt.Errorf("content type %q is not image/png", mt)}
	}
	if limit > 0 {
		return newLimitedBody(req, resp.Body, limit), nil
	}
	return resp.Body, nil
}

// readImage reads a whole PNG graph, up to maxImageBytes.
func readImage(ctx context.Context, c *Client, build request) ([]byte, error) {
	body, err := openImage(ctx, c, build, maxImageBytes)
	if err != nil {
		return nil, err
	}
	defer func() { _ = body.Close() }()
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, c.scrub(err)
	}
	return b, nil
}

// xidBuilder is a generated builder of a request about one event.
type xidBuilder func(server string, xid gen.XID) (*http.Request, error)

// about binds build to xid.
func about(xid string, build xidBuilder) request {
	return func(s string) (*http.Request, error) { return build(s, xid) }
}

// getEvent fetches the event xid names.
func getEvent[T any](ctx context.Context, c *Client, xid string, build xidBuilder) (*T, *Response, error) {
	if err := checkXID(xid); err != nil {
		return nil, nil, err
	}
	return send[T](ctx, c, about(xid, build))
}

// deleteEvent deletes the event xid names.
func deleteEvent(ctx context.Context, c *Client, xid string, build xidBuilder) (*Response, error) {
	if err := checkXID(xid); err != nil {
		return nil, err
	}
	return sendEmpty(ctx, c, about(xid, build))
}

// eventImage reads the PNG graph of the event xid names.
func eventImage(ctx context.Context, c *Client, xid string, build xidBuilder) ([]byte, error) {
	if err := checkXID(xid); err != nil {
		return nil, err
	}
	return readImage(ctx, c, about(xid, build))
}

// openEventImage opens the PNG graph of the event xid names.
func openEventImage(ctx context.Context, c *Client, xid string, build xidBuilder) (io.ReadCloser, error) {
	if err := checkXID(xid); err != nil {
		return nil, err
	}
	return openImage(ctx, c, about(xid, build), 0)
}

// ticksPage fetches the first page of the intraday series of the event xid
// names.
func ticksPage[T any](ctx context.Context, c *Client, xid string, build xidBuilder) (*Page[T], error) {
	if err := checkXID(xid); err != nil {
		return nil, err
	}
	return firstPage[T](ctx, c, about(xid, build))
}

// errEmptyXID is returned before any request by methods given an empty XID.
var errEmptyXID = errors.New("up: empty event XID")

// checkXID rejects an empty XID, which would name the collection instead
// of an event.
func checkXID(xid string) error {
	if strings.TrimSpace(xid) == "" {
		return errEmptyXID
	}
	return nil
}
