package uptest

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// maxBody bounds the request bodies the fake reads.
const maxBody = 32 << 20

// A Request is what the server recorded about one request it received, for
// tests to assert on. Secrets never appear in it: the values of
// client_secret, secret, code, refresh_token and access_token read
// "REDACTED", and of the Authorization header only its scheme is kept.
type Request struct {
	Time   time.Time // by the server's clock
	Method string    // GET, POST, DELETE ...
	// Path is the path as sent, e.g. /nudge/api/v.1.1/users/@me/moves.
	Path     string
	RawQuery string // the query string, without the "?", secrets redacted
	// Form holds the fields of a form body (application/x-www-form-urlencoded
	// or multipart/form-data); a file part appears with its file name as value.
	Form url.Values
	// AuthScheme is the scheme of the Authorization header ("Bearer",
	// "Basic"), or "" when there was none.
	AuthScheme  string
	ContentType string // the Content-Type header
}

// redacted lists the parameters whose values the request log hides.
var redacted = map[string]bool{"client_secret": true, "secret": true, "code": true, "refresh_token": true, "access_token": true}

func redact(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vals := range v {
		vals = append([]string(nil), vals...)
		if redacted[k] {
			for i := range vals {
				vals[i] = "REDACTED"
			}
		}
		out[k] = vals
	}
	return out
}

type requestLog struct {
	mu   sync.Mutex
	reqs []Request
}

func (l *requestLog) add(r Request) {
	l.mu.Lock()
	l.reqs = append(l.reqs, r)
	l.mu.Unlock()
}

// Requests returns the requests the server received so far, oldest first.
func (s *Server) Requests() []Request {
	s.reqs.mu.Lock()
	defer s.reqs.mu.Unlock()
	return append([]Request(nil), s.reqs.reqs...)
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.reqs.mu.Lock()
	s.reqs.reqs = nil
	s.reqs.mu.Unlock()
}

// readBody reads r's body and puts it back, so that it can be read again.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	r.ContentLength = int64(len(b))
	return b, err
}

// formOf decodes a form body; a file part of a multipart body is given by
// its file name.
func formOf(contentType string, body []byte) url.Values {
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil || len(body) == 0 {
		return nil
	}
	switch media {
	case "application/x-www-form-urlencoded":
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return nil
		}
		return v
	case "multipart/form-data":
		form := url.Values{}
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			data, err := io.ReadAll(p)
			if err != nil {
				break
			}
			if p.FileName() != "" {
				form.Add(p.FormName(), p.FileName())
				continue
			}
			form.Add(p.FormName(), string(data))
		}
		return form
	}
	return nil
}

// record adds r to the request log.
func (s *Server) record(r *http.Request, form url.Values) {
	scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	q := r.URL.Query()
	raw := r.URL.RawQuery
	for k := range q {
		if redacted[k] {
			raw = redact(q).Encode()
			break
		}
	}
	s.reqs.add(Request{
		Time:        s.now(),
		Method:      r.Method,
		Path:        r.URL.Path,
		RawQuery:    raw,
		Form:        redact(form),
		AuthScheme:  scheme,
		ContentType: r.Header.Get("Content-Type"),
	})
}
