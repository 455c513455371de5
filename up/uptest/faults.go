package uptest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A FaultKind is a way for the server to misbehave.
type FaultKind int

// The kinds of fault.
const (
	// FaultStatus answers with Fault.Status (500 when unset) and an error
	// envelope (the token endpoint: an OAuth error), with Retry-After when
	// Fault.RetryAfter is set.
	FaultStatus FaultKind = iota + 1
	// FaultLatency waits Fault.Latency before answering normally. It adds to
	// any other fault that applies to the same request.
	FaultLatency
	// FaultTruncatedBody sends the status, the headers with the full
	// Content-Length, and half of the body, then closes the connection.
	FaultTruncatedBody
	// FaultMalformedJSON answers normally but with only the first half of
	// the body, so that it does not parse.
	FaultMalformedJSON
	// FaultDropConnection closes the connection without answering.
	FaultDropConnection
	// FaultHTMLError answers with an HTML error page, as a proxy in front of
	// the API would, with Fault.Status (502 when unset).
	FaultHTMLError
	// FaultUnauthorized answers 401 NOT_AUTHORIZED whatever the token (the
	// token endpoint: 401 invalid_client).
	FaultUnauthorized
)

var faultKindNames = map[FaultKind]string{
	FaultStatus:         "status",
	FaultLatency:        "latency",
	FaultTruncatedBody:  "truncated-body",
	FaultMalformedJSON:  "malformed-json",
	FaultDropConnection: "drop-connection",
	FaultHTMLError:      "html-error",
	FaultUnauthorized:   "unauthorized",
}

// faultKindAliases are the other names ParseFault accepts.
var faultKindAliases = map[string]FaultKind{
	"truncate": FaultTruncatedBody, "truncated": FaultTruncatedBody,
	"malformed": FaultMalformedJSON, "drop": FaultDropConnection,
	"html": FaultHTMLError, "401": FaultUnauthorized,
}

// String returns the name ParseFault reads for k.
func (k FaultKind) String() string {
	if n, ok := faultKindNames[k]; ok {
		return n
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// A Fault makes the server misbehave on matching requests, to test how a
// client copes. Faults apply to API requests and, when Path names it, to
// the token endpoint.
type Fault struct {
	// Method is the HTTP method to match; "" matches any.
	Method string
	// Path is the request path after the API base, e.g.
	// "/users/@me/workouts", matched after /users/<user XID>/ is read as
	// /users/@me/. A trailing "*" matches any path it prefixes; "" matches
	// every API path. "/auth/oauth2/token", or a pattern starting with
	// "/auth" that matches it, names the token endpoint, which no other
	// pattern reaches.
	Path string
	// Kind is what goes wrong: FaultStatus, FaultLatency and the others.
	Kind FaultKind
	// Status is the status of FaultStatus and FaultHTMLError faults.
	Status int
	// RetryAfter, when positive, is sent as the Retry-After header (whole
	// seconds) of FaultStatus and FaultHTMLError answers, as a 429 or 503
	// would carry it.
	RetryAfter time.Duration
	// Latency is how long a FaultLatency fault waits.
	Latency time.Duration
	// Count is how many matching requests the fault applies to before it
	// disappears; 0 means every one.
	Count int
	// Probability, when above 0, is the chance the fault applies to a
	// matching request, drawn from a generator seeded by WithSeed.
	Probability float64
}

// String writes f in the form ParseFault reads.
func (f Fault) String() string {
	parts := []string{"kind=" + f.Kind.String()}
	if f.Method != "" {
		parts = append(parts, "method="+f.Method)
	}
	if f.Path != "" {
		parts = append(parts, "path="+f.Path)
	}
	if f.Status != 0 {
		parts = append(parts, "status="+strconv.Itoa(f.Status))
	}
	if f.RetryAfter != 0 {
		parts = append(parts, "retry-after="+f.RetryAfter.String())
	}
	if f.Latency != 0 {
		parts = append(parts, "latency="+f.Latency.String())
	}
	if f.Count != 0 {
		parts = append(parts, "count="+strconv.Itoa(f.Count))
	}
	if f.Probability != 0 {
		parts = append(parts, "probability="+strconv.FormatFloat(f.Probability, 'g', -1, 64))
	}
	return strings.Join(parts, ",")
}

// ParseFault reads a fault written as comma-separated key=value pairs, the
// form cmd/upmock's -fault flag takes:
//
//	path=/users/@me/workouts,status=503,count=2,retry-after=1s
//	kind=latency,latency=2s,probability=0.5
//	method=POST,path=/auth/oauth2/token,kind=drop
//
// Keys: kind (status, latency, truncated-body, malformed-json,
// drop-connection, html-error, unauthorized), method, path, status,
// retry-after and latency (Go durations), count, probability. Without a
// kind, a fault with a status is a status fault and one with only a latency
// is a latency fault.
func ParseFault(spec string) (Fault, error) {
	var f Fault
	kindSet := false
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, value, ok := strings.Cut(part, "=")
		if !ok {
			return Fault{}, fmt.Errorf("uptest: fault %q: %q is not key=value", spec, part)
		}
		key, value = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value)
		var err error
		switch key {
		case "kind":
			k, ok := faultKindAliases[strings.ToLower(value)]
			if !ok {
				for kk, name := range faultKindNames {
					if strings.EqualFold(name, value) {
						k, ok = kk, true
					}
				}
			}
			if !ok {
				return Fault{}, fmt.Errorf("uptest: fault %q: unknown kind %q", spec, value)
			}
			f.Kind, kindSet = k, true
		case "method":
			f.Method = strings.ToUpper(value)
		case "path":
			f.Path = value
		case "status":
			f.Status, err = strconv.Atoi(value)
		case "retry-after", "retry_after":
			f.RetryAfter, err = time.ParseDuration(value)
		case "latency", "delay":
			f.Latency, err = time.ParseDuration(value)
		case "count":
			f.Count, err = strconv.Atoi(value)
		case "probability", "prob", "p":
			f.Probability, err = strconv.ParseFloat(value, 64)
		default:
			return Fault{}, fmt.Errorf("uptest: fault %q: unknown key %q", spec, key)
		}
		if err != nil {
			return Fault{}, fmt.Errorf("uptest: fault %q: %s: %w", spec, key, err)
		}
	}
	if !kindSet {
		switch {
		case f.Status != 0:
			f.Kind = FaultStatus
		case f.Latency != 0:
			f.Kind = FaultLatency
		default:
			return Fault{}, fmt.Errorf("uptest: fault %q names no kind (and no status or latency to infer one from)", spec)
		}
	}
	if err := f.check(); err != nil {
		return Fault{}, fmt.Errorf("uptest: fault %q: %w", spec, err)
	}
	return f, nil
}

