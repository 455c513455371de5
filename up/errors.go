package up

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
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
	// ErrNoMorePages is returned by Page.Next on the last page.
	ErrNoMorePages = errors.New("up: no more pages")
	// ErrPaginationLoop reports a links.next that repeats one already followed.
	ErrPaginationLoop = errors.New("up: pagination loop: next link repeats")
	// ErrEmptyKey reports an empty user key. A Store keeps each user's token
	// under the application's key for the user, and an empty key is almost
	// always a user ID that was never set: storing under it would hand one
	// user's token to every other user whose ID is missing. Stores and the
	// Config methods that take a key refuse it, before any request is made.
	ErrEmptyKey = errors.New("up: empty user key")
)

// APIError is a UP API response whose status is not 2xx.
//
// It never holds a token: the URL loses query parameters that carry
// secrets, and a bearer token echoed by the server is redacted.
type APIError struct {
	StatusCode int    // the HTTP status, such as 404
	Method     string // the request's method, such as GET
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
	RetryAfter time.Duration // how long UP asked to wait; zero when it did not say
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
	StatusCode  int    // the token endpoint's HTTP status
	Code        string // the OAuth error, such as invalid_grant; empty when the body was not OAuth JSON
	Description string // the OAuth error_description, when the server gave one
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
	Code        string // the OAuth error, such as access_denied
	Description string // the error_description parameter, when there was one
	URI         string // the error_uri parameter, when there was one
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
	Method string // the request's method
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
	Err error  // the storage's own error
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

// NextLinkError reports a links.next that the client refuses to follow
// because it leads away from the API's scheme, host or base path: following
// it would hand the user's token to someone else.
type NextLinkError struct {
	Next   string // the link as UP sent it
	Reason string // why it is refused
}

// Error describes the refusal.
func (e *NextLinkError) Error() string {
	return fmt.Sprintf("up: refusing to follow next link %q: %s", e.Next, e.Reason)
}

// QueryError reports a query the client refuses to send, before any request.
type QueryError struct {
	Reason string // what is wrong, naming the field of the query
}

// Error describes what is wrong with the query.
func (e *QueryError) Error() string { return "up: invalid query: " + e.Reason }

// InputError reports a write the client refuses to send, before any
// request, because UP would reject it or it would change nothing.
type InputError struct {
	Field  string // the form field at fault, if one is
	Reason string // what is wrong with it
}

// Error describes what is wrong.
func (e *InputError) Error() string {
	if e.Field == "" {
		return "up: invalid input: " + e.Reason
	}
	return "up: invalid input: " + e.Field + ": " + e.Reason
}

// TokenTypeError reports a token of a type this package cannot send. UP
// issues bearer tokens, sent as "Authorization: Bearer"; RFC 6749 §7.1
// requires a client to refuse a token type it does not understand rather
// than send it as another kind (a MAC or DPoP token sent as a bearer token
// fails at best, and at worst shows its key to whoever reads the header).
type TokenTypeError struct {
	Type string // the token_type the token endpoint gave, or the token carried
}

// Error names the refused type.
func (e *TokenTypeError) Error() string {
	return fmt.Sprintf("up: token type %q is not supported: UP issues bearer tokens", e.Type)
}

// DecodeError reports a 2xx response whose body is not the JSON the spec
// promises: malformed, truncated, or of the wrong shape.
type DecodeError struct {
	Method string // the request's method
	URL    string // without credentials
	Err    error  // the decoder's error
}

// Error describes the failure.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("up: %s %s: decoding response: %v", e.Method, e.URL, e.Err)
}

// Unwrap returns the decoder's error.
func (e *DecodeError) Unwrap() error { return e.Err }
