package up

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/upapi/up-go/gen"
)

// Response describes the HTTP exchange behind a typed call: its status, its
// headers and the meta object of the UP envelope.
type Response struct {
	StatusCode int         // the HTTP status, such as 200 or 201
	Header     http.Header // the response's headers
	Meta       Meta        // the envelope's meta object
}

// Meta is the meta object that every UP API response carries, successful or
// not: who the token belongs to, the status the server meant, and its clock.
// Error responses add ErrorType, ErrorDetail and ErrorUserMsg. Fields UP
// might add later are ignored. See https://jawbone.com/up/developer/structure.
type Meta struct {
	UserXID      string    // the XID of the user who owns the token
	Message      string    // "OK", or a short code such as "NOT_AUTHORIZED"
	Code         int       // the HTTP status the server meant
	Time         time.Time // the server's clock, in UTC
	ErrorType    string    // on errors, the kind of failure
	ErrorDetail  string    // on errors, a sentence for developers
	ErrorUserMsg string    // on errors, a sentence that may be shown to the user
}

// metaOf converts the generated meta of a successful response.
func metaOf(m gen.Meta) Meta {
	return Meta{
		UserXID: m.UserXID, Message: m.Message, Code: m.Code, Time: m.Time.Time(),
		ErrorType: m.ErrorType, ErrorDetail: m.ErrorDetail, ErrorUserMsg: m.ErrorUserMsg,
	}
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

// call is one request to the API: its method, its path below the base URL
// and its query, with the parameters in the order the spec declares them,
// as the generated request builders write them (TestRequestsMatchGenerated
// compares the two for every operation), and its body, if any.
type call struct {
	method string
	// path is below the base URL, not escaped; rawPath is its escaped
	// form when that differs from what url.URL makes of path (an XID with
	// a reserved character), and empty otherwise.
	path, rawPath string
	query         string
	body          []byte // nil: no body
	contentType   string
	png           bool // asks for a PNG image rather than JSON
}

// get is a GET of path, with query.
func get(path, query string) call { return call{method: http.MethodGet, path: path, query: query} }

// send makes the request of cl, sends it through the authenticated client
// and decodes the envelope's data into *T. A non-2xx answer is an *APIError.
func send[T any](ctx context.Context, c *Client, cl call) (*T, *Response, error) {
	req, err := c.newRequest(ctx, cl)
	if err != nil {
		return nil, nil, err
	}
	return sendRequest[T](c, req)
}

// answer is what a call returns, in one allocation: the Response and the
// envelope whose data the caller gets.
type answer[T any] struct {
	resp Response
	env  envelope[T]
}

// sendRequest sends req and decodes the envelope's data into *T.
func sendRequest[T any](c *Client, req *http.Request) (*T, *Response, error) {
	a := new(answer[T])
	sent, err := c.exchange(req, &a.resp, &a.env)
	if !sent {
		return nil, nil, err
	}
	if err != nil {
		return nil, &a.resp, err
	}
	a.resp.Meta = metaOf(a.env.Meta)
	return &a.env.Data, &a.resp, nil
}

// exchange sends req, fills resp from the answer and decodes its JSON body
// into out (nothing is decoded when out is nil). sent reports whether an
// answer came, and so whether resp holds it. Its errors never show the
// Client's secrets, in any encoding.
func (c *Client) exchange(req *http.Request, resp *Response, out any) (sent bool, err error) {
	defer func() { err = c.scrub(err) }()
	httpResp, err := c.roundTrip(req, resp)
	if httpResp == nil {
		return false, err
	}
	defer drainClose(httpResp)
	if err != nil || out == nil {
		return true, err
	}
	return true, c.decodeJSON(req, httpResp.Body, out)
}

// roundTrip sends req through the authenticated client and fills resp from
// the answer, which it returns for the caller to read and close; it returns
// nil when no answer came. A non-2xx answer is returned with its *APIError.
// Its errors are not yet scrubbed of the Client's secrets.
func (c *Client) roundTrip(req *http.Request, resp *Response) (*http.Response, error) {
	httpResp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	resp.StatusCode, resp.Header = httpResp.StatusCode, httpResp.Header
	return httpResp, c.check(httpResp)
}

// maxDrain bounds what drainClose reads of a body before closing it.
const maxDrain = 4 << 10

// drainBuffers holds the buffers drainClose reads into.
var drainBuffers = sync.Pool{New: func() any { return new([maxDrain]byte) }}

// drainClose reads a little of what is left of a body (at most maxDrain
// bytes), so the connection can be reused, and closes it.
func drainClose(resp *http.Response) {
	buf := drainBuffers.Get().(*[maxDrain]byte)
	for n := 0; n < maxDrain; {
		m, err := resp.Body.Read(buf[:maxDrain-n])
		n += m
		if err != nil {
			break
		}
	}
	drainBuffers.Put(buf)
	_ = resp.Body.Close()
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
func (c *Config) maxResponseBytes() int64 {
	return positiveOr(c.MaxResponseBytes, DefaultMaxResponseBytes)
}

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

// newRequest makes the request of cl for ctx, on the base URL the Client
// parsed once, asking for JSON unless cl says otherwise.
func (c *Client) newRequest(ctx context.Context, cl call) (*http.Request, error) {
	if c.baseErr != nil {
		return nil, c.baseErr
	}
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	// An empty URL parses without error into an empty url.URL, which is
	// then filled in place: the base URL is not parsed again.
	req, err := http.NewRequestWithContext(ctx, cl.method, "", body)
	if err != nil {
		return nil, fmt.Errorf("up: building request: %w", err)
	}
	u := req.URL
	u.Scheme, u.Host, u.RawQuery = c.base.Scheme, c.host, cl.query
	u.Path = c.base.Path + cl.path
	if c.base.RawPath != "" || cl.rawPath != "" {
		raw := cl.rawPath
		if raw == "" {
			raw = cl.path
		}
		u.RawPath = c.base.EscapedPath() + raw
	}
	req.Host = c.host
	req.Header["Accept"] = c.acceptJSON
	if cl.png {
		req.Header["Accept"] = c.acceptPNG
	}
	if cl.contentType != "" {
		req.Header["Content-Type"] = []string{cl.contentType}
	}
	return req, nil
}

// newURLRequest makes a GET of u, a URL already parsed and checked (a next
// link), without parsing it again.
func (c *Client) newURLRequest(ctx context.Context, u *url.URL) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "", nil)
	if err != nil {
		return nil, fmt.Errorf("up: building request: %w", err)
	}
	*req.URL = *u
	req.URL.Host = hostWithoutEmptyPort(u.Host)
	req.Host = req.URL.Host
	req.Header["Accept"] = c.acceptJSON
	return req, nil
}

// hostWithoutEmptyPort strips the colon of a host with an empty port
// ("example.com:"), as http.NewRequest does.
func hostWithoutEmptyPort(host string) string {
	if strings.LastIndex(host, ":") > strings.LastIndex(host, "]") {
		return strings.TrimSuffix(host, ":")
	}
	return host
}
