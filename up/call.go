package up

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/upapi/up-go/gen"
)

// Response describes the HTTP exchange behind a typed call: its status, its
// headers and the meta object of the UP envelope.
type Response struct {
	StatusCode int
	Header     http.Header
	Meta       Meta
}

// envelope is the UP response envelope around data of type T. It decodes the
// same JSON as the generated *Envelope types, so one decoding path serves
// every endpoint.
type envelope[T any] struct {
	Meta gen.Meta `json:"meta"`
	Data T        `json:"data"`
}

// collection is the data of a list response: the generated *List types,
// generic over the item.
type collection[T any] struct {
	Items []T       `json:"items"`
	Size  int       `json:"size"`
	Links gen.Links `json:"links"`
}

// request is a generated request builder bound to its arguments, called
// with the Client's base URL and a trailing slash.
type request func(server string) (*http.Request, error)

// send builds req for ctx, sends it through the authenticated client and
// decodes the envelope's data into *T. A non-2xx answer is an *APIError.
func send[T any](ctx context.Context, c *Client, build request) (*T, *Response, error) {
	var env envelope[T]
	resp, err := c.exchange(ctx, build, &env)
	if err != nil {
		return nil, resp, err
	}
	resp.Meta = metaOf(env.Meta)
	return &env.Data, resp, nil
}

// exchange builds and sends a request and decodes its JSON answer into out
// (nothing is decoded when out is nil).
func (c *Client) exchange(ctx context.Context, build request, out any) (*Response, error) {
	req, err := c.build(ctx, build)
	if err != nil {
		return nil, err
	}
	httpResp, err := c.hc.Do(req)
	if err != nil {
		return nil, scrubURLError(err)
	}
	defer drainClose(httpResp)
	resp := &Response{StatusCode: httpResp.StatusCode, Header: httpResp.Header}
	if err := checkResponse(httpResp); err != nil {
		return resp, err
	}
	if out == nil {
		return resp, nil
	}
	if err := json.NewDecoder(httpResp.Body).Decode(out); err != nil {
		return resp, &DecodeError{Method: req.Method, URL: safeURL(req.URL), Err: err}
	}
	return resp, nil
}

// build calls a generated request builder and attaches ctx and the headers
// every call carries.
func (c *Client) build(ctx context.Context, build request) (*http.Request, error) {
	// The generated builders resolve operation paths relative to the server
	// URL, which must therefore end in a slash.
	req, err := build(c.server)
	if err != nil {
		return nil, fmt.Errorf("up: building request: %w", err)
	}
	req = req.WithContext(ctx)
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// DecodeError reports a 2xx response whose body is not the JSON the spec
// promises: malformed, truncated, or of the wrong shape.
type DecodeError struct {
	Method string
	URL    string // without credentials
	Err    error
}

// Error describes the failure.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("up: %s %s: decoding response: %v", e.Method, e.URL, e.Err)
}

// Unwrap returns the decoder's error.
func (e *DecodeError) Unwrap() error { return e.Err }

// readAllLimited reads r to its end, failing past limit bytes.
func readAllLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("up: response larger than %d bytes", limit)
	}
	return b, nil
}