func (f Fault) check() error {
	switch {
	case faultKindNames[f.Kind] == "":
		return fmt.Errorf("unknown kind %d", int(f.Kind))
	case f.Status != 0 && (f.Status < 100 || f.Status > 599):
		return fmt.Errorf("status %d is not an HTTP status", f.Status)
	case f.Kind == FaultLatency && f.Latency <= 0:
		return errors.New("a latency fault needs a positive latency")
	case f.Count < 0:
		return errors.New("count is negative")
	case f.Probability < 0 || f.Probability > 1 || f.Probability != f.Probability:
		return errors.New("probability is not between 0 and 1")
	case f.Latency < 0 || f.RetryAfter < 0:
		return errors.New("durations must not be negative")
	}
	return nil
}

type activeFault struct {
	Fault
	left int // applications left when Count > 0
}

type faultSet struct {
	mu   sync.Mutex
	list []*activeFault
	rng  *rand.Rand
}

// Inject makes the server misbehave as f says until remove is called (or
// f.Count requests have met it). Faults apply in the order injected: every
// matching latency fault adds its delay, then the first other matching fault
// decides the answer. Inject panics on a fault ParseFault would reject.
func (s *Server) Inject(f Fault) (remove func()) {
	if err := f.check(); err != nil {
		panic("uptest: Inject: " + err.Error())
	}
	a := &activeFault{Fault: f, left: f.Count}
	s.faults.mu.Lock()
	s.faults.list = append(s.faults.list, a)
	s.faults.mu.Unlock()
	return func() { s.faults.drop(a) }
}

func (fs *faultSet) drop(a *activeFault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, x := range fs.list {
		if x == a {
			fs.list = append(fs.list[:i], fs.list[i+1:]...)
			return
		}
	}
}

func faultPathMatches(pattern, path string) bool {
	if p, ok := strings.CutPrefix(pattern, basePath); ok && strings.HasPrefix(p, "/") {
		pattern = p
	}
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(path, prefix)
	}
	return pattern == "" || pattern == path
}

// pick returns the faults that apply to a request: the total latency and the
// fault that decides the answer, if any. token is true for the token
// endpoint, whose path faults must name.
func (fs *faultSet) pick(method, path string, token bool) (delay time.Duration, decisive *Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	keep := fs.list[:0:0]
	for _, a := range fs.list {
		matches := (a.Method == "" || strings.EqualFold(a.Method, method)) && faultPathMatches(a.Path, path)
		if token && !strings.HasPrefix(a.Path, "/auth") {
			matches = false // only a path that names the token endpoint reaches it
		}
		if matches && (a.Kind == FaultLatency || decisive == nil) &&
			(a.Probability == 0 || a.Probability >= 1 || fs.rng.Float64() < a.Probability) {
			if a.Kind == FaultLatency {
				delay += a.Latency
			} else {
				f := a.Fault
				decisive = &f
			}
			if a.Count > 0 {
				a.left--
				if a.left == 0 {
					continue
				}
			}
		}
		keep = append(keep, a)
	}
	fs.list = keep
	return delay, decisive
}

// htmlErrorPage is what a proxy in front of the API sends on its own errors.
func htmlErrorPage(status int) string {
	text := fmt.Sprintf("%d %s", status, http.StatusText(status))
	return "<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" + text +
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
