package uptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata" // the user's zone must load on machines without a zone database

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/upapi/up-go/gen"
)

// userZone is the user's time zone: every date is computed in it.
const userZone = "America/Los_Angeles"

// A Server is a fake UP API, with Jawbone's OAuth 2.0 endpoints, serving one
// user with a deterministic history, on a loopback address.
type Server struct {
	// URL is the API base, e.g. http://127.0.0.1:PORT/nudge/api/v.1.1.
	URL string
	// AuthURL is the authorization endpoint, http://127.0.0.1:PORT/auth/oauth2/auth.
	AuthURL string
	// TokenURL is the token endpoint, http://127.0.0.1:PORT/auth/oauth2/token.
	TokenURL string
	// ClientID and ClientSecret identify the one registered application.
	ClientID     string
	ClientSecret string

	cfg      config
	contract *contract
	loc      *time.Location // every user's zone
	users    directory
	oauth    *oauthState
	faults   *faultSet
	hooks    *notifier
	reqs     *requestLog
	strict   http.Handler
	httpSrv  *httptest.Server

	closeOnce sync.Once
	done      chan struct{}

	// corrupt, when set by this package's tests, rewrites the body of each
	// API response before it is checked against the spec.
	corrupt atomic.Pointer[func(operationID string, body []byte) []byte]
}

// NewServer starts a Server on 127.0.0.1 and a random port, closed when t
// and its subtests finish. A response that would break the spec fails t
// (with t.Errorf, naming the reason) and reaches the client as a 500.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := NewUnstarted(append(opts, func(c *config) { c.tb = t })...)
	l, err := listenLoopback()
	if err != nil {
		t.Fatalf("uptest: listen on a loopback port: %v", err)
	}
	s.Start(l)
	t.Cleanup(s.Close)
	return s
}

// New starts a Server on 127.0.0.1 and a random port. The caller must Close
// it. A response that would break the spec is logged (see WithLogger) and
// reaches the client as a 500. New panics if it cannot listen.
func New(opts ...Option) *Server {
	s := NewUnstarted(opts...)
	l, err := listenLoopback()
	if err != nil {
		panic(fmt.Sprintf("uptest: listen on a loopback port: %v", err))
	}
	s.Start(l)
	return s
}

func listenLoopback() (net.Listener, error) {
	return (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
}

// NewUnstarted returns a Server that does not listen yet: call Start with a
// listener of your choice, then Close. Its URLs are empty until Start.
func NewUnstarted(opts ...Option) *Server {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	c, err := loadContract()
	if err != nil {
		panic(err)
	}
	loc, err := time.LoadLocation(userZone)
	if err != nil {
		panic(fmt.Sprintf("uptest: load %s: %v", userZone, err))
	}
	if cfg.clientID == "" {
		r := rngFor(cfg.seed, "client")
		cfg.clientID = randomXID(r)[:11]
		if cfg.clientSecret == "" {
			cfg.clientSecret = randomHex(r, 20)
		}
	}
	s := &Server{
		ClientID:     cfg.clientID,
		ClientSecret: cfg.clientSecret,
		cfg:          cfg,
		contract:     c,
		loc:          loc,
		users:        directory{byXID: map[string]*User{}, byEmail: map[string]*User{}},
		oauth:        newOAuthState(),
		faults:       &faultSet{rng: rngFor(cfg.seed, "faults")},
		reqs:         &requestLog{},
		done:         make(chan struct{}),
	}
	s.hooks = newNotifier(s)
	for range max(cfg.users, 1) {
		s.addUser(userConfig{})
	}
	s.strict = gen.HandlerWithOptions(
		gen.NewStrictHandlerWithOptions(&api{s: s}, nil, gen.StrictHTTPServerOptions{
			RequestErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
				s.writeError(w, grantOf(r.Context()), badRequest("%v", err))
			},
			ResponseErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
				s.writeError(w, grantOf(r.Context()), &apiError{status: http.StatusInternalServerError, errType: "server_error", detail: err.Error()})
			},
		}),
		gen.StdHTTPServerOptions{
			BaseURL:    basePath,
			BaseRouter: http.NewServeMux(),
			ErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
				s.writeError(w, grantOf(r.Context()), badRequest("%v", err))
			},
		})
	s.httpSrv = &httptest.Server{Config: &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}}
	return s
}

// Start serves on l; the server's URLs name l's address (127.0.0.1 in place
// of an unspecified address). Start must be called once.
func (s *Server) Start(l net.Listener) {
	s.httpSrv.Listener = l
	s.httpSrv.Start()
	host := l.Addr().String()
	if tcp, ok := l.Addr().(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		host = net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
	}
	origin := "http://" + host
	s.URL, s.AuthURL, s.TokenURL = origin+basePath, origin+authPath, origin+tokenPath
}

// Close stops the server: it waits for the requests in progress, cuts short
// any injected latency, and stops webhook delivery, dropping notifications
// not yet delivered.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		if s.httpSrv.Listener != nil {
			s.httpSrv.Close()
		}
		s.hooks.close()
	})
}

