package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/upapi/up-go/up"
)

// Exit statuses; doc.go and 'up help' describe them.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitLogin       = 3
	exitAPI         = 4
	exitInterrupted = 5
)

// cliError is an error with its own message and exit status.
type cliError struct {
	code int
	msg  string
	err  error // the cause, for errors.Is; may be nil
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.err }

// usageErrorf reports a mistake in the command line or the configuration.
func usageErrorf(format string, args ...any) error {
	return &cliError{code: exitUsage, msg: fmt.Sprintf(format, args...)}
}

// failf reports a failure with its own message and status, wrapping cause.
func failf(code int, cause error, format string, args ...any) error {
	return &cliError{code: code, msg: fmt.Sprintf(format, args...), err: cause}
}

// Messages for the usual mistakes.
const (
	msgNotLoggedIn  = "not logged in: run 'up login'"
	msgSessionEnded = "your UP session has ended: run 'up login' again"
	msgInterrupted  = "interrupted"
	// msgEnvTokenRefused is a 401 for the token of UP_ACCESS_TOKEN, which
	// cannot be refreshed.
	msgEnvTokenRefused = "UP refused the access token in " + envAccessToken + " (401 Unauthorized): it has expired or was revoked; set a new one, or unset it to use the token file"
)

// describe is the package's describe, knowing what this run used: a
// token UP refuses is the one in UP_ACCESS_TOKEN when that is set.
func (a *app) describe(ctx context.Context, err error) (string, int) {
	var ce *cliError
	if a.envToken && !errors.As(err, &ce) && errors.Is(err, up.ErrUnauthorized) {
		return msgEnvTokenRefused, exitLogin
	}
	return describe(ctx, err)
}

// describe turns err into one line for the user and an exit status. It
// recognizes the SDK's errors; none of them carries a token or secret.
func describe(ctx context.Context, err error) (string, int) {
	msg, code := describeErr(ctx, err)
	return oneLine(msg), code
}

func describeErr(ctx context.Context, err error) (string, int) {
	var (
		ce  *cliError
		te  *up.TokenError
		ae  *up.APIError
		ue  *url.Error
		ne  net.Error
		qe  *up.QueryError
		se  *up.StorageError
		nle *up.NextLinkError
		de  *up.DecodeError
	)
	switch {
	case errors.As(err, &ce):
		return ce.msg, ce.code
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		return msgInterrupted, exitInterrupted
	case errors.Is(err, up.ErrNoToken):
		return msgNotLoggedIn, exitLogin
	case errors.Is(err, up.ErrLoginRequired):
		return msgSessionEnded, exitLogin
	case errors.As(err, &te):
		return tokenErrorMessage(te), exitAPI
	case errors.Is(err, up.ErrInsecureTransport):
		return "refusing to send credentials over plain http: use an https URL (plain http is only for 127.0.0.1 and localhost)", exitUsage
	case errors.As(err, &ae):
		return apiErrorMessage(err, ae)
	case errors.As(err, &qe):
		return trimUp(qe.Error()), exitUsage
	case errors.As(err, &se):
		return trimUp(se.Error()), exitFailure
	case errors.As(err, &nle), errors.As(err, &de):
		return trimUp(err.Error()), exitAPI
	case errors.As(err, &ue), errors.As(err, &ne):
		msg := "cannot reach UP: " + trimUp(err.Error())
		if ue != nil && isJawbone(ue.URL) {
			msg += "; " + msgJawboneGone
		}
		return msg, exitAPI
	}
	return trimUp(err.Error()), exitFailure
}

// msgJawboneGone explains why UP's own address fails: the service is gone,
// and the defaults of the URL settings still name it.
const msgJawboneGone = "Jawbone has shut UP down, so its own servers no longer answer: set UP_BASE_URL, UP_AUTH_URL and " +
	"UP_TOKEN_URL to a server that speaks the UP API, such as the fake one 'go run ./cmd/upmock' serves from a clone of up-go"

// isJawbone reports whether raw is a URL on UP's own host, jawbone.com.
func isJawbone(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	host := strings.ToLower(u.Hostname())
	return host == "jawbone.com" || strings.HasSuffix(host, ".jawbone.com")
}

// tokenErrorMessage explains a refusal of the token endpoint.
func tokenErrorMessage(te *up.TokenError) string {
	switch te.Code {
	case "invalid_client":
		return "UP refused the application's credentials (invalid_client): check UP_CLIENT_ID and UP_CLIENT_SECRET"
	case "":
		return "the UP token endpoint failed: " + trimUp(te.Error())
	}
	s := "the UP token endpoint refused the request (" + te.Code
	if te.Description != "" {
		s += ": " + te.Description
	}
	return s + ")"
}

// apiErrorMessage explains an API answer that is not 2xx.
func apiErrorMessage(err error, ae *up.APIError) (string, int) {
	detail := ""
	if ae.Meta != nil {
		detail = ae.Meta.ErrorDetail
		if detail == "" {
			detail = ae.Meta.ErrorUserMsg
		}
	}
	switch ae.StatusCode {
	case http.StatusUnauthorized:
		return "UP refused the saved token (401 Unauthorized): run 'up login' again", exitLogin
	case http.StatusForbidden:
		s := "UP refused access (403 Forbidden)"
		if detail != "" {
			s += ": " + detail
		}
		return s + "; if a scope is missing, run 'up login --scopes ...' with it", exitAPI
	}
	return "UP API error: " + trimUp(err.Error()), exitAPI
}

// trimUp drops the SDK's "up: " prefix, since every message gets one.
func trimUp(s string) string { return strings.TrimPrefix(s, "up: ") }

// oneLine folds a message onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
