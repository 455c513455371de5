package up_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/upapi/up-go/gen/spec"
	"github.com/upapi/up-go/internal/realpart"
	"github.com/upapi/up-go/up"
)

// TestPrism runs Stoplight Prism, an OpenAPI mock server nobody here wrote,
// on api/up.yaml, in examples mode and in dynamic mode, and calls every
// method of *up.Client that talks to the API against it: the spec must mean
// to Prism what it means to the SDK, so no request is refused and no answer
// fails to decode.
//
// Prism comes from tools/node (make node-tools); without it the test skips,
// as internal/realpart decides: UP_REQUIRE_PRISM=1, as CI sets, makes the
// absence a failure.
func TestPrism(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prism")
	}
	prism := prismCommand(t)
	for _, mode := range []struct {
		name    string
		dynamic bool
	}{{"examples", false}, {"dynamic", true}} {
		t.Run(mode.name, func(t *testing.T) {
			base := startPrism(t, prism, mode.dynamic)
			callEveryMethod(t, base, !mode.dynamic)
		})
	}
}

// prismCommand finds the Prism CLI, or skips (or fails, when
// UP_REQUIRE_PRISM=1) when it is not installed.
func prismCommand(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("UP_PRISM"), filepath.Join("..", "tools", "node", "node_modules", ".bin", "prism")}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if _, err := os.Stat(c); err == nil {
			if _, err := exec.LookPath("node"); err == nil {
				abs, _ := filepath.Abs(c)
				return abs
			}
		}
	}
	realpart.Absent(t, realpart.Prism, "run `make node-tools` (needs Node.js and npm), or set UP_PRISM to the prism CLI")
	return ""
}

// prismListening is the line Prism logs once it serves.
var prismListening = regexp.MustCompile(`Prism is listening on (http://127\.0\.0\.1:[0-9]+)`)

// startPrism starts Prism on a free loopback port and returns the API base
// URL of a proxy in front of it that strips the API's base path (Prism serves
// the spec's paths at its root) and records every request Prism found fault
// with.
func startPrism(t *testing.T, prism string, dynamic bool) string {
	t.Helper()
	args := []string{"mock", "--host", "127.0.0.1", "--port", "0", "--errors"}
	if dynamic {
		args = append(args, "--dynamic", "--seed", "up-go")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, prism, append(args, filepath.Join("..", "api", "up.yaml"))...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Prism: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	found := make(chan string, 1)
	var logMu sync.Mutex
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			logMu.Lock()
			log.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if m := prismListening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	var origin string
	select {
	case origin = <-found:
	case <-time.After(90 * time.Second):
		logMu.Lock()
		defer logMu.Unlock()
		t.Fatalf("Prism did not start within 90 s:\n%s", log.String())
	}
	target, _ := url.Parse(origin)
	const basePath = "/nudge/api/v.1.1"
	check := specChecker(t, basePath) //nolint:bodyclose // the check closes the body it reads and puts a reader in its place, which the proxy closes
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.URL.Path = strings.TrimPrefix(r.In.URL.Path, basePath)
			r.Out.URL.RawPath = ""
		},
		ModifyResponse: func(resp *http.Response) error {
			if v := resp.Header.Get("Sl-Violations"); v != "" {
				t.Errorf("Prism found fault with %s %s: %s", resp.Request.Method, resp.Request.URL.Path, v)
			}
			return check(resp)
		},
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	return srv.URL + basePath
}