// BaseURL returns the API base, URL: with Config, it is what up.ConfigFor
// reads to make an up.Config for the server.
func (s *Server) BaseURL() string { return s.URL }

// UserXID is the XID of the server's default user.
func (s *Server) UserXID() string { return s.DefaultUser().XID() }

func (s *Server) now() time.Time { return s.cfg.clock() }

// specBroken reports that something the server was about to send breaks the spec.
func (s *Server) specBroken(what string, err error) {
	if s.cfg.tb != nil {
		s.cfg.tb.Errorf("uptest: %s breaks the spec: %v", what, err)
		return
	}
	s.cfg.logger.Error("uptest: the fake UP server's answer breaks the spec", "what", what, "err", err)
}

// ServeHTTP serves the API and the OAuth endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		http.Error(w, "cannot read the request body", http.StatusBadRequest)
		return
	}
	form := formOf(r.Header.Get("Content-Type"), body)
	trimTrailingSlash(r)
	switch p := r.URL.Path; {
	case p == authPath:
		s.record(r, form)
		s.serveAuthorize(w, r, form)
	case p == tokenPath:
		params, perr := tokenParams(r, body)
		if r.Method == http.MethodGet {
			form = params
		}
		s.record(r, form)
		s.countTokenRequest(params)
		w.Header().Set("Cache-Control", "no-store")
		delay, f := s.faults.pick(r.Method, p, true)
		if !s.wait(w, r, delay) || s.preFault(w, f, true) {
			return
		}
		c := newCapture()
		s.serveToken(c, r, params, perr)
		s.finish(w, c, f)
	case p == basePath || strings.HasPrefix(p, basePath+"/"):
		s.record(r, form)
		s.serveAPI(w, r, form)
	default:
		http.NotFound(w, r)
	}
}

// trimTrailingSlash reads /users/@me/moves/ as /users/@me/moves, as
// Jawbone's servers did: clients of the time (the npm jawbone-up package
// among them) asked for /users/@me/ with the slash. The root path is kept.
func trimTrailingSlash(r *http.Request) {
	if p := strings.TrimRight(r.URL.Path, "/"); p != r.URL.Path && p != "" {
		r.URL.Path, r.URL.RawPath = p, ""
	}
}

// wait sleeps d for a latency fault. If the request ends or the server
// closes first, it drops the connection and reports false.
func (s *Server) wait(w http.ResponseWriter, r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.done:
	}
	dropConnection(w)
	return false
}

// preFault answers for a fault that replaces the answer, and reports whether it did.
func (s *Server) preFault(w http.ResponseWriter, f *Fault, token bool) bool {
	if f == nil {
		return false
	}
	retry := func() {
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.FormatInt(int64((f.RetryAfter+time.Second-1)/time.Second), 10))
		}
	}
	switch f.Kind {
	case FaultStatus:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		retry()
		if token {
			code := "server_error"
			switch {
			case status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests:
				code = "temporarily_unavailable"
			case status < 500:
				code = "invalid_request"
			}
			writeJSON(w, status, gen.OAuthError{Error: code, ErrorDescription: "injected fault"})
			return true
		}
		s.writeError(w, nil, &apiError{status: status, errType: "injected_fault", detail: "the server is answering with an injected fault"})
		return true
	case FaultHTMLError:
		status := f.Status
		if status == 0 {
			status = http.StatusBadGateway
		}
		retry()
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, htmlErrorPage(status))
		return true
	case FaultUnauthorized:
		if token {
			writeJSON(w, http.StatusUnauthorized, gen.OAuthError{Error: "invalid_client", ErrorDescription: "injected fault"})
			return true
		}
		s.writeError(w, nil, unauthorized("the access token is not valid (injected fault)"))
		return true
	case FaultDropConnection:
		dropConnection(w)
		return true
	}
	return false
}

// finish sends a captured answer, spoiled as f says when f spoils answers.
func (s *Server) finish(w http.ResponseWriter, c *capture, f *Fault) {
	body := c.body.Bytes()
	for k, v := range c.header {
		w.Header()[k] = v
	}
	if f != nil && f.Kind == FaultMalformedJSON {
		body = body[:len(body)/2]
		w.Header().Del("Content-Length")
	}
	if f != nil && f.Kind == FaultTruncatedBody {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(c.status)
		_, _ = w.Write(body[:len(body)/2])
		rc := http.NewResponseController(w)
		_ = rc.Flush()
		dropConnection(w)
		return
	}
	w.WriteHeader(c.status)
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// capture holds an answer until it is checked.
type capture struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newCapture() *capture { return &capture{header: make(http.Header)} }

func (c *capture) Header() http.Header { return c.header }

func (c *capture) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.body.Write(b)
}

// grantKey keys the grant of the call's access token in its context.
type grantKey struct{}

// grantOf returns the grant of the access token that made the call.
func grantOf(ctx context.Context) *grant {
	g, _ := ctx.Value(grantKey{}).(*grant)
	return g
}

