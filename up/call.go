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
// (nothing is decoded when out is nil). Its errors never show the Client's
// secrets, in any encoding.
func (c *Client) exchange(ctx context.Context, build request, out any) (_ *Response, err error) {
	defer func() { err = c.scrub(err) }()
	req, err := c.build(ctx, build)
	if err != nil {
		return nil, err
	}
	httpResp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer drainClose(httpResp)
	resp := &Response{StatusCode: httpResp.StatusCode, Header: httpResp.Header}
	if err := c.check(httpResp); err != nil {
		return resp, err
	}
	if out == nil {
		return resp, nil
	}
	return resp, c.decodeJSON(req, httpResp.Body, out)
}

// check returns nil for a 2xx answer and, for any other, the *APIError
// checkResponse makes of it, without the Client's secrets.
func (c *Client) check(resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return checkResponse(resp, c.secrets()...)
}

// decodeJSON decodes the JSON body of a 2xx answer to req into out, reading
// at most Config.MaxResponseBytes of it: a longer body is a
// *ResponseTooLargeError, anything else that fails a *DecodeError.
func (c *Client) decodeJSON(req *http.Request, body io.Reader, out any) error {
	limited := &limitedReader{r: body, n: c.cfg.maxResponseBytes()}
	if err := json.NewDecoder(limited).Decode(out); err != nil {
		if limited.over {
			return &ResponseTooLargeError{Method: req.Method, URL: safeURL(req.URL), Limit: c.cfg.maxResponseBytes()}
		}
		return &DecodeError{Method: req.Method, URL: safeURL(req.URL), Err: err}
	}
	return nil
}

// DefaultMaxResponseBytes is the longest JSON answer a Client reads when
// Config.MaxResponseBytes is not set: 16 MiB. The largest page UP sends is
// a page of moves with their hourly totals, about 4.4 KB a move (the
// recorded move of api/testdata with 24 hourly totals), so a page of 100
// moves is some 440 KB and the limit 38 times that; even a page of 1000
// moves fits. TestDefaultMaxResponseBytesCoversLargestPage computes it.
const DefaultMaxResponseBytes = 16 << 20

// maxResponseBytes returns Config.MaxResponseBytes, or its default.
func (c *Config) maxResponseBytes() int64 { return cmpOr(c.MaxResponseBytes, DefaultMaxResponseBytes) }

// limitedReader reads at most n bytes of r and then one more, to learn
// whether r goes on; if it does, it sets over and fails with
// errResponseTooLarge, having read n+1 bytes in all.
type limitedReader struct {
	r    io.Reader
	n    int64
	over bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.over {
		return 0, ErrResponseTooLarge
	}
	if l.n <= 0 {
		var one [1]byte
		k, err := l.r.Read(one[:])
		if k > 0 {
			l.over = true
			return 0, ErrResponseTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	return k, err
}

// limitedBody bounds each answer's body for the generated client, which
// reads whole bodies: reading past limit fails with a
// *ResponseTooLargeError.
type limitedBody struct {
	limitedReader
	io.Closer
	err *ResponseTooLargeError
}

func (b *limitedBody) Read(p []byte) (int, error) {
	k, err := b.limitedReader.Read(p)
	if b.over {
		return k, b.err
	}
	return k, err
}

// limitedDoer sends requests through the Client and bounds the body of
// every answer to limit bytes; it is the generated client's HTTP doer.
type limitedDoer struct {
	c     *Client
	limit int64
}

// Do sends req and wraps the answer's body.
func (d limitedDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.c.hc.Do(req)
	if err != nil {
		return nil, d.c.scrub(err)
	}
	resp.Body = newLimitedBody(req, resp.Body, d.limit)
	return resp, nil
}

// newLimitedBody bounds body, the body of the answer to req, to limit bytes.
func newLimitedBody(req *http.Request, body io.ReadCloser, limit int64) *limitedBody {
	return &limitedBody{
		limitedReader: limitedReader{r: body, n: limit},
		Closer:        body,
		err:           &ResponseTooLargeError{Method: req.Method, URL: safeURL(req.URL), Limit: limit},
	}
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
