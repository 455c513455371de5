package up

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	// maxErrorBody bounds how much of an error response is read to decode its meta.
	maxErrorBody = 64 << 10
	// maxErrorExcerpt bounds the part of an error body kept in APIError.Body.
	maxErrorExcerpt = 1 << 10
)

// checkResponse returns nil for a 2xx response and an *APIError for any
// other, decoding the UP envelope's meta when there is one. It reads a
// bounded prefix of the body and leaves closing it to the caller. The bearer
// token the request carried and the other secrets are removed from the
// body, in any encoding, before any of it is kept.
func checkResponse(resp *http.Response, secrets ...string) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &APIError{StatusCode: resp.StatusCode}
	var token string
	if req := resp.Request; req != nil {
		e.Method = req.Method
		e.URL = safeURL(req.URL)
		token = bearerToken(req.Header)
	}
	clean := redactSecrets(string(body), append(secrets, token)...)
	e.Meta = decodeMeta([]byte(clean))
	if len(clean) > maxErrorExcerpt {
		clean = clean[:maxErrorExcerpt]
	}
	if clean != "" {
		e.Body = []byte(clean)
	}
	if e.StatusCode == http.StatusTooManyRequests {
		wait, _ := retryAfter(resp.Header, time.Now())
		return &RateLimitError{APIError: e, RetryAfter: wait}
	}
	return e
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(h http.Header) string {
	tok, _ := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
	return tok
}

// decodeMeta reads the meta object of a UP envelope, tolerating missing,
// extra and oddly typed fields; it returns nil when there is no meta object.
func decodeMeta(body []byte) *Meta {
	var env struct {
		Meta map[string]json.RawMessage `json:"meta"`
	}
	if json.Unmarshal(body, &env) != nil || env.Meta == nil {
		return nil
	}
	m := &Meta{
		UserXID:      jsonString(env.Meta["user_xid"]),
		Message:      jsonString(env.Meta["message"]),
		Code:         int(jsonNumber(env.Meta["code"])),
		ErrorType:    jsonString(env.Meta["error_type"]),
		ErrorDetail:  jsonString(env.Meta["error_detail"]),
		ErrorUserMsg: jsonString(env.Meta["error_user_msg"]),
	}
	if sec := jsonNumber(env.Meta["time"]); sec > 0 {
		m.Time = time.Unix(sec, 0).UTC()
	}
	return m
}

// jsonString returns a JSON string's value, a number's text, or "".
func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// jsonNumber returns the whole part of a JSON number or numeric string, or 0.
func jsonNumber(raw json.RawMessage) int64 {
	f, err := strconv.ParseFloat(jsonString(raw), 64)
	if err != nil {
		return 0
	}
	return int64(f)
}