// canonical reads /users/<the caller's XID>/... as /users/@me/..., as the
// paths of links.next name the user by XID.
func (s *Server) canonical(r *http.Request, sub string) (string, *apiError) {
	rest, ok := strings.CutPrefix(sub, "/users/")
	if !ok {
		return sub, nil
	}
	who, tail, slash := strings.Cut(rest, "/")
	if who == "@me" {
		return sub, nil
	}
	if e := s.pathUser(r, who); e != nil {
		return sub, e
	}
	if slash {
		return "/users/@me/" + tail, nil
	}
	return "/users/@me", nil
}

// serveAPI answers one API call: it resolves the user, applies faults,
// routes, authenticates, checks scopes, validates the request, calls the
// implementation, and validates its answer.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, form url.Values) {
	w.Header().Set("Access-Control-Allow-Origin", "*") // as Jawbone's servers sent it
	sub := strings.TrimPrefix(r.URL.Path, basePath)
	canon, aliasErr := s.canonical(r, sub)
	delay, f := s.faults.pick(r.Method, canon, false)
	if !s.wait(w, r, delay) || s.preFault(w, f, false) {
		return
	}
	if aliasErr != nil {
		g, e := s.authenticate(r)
		if e == nil {
			e = aliasErr
		}
		s.writeError(w, g, e)
		return
	}
	if canon != sub {
		r.URL.Path, r.URL.RawPath = basePath+canon, ""
	}
	route, params, status := s.contract.findRoute(r)
	if status != 0 {
		e := &apiError{status: status, errType: "not_found", detail: fmt.Sprintf("no API operation %s %s", r.Method, sub)}
		if status == http.StatusMethodNotAllowed {
			e.errType, e.detail = "method_not_allowed", fmt.Sprintf("%s is not allowed on %s", r.Method, sub)
		}
		s.writeError(w, nil, e)
		return
	}
	op := route.Operation.OperationID
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: validationOptions()}
	c := newCapture()
	ctx := r.Context()
	if alts, ok := s.contract.scopes[op]; ok && len(alts) > 0 {
		g, e := s.authenticate(r)
		if e == nil {
			e = scopeError(alts, g)
		}
		if g != nil {
			ctx = context.WithValue(ctx, grantKey{}, g)
		}
		if e != nil {
			s.writeError(c, g, e)
			s.check(w, in, op, c, f)
			return
		}
	}
	if reason := s.contract.validateRequest(ctx, in, form); reason != "" {
		s.writeError(c, grantOf(ctx), badRequest("%s", reason))
		s.check(w, in, op, c, f)
		return
	}
	s.strict.ServeHTTP(c, r.WithContext(ctx))
	s.check(w, in, op, c, f)
}

// check validates a captured answer against the spec and sends it; an answer
// that breaks the spec is reported and replaced by a 500.
func (s *Server) check(w http.ResponseWriter, in *openapi3filter.RequestValidationInput, op string, c *capture, f *Fault) {
	if corrupt := s.corrupt.Load(); corrupt != nil {
		b := (*corrupt)(op, c.body.Bytes())
		c.body.Reset()
		c.body.Write(b)
	}
	err := openapi3filter.ValidateResponse(in.Request.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 c.status,
		Header:                 c.header,
		Body:                   io.NopCloser(bytes.NewReader(c.body.Bytes())),
		Options:                validationOptions(),
	})
	if err != nil {
		s.specBroken(fmt.Sprintf("the answer to %s (%s %s)", op, in.Request.Method, in.Request.URL.Path), err)
		c = newCapture()
		s.writeError(c, grantOf(in.Request.Context()), &apiError{status: http.StatusInternalServerError, errType: "server_error",
			detail: "the fake UP server's answer broke the spec: " + shortReason(err)})
	}
	s.finish(w, c, f)
}

// authenticate finds the grant of the request's bearer token.
func (s *Server) authenticate(r *http.Request) (*grant, *apiError) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return nil, &apiError{status: http.StatusUnauthorized, errType: "missing_token",
			detail: "no access token: send Authorization: Bearer <access token>"}
	}
	g, why := s.lookupAccess(strings.TrimSpace(token))
	if g == nil {
		return nil, unauthorized(why)
	}
	return g, nil
}

// scopeError says what scopes a call needs when g has none of the
// alternatives.
func scopeError(alts [][]string, g *grant) *apiError {
	if g == nil {
		return nil
	}
	var names []string
	for _, set := range alts {
		ok := true
		for _, sc := range set {
			ok = ok && g.scopeSet[sc]
		}
		if ok {
			return nil
		}
		names = append(names, strings.Join(set, "+"))
	}
	need := "the " + names[0] + " scope"
	if len(names) > 1 {
		need = "one of the scopes " + strings.Join(names, ", ")
	}
	return &apiError{status: http.StatusForbidden, errType: "insufficient_scope",
		detail: fmt.Sprintf("this call needs %s; the access token grants %s", need, strings.Join(g.scopes, " "))}
}
