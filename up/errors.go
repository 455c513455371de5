package up

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/upapi/up-go/gen"
)

// Sentinel errors. Test for them with errors.Is; the typed errors below
// match the ones that describe them.
var (
	// ErrNoToken reports that there is no token: none was given, the user
	// disconnected, or the storage holds none.
	ErrNoToken = errors.New("up: no token")
	// ErrMissingCode reports a redirect URL without an authorization code.
	ErrMissingCode = errors.New("up: redirect URL has no authorization code")
	// ErrStateMismatch reports a redirect URL whose state is missing or is
	// not the one the login started with (a possible forged login).
	ErrStateMismatch = errors.New("up: redirect URL state does not match")
	// ErrAccessDenied reports that the user declined to grant access; an
	// *AuthorizationError with code access_denied matches it.
	ErrAccessDenied = errors.New("up: user denied access")
	// ErrLoginRequired reports that the token cannot be refreshed and the
	// user must log in again; a *TokenError with code invalid_grant matches it.
	ErrLoginRequired = errors.New("up: login required")
	// ErrUnauthorized matches an *APIError with status 401 Unauthorized.
	ErrUnauthorized = errors.New("up: unauthorized")
	// ErrForbidden matches an *APIError with status 403 Forbidden.
	ErrForbidden = errors.New("up: forbidden")
	// ErrNotFound matches an *APIError with status 404 Not Found.
	ErrNotFound = errors.New("up: not found")
	// ErrRateLimited matches an *APIError with status 429 Too Many Requests.
	ErrRateLimited = errors.New("up: rate limited")
	// ErrResponseTooLarge matches a *ResponseTooLargeError: an answer
	// longer than the Client reads.
	ErrResponseTooLarge = errors.New("up: response too large")
	// ErrInsecureTransport reports a refusal to send a token or the client
	// secret over plain HTTP to a host that is not the loopback interface.
	ErrInsecureTransport = errors.New("up: refusing to send credentials over plain http")
)

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

// APIError is a UP API response whose status is not 2xx.
//
// It never holds a token: the URL loses query parameters that carry
// secrets, and a bearer token echoed by the server is redacted.
type APIError struct {
	StatusCode int
	Method     string
	URL        string // the request URL, without credentials
	Meta       *Meta  // nil when the body is not a UP envelope
	Body       []byte // at most the first 1 KiB of the body
}

// Error describes the failure as "up: METHOD URL: STATUS: MESSAGE: DETAIL".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "up: %s %s: %s", e.Method, e.URL, statusText(e.StatusCode))
	if e.Meta != nil {
		detail := e.Meta.ErrorDetail
		if detail == "" {
			detail = e.Meta.ErrorUserMsg
		}
		for _, s := range []string{e.Meta.Message, detail} {
			if s = cleanText(s, maxTextInError); s != "" {
				b.WriteString(": ")
				b.WriteString(s)
			}
		}
	}
	return b.String()
}

// Is lets errors.Is match the status sentinels (ErrUnauthorized and others).
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	}
	return false
}

// RateLimitError is a 429 Too Many Requests that was not retried. It wraps
// the *APIError and says how long the server asked to wait (zero when it
// did not say, and never more than MaxRetryAfter).
type RateLimitError struct {
	*APIError
	RetryAfter time.Duration
}

// Error adds the wait to the API error's description.
func (e *RateLimitError) Error() string {
	if e.RetryAfter <= 0 {
		return e.APIError.Error()
	}
	return fmt.Sprintf("%s (retry after %s)", e.APIError.Error(), e.RetryAfter)
}

// Unwrap returns the *APIError, so errors.As finds it and errors.Is matches
// ErrRateLimited.
func (e *RateLimitError) Unwrap() error { return e.APIError }

// TokenError is a failed call to the OAuth token endpoint, during the code
// exchange or a refresh. Code and Description are the OAuth error and
// error_description fields; Code is empty when the body was not OAuth JSON.
type TokenError struct {
	StatusCode  int
	Code        string
	Description string
}

// Error describes the failure without any credential.
func (e *TokenError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "up: token endpoint: %s", statusText(e.StatusCode))
	for _, s := range []string{e.Code, e.Description} {
		if s != "" {
			b.WriteString(": ")
			b.WriteString(s)
		}
	}
	return b.String()
}

// Is lets errors.Is(err, ErrLoginRequired) recognize a refresh token the
// server no longer accepts (OAuth error invalid_grant).
func (e *TokenError) Is(target error) bool {
	return target == ErrLoginRequired && e.Code == "invalid_grant"
}

// AuthorizationError is an error the authorization server reported on the
// redirect URL (error, error_description and error_uri parameters).
type AuthorizationError struct {
	Code        string
	Description string
	URI         string
}

// Error describes the failure as the server reported it.
func (e *AuthorizationError) Error() string {
	s := "up: authorization failed: " + e.Code
	if e.Description != "" {
		s += ": " + e.Description
	}
	if e.URI != "" {
		s += " (" + e.URI + ")"
	}
	return s
}

// Is lets errors.Is(err, ErrAccessDenied) recognize a user who declined.
func (e *AuthorizationError) Is(target error) bool {
	return target == ErrAccessDenied && e.Code == "access_denied"
}

// ResponseTooLargeError reports a 2xx answer whose body is longer than the
// Client reads into memory: Config.MaxResponseBytes (DefaultMaxResponseBytes
// unless set) for JSON, 16 MiB for a PNG graph. Reading stops one byte past
// the limit, so a server that never ends its body costs no more memory than
// one that sends the limit. It matches ErrResponseTooLarge.
type ResponseTooLargeError struct {
	Method string
	URL    string // without credentials
	Limit  int64  // the limit in bytes
}

// Error names the request and the limit.
func (e *ResponseTooLargeError) Error() string {
	return fmt.Sprintf("up: %s %s: response body longer than %d bytes", e.Method, e.URL, e.Limit)
}

// Is lets errors.Is(err, ErrResponseTooLarge) match.
func (e *ResponseTooLargeError) Is(target error) bool { return target == ErrResponseTooLarge }

// StorageError is a failed TokenStorage or Store operation. When Exchange,
// ExchangeFor or Refresh return a token together with a *StorageError, the
// token is valid and in use; only saving it failed.
type StorageError struct {
	Op  string // "load", "save", "delete", "lock" or "update"
	Err error
}

// Error names the operation and its cause.
func (e *StorageError) Error() string { return "up: token storage: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the storage's own error.
func (e *StorageError) Unwrap() error { return e.Err }

// storageErr wraps err as a *StorageError for op, unless it already is one
// or is nil.
func storageErr(op string, err error) error {
	var se *StorageError
	if err == nil || errors.As(err, &se) {
		return err
	}
	return &StorageError{Op: op, Err: err}
}

// statusText renders a status code with its reason phrase, as in "404 Not Found".
func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprint(code)
}
