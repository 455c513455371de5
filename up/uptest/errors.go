package uptest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/wire"
)

// An apiError is a failed API call, answered with an error envelope.
type apiError struct {
	status  int
	errType string
	detail  string
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, errType: "invalid_request", detail: fmt.Sprintf(format, args...)}
}

func unauthorized(detail string) *apiError {
	return &apiError{status: http.StatusUnauthorized, errType: "invalid_token", detail: detail}
}

func notFound(what, xid string) *apiError {
	return &apiError{status: http.StatusNotFound, errType: "not_found", detail: fmt.Sprintf("no %s with XID %q", what, xid)}
}

func forbidden(detail string) *apiError {
	return &apiError{status: http.StatusForbidden, errType: "forbidden", detail: detail}
}

// message is meta.message for a status: NOT_AUTHORIZED for 401, as recorded
// from the real servers, and the status text in upper snake case otherwise.
func message(status int) string {
	if status == http.StatusUnauthorized {
		return "NOT_AUTHORIZED"
	}
	text := http.StatusText(status)
	if text == "" {
		text = "Error"
	}
	return strings.ToUpper(strings.NewReplacer(" ", "_", "-", "_", "'", "").Replace(text))
}

// failure has the shape of every operation's default (error) answer in
// package gen, so it converts to any of them.
type failure struct {
	Body       gen.ErrorEnvelope
	StatusCode int
}

func (s *Server) errorEnvelope(g *grant, e *apiError) gen.ErrorEnvelope {
	user := ""
	if g != nil {
		user = g.user.XID()
	}
	meta := gen.Meta{
		UserXID: user, Message: message(e.status), Code: e.status, Time: wire.EpochOf(s.now()),
		ErrorType: e.errType, ErrorDetail: e.detail,
	}
	if e.status == http.StatusUnauthorized {
		meta.ErrorUserMsg = "You must be logged in to perform that action"
	}
	return gen.ErrorEnvelope{Meta: meta}
}

// writeError answers with the error envelope of e.
func (s *Server) writeError(w http.ResponseWriter, g *grant, e *apiError) {
	if e.status == http.StatusUnauthorized {
		challenge := `Bearer realm="UP", error="invalid_token"`
		if e.errType == "missing_token" {
			challenge = `Bearer realm="UP"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
	}
	b, _ := json.Marshal(s.errorEnvelope(g, e))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_, _ = w.Write(append(b, '\n'))
}