// specChecker returns a check that an answer of Prism's is what the spec
// says, as kin-openapi reads the spec: a spec that meant one thing to Prism
// and another to kin-openapi (merge keys did) fails here even where the SDK
// would decode the answer, e.g. null for a time.
func specChecker(t *testing.T, basePath string) func(*http.Response) error {
	doc, err := spec.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = openapi3.Servers{{URL: basePath}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
	return func(resp *http.Response) error {
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		req := resp.Request.Clone(resp.Request.Context())
		req.URL.Path = basePath + resp.Request.URL.Path
		req.URL.Scheme, req.URL.Host = "", "" // the spec's server is the base path alone
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Errorf("%s %s: no operation of the spec: %v", req.Method, req.URL.Path, err)
			return nil
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
		if err := openapi3filter.ValidateResponse(req.Context(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
			Body: io.NopCloser(bytes.NewReader(body)), Options: opts,
		}); err != nil {
			msg, _, _ := strings.Cut(err.Error(), "\n")
			t.Errorf("%s %s: Prism's answer breaks the spec: %s", req.Method, req.URL.Path, msg)
		}
		return nil
	}
}

// prismArgs gives, for each argument type of the Client's methods, a value
// the SDK sends without complaint. A method taking a type missing here
// fails the test, so a new method cannot be left out.
func prismArgs(ctx context.Context) map[reflect.Type]reflect.Value {
	now := time.Unix(1385049600, 0)
	args := []any{
		ctx,
		"EJpCkyAtwoO0XTdkYyuTNw",
		up.NewDate(2013, time.November, 21),
		up.ListQuery{},
		up.BandEventQuery{},
		up.TrendsQuery{},
		up.TimeZoneQuery{},
		up.WorkoutCreate{SubType: 2},
		up.WorkoutUpdate{Title: up.Ptr("Run")},
		up.SleepCreate{TimeCreated: up.EpochOf(now.Add(-8 * time.Hour)), TimeCompleted: up.Ptr(up.EpochOf(now))},
		up.MealCreate{Note: "Lunch", Items: []up.MealItem{{Name: "Apple"}}, Photo: &up.Photo{Name: "lunch.png", ContentType: "image/png", Data: []byte("\x89PNG\r\n\x1a\n")}}, // multipart
		up.MealUpdate{Note: up.Ptr("Dinner")},
		up.BodyEventCreate{Title: "Weigh-in", Weight: up.Ptr(80.5)},
		up.GenericEventCreate{Title: "Read", Verb: "read"},
		up.GenericEventUpdate{Note: up.Ptr("A chapter")},
		up.MoodCreate{Title: "Good", SubType: 4},
		up.CardiacEventCreate{HeartRate: 60}, //nolint:staticcheck // the deprecated cardiac calls are still served
		up.GoalsUpdate{MoveSteps: up.Ptr(12000)},
	}
	m := make(map[reflect.Type]reflect.Value, len(args))
	m[reflect.TypeFor[context.Context]()] = reflect.ValueOf(ctx)
	for _, a := range args[1:] {
		m[reflect.TypeOf(a)] = reflect.ValueOf(a)
	}
	return m
}

// callEveryMethod calls each API method of a Client on base once and fails
// for every error. With pages, it also follows the first page's next link.
func callEveryMethod(t *testing.T, base string, followNext bool) {
	ctx := t.Context()
	cfg := &up.Config{ClientID: "prism", ClientSecret: "prism-secret", BaseURL: base}
	newClient := func() *up.Client { return cfg.ClientFromAccessToken("prism-access-token") }
	c := newClient()
	args := prismArgs(ctx)
	// Prism runs the subscription's notification callback: point it at a
	// loopback sink, so that nothing leaves the machine.
	var hookMu sync.Mutex
	var hookCalls []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		hookMu.Lock()
		hookCalls = append(hookCalls, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type"))
		hookMu.Unlock()
	}))
	t.Cleanup(hook.Close)
	ct := reflect.TypeOf(c)
	for _, name := range clientLocal {
		if _, ok := ct.MethodByName(name); !ok {
			t.Errorf("clientLocal names %s, which *up.Client does not have", name)
		}
	}
	called := 0
	for i := range ct.NumMethod() {
		m := ct.Method(i)
		if slices.Contains(clientLocal, m.Name) {
			continue
		}
		in := []reflect.Value{reflect.ValueOf(c)}
		if m.Name == "Disconnect" {
			in[0] = reflect.ValueOf(newClient()) // it forgets the token
		}
		ok := true
		for j := 1; j < m.Type.NumIn(); j++ {
			v, found := args[m.Type.In(j)]
			if m.Name == "Subscribe" && j == 2 {
				v = reflect.ValueOf(hook.URL + "/up/webhook") // a URL, not an XID; Prism POSTs its callback there
			}
			if !found {
				t.Errorf("%s takes a %s: give prismArgs a value of it", m.Name, m.Type.In(j))
				ok = false
			}
			in = append(in, v)
		}
		if !ok {
			continue
		}
		called++
		if err := checkResults(ctx, m.Func.Call(in), followNext); err != nil {
			t.Errorf("%s: %v", m.Name, err)
		}
	}
	// Prism sends the callback after answering; give it a moment.
	deadline := time.Now().Add(5 * time.Second)
	for {
		hookMu.Lock()
		n := len(hookCalls)
		hookMu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	hookMu.Lock()
	if !slices.ContainsFunc(hookCalls, func(c string) bool { return strings.HasPrefix(c, "POST /up/webhook application/x-www-form-urlencoded") }) {
		t.Errorf("Prism did not POST the subscription's notification callback (a form) to the webhook: %q", hookCalls)
	}
	hookMu.Unlock()
	if called < 60 {
		t.Errorf("called %d methods; *up.Client has more API calls than that", called)
	}
}

// pager is what every *up.Page[T] does.
type pager interface {
	HasNext() bool
	NextURL() string
}

// checkResults looks at what a Client method returned: the error, and for
// iterators, readers and pages what they give when used.
func checkResults(ctx context.Context, out []reflect.Value, followNext bool) error {
	if last := out[len(out)-1]; last.Type() == reflect.TypeFor[error]() && !last.IsNil() {
		return last.Interface().(error)
	}
	for _, v := range out {
		switch x := v.Interface().(type) {
		case io.ReadCloser:
			_, err := io.Copy(io.Discard, x)
			_ = x.Close()
			if err != nil {
				return err
			}
		case pager:
			if followNext && x.HasNext() {
				next := v.MethodByName("Next").Call([]reflect.Value{reflect.ValueOf(ctx)})
				if err, _ := next[1].Interface().(error); err != nil {
					return fmt.Errorf("page 2 (%s): %w", x.NextURL(), err)
				}
			}
		}
		if v.Kind() == reflect.Func && strings.HasPrefix(v.Type().String(), "iter.Seq2[") {
			if err := firstOf(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// firstOf takes the first item of an iter.Seq2[T, error] (its first page):
// in dynamic mode, later pages are at paths Prism makes up.
func firstOf(seq reflect.Value) error {
	var got error
	yield := reflect.MakeFunc(seq.Type().In(0), func(args []reflect.Value) []reflect.Value {
		if err, _ := args[1].Interface().(error); err != nil {
			got = err
		}
		return []reflect.Value{reflect.ValueOf(false)}
	})
	seq.Call([]reflect.Value{yield})
	if got != nil && !errors.Is(got, up.ErrNoMorePages) {
		return got
	}
	return nil
}

var _ iter.Seq2[int, error] // the iterators firstOf walks
