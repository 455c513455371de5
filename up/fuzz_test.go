package up

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/upapi/up-go/gen"
)

// The fuzz targets. Each starts from real payloads (api/testdata, the
// examples of the spec) and checks properties that hold for any input,
// not merely that nothing panics. `make fuzz` runs each for 20,000 inputs;
// `go test -run '^$' -fuzz '^FuzzX$' -fuzztime 2000000x ./up` runs one longer.

// testdataFiles returns the contents of the recorded payloads.
func testdataFiles(f *testing.F) map[string][]byte {
	f.Helper()
	files, err := filepath.Glob("../api/testdata/*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no payloads in ../api/testdata: %v", err)
	}
	out := map[string][]byte{}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		out[filepath.Base(name)] = b
	}
	return out
}

// FuzzExchange feeds Config.Exchange redirect URLs and states, with a token
// endpoint in memory. The endpoint is asked exactly when parseRedirect
// accepts the URL, for the code it returns, which is one of the URL's
// non-blank code parameters, with the state matching; a URL whose state
// does not match is ErrStateMismatch whatever else it carries; every refusal
// is one of the documented errors, and authorization errors carry clean text.
func FuzzExchange(f *testing.F) {
	state := "s3cr3t-state-0123456789abcdefghijklmnopqrstu"
	for _, u := range []string{
		testRedirectURL + "?code=abc&state=" + state,
		testRedirectURL + "?state=" + state + "&code=&code=%20&code=second",
		testRedirectURL + "?error=access_denied&error_description=The+user+denied&state=" + state,
		testRedirectURL + "?error=invalid_scope&error_uri=https%3A%2F%2Fjawbone.com%2Fup%2Fdeveloper&state=x",
		testRedirectURL + "?code=abc&state=other",
		testRedirectURL + "?code=abc",
		testRedirectURL + "?state=" + state,
		"http://[::1]:8080/cb?code=%zz&state=" + state,
		"::not a url",
		"/relative?code=c&state=" + state + "#frag",
	} {
		f.Add(u, state)
	}
	f.Add(testRedirectURL+"?code=abc&state=", "")
	f.Fuzz(func(t *testing.T, redirectURL, state string) {
		var asked atomic.Int32
		var posted string
		cfg := &Config{
			ClientID: testClientID, ClientSecret: testClientSecret, RedirectURL: testRedirectURL,
			TokenURL: "https://jawbone.com/auth/oauth2/token",
			HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				asked.Add(1)
				_ = r.ParseForm()
				posted = r.PostForm.Get("code")
				return textResponse(r, 200, `{"access_token":"fuzz-access","token_type":"Bearer","refresh_token":"fuzz-refresh","expires_in":3600}`), nil
			})},
		}
		code, perr := parseRedirect(redirectURL, state)
		tok, err := cfg.Exchange(context.Background(), redirectURL, state)

		if perr != nil {
			// Until the state matches, nothing in the URL counts: a wrong
			// state is reported as such, whatever else the URL says.
			if u, uerr := url.Parse(redirectURL); uerr == nil && (state == "" || u.Query().Get("state") != state) &&
				!errors.Is(err, ErrStateMismatch) {
				t.Fatalf("state %q for %q gave %v, want ErrStateMismatch", u.Query().Get("state"), state, err)
			}
			if asked.Load() != 0 {
				t.Fatalf("the token endpoint was asked for a refused redirect (%v)", perr)
			}
			if !errors.Is(err, perr) && err.Error() != perr.Error() {
				t.Fatalf("Exchange returned %v, parseRedirect %v", err, perr)
			}
			var ae *AuthorizationError
			switch {
			case errors.As(err, &ae):
				for _, s := range []string{ae.Code, ae.Description, ae.URI} {
					checkCleanText(t, s)
				}
			case errors.Is(err, ErrStateMismatch), errors.Is(err, ErrMissingCode),
				strings.HasPrefix(err.Error(), "up: invalid redirect URL: "):
			default:
				t.Fatalf("undocumented error %v", err)
			}
			return
		}
		if err != nil || tok.AccessToken != "fuzz-access" {
			t.Fatalf("Exchange = %v, %v after parseRedirect accepted the URL", tok, err)
		}
		if asked.Load() != 1 || posted != code {
			t.Fatalf("the token endpoint was asked %d times, for code %q; want once, for %q", asked.Load(), posted, code)
		}
		u, uerr := url.Parse(redirectURL)
		if uerr != nil {
			t.Fatalf("accepted a URL that does not parse: %v", uerr)
		}
		q := u.Query()
		if state == "" || q.Get("state") != state || q.Get("error") != "" {
			t.Fatalf("accepted state %q for %q (error %q)", q.Get("state"), state, q.Get("error"))
		}
		if strings.TrimSpace(code) == "" || !contains(q["code"], code) {
			t.Fatalf("code %q is not a non-blank code of %v", code, q["code"])
		}
	})
}

// checkCleanText fails unless s is text cleanText could have produced: no
// control characters or invalid UTF-8, at most maxTextInError runes and an
// ellipsis.
func checkCleanText(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 || utf8.RuneCountInString(s) > maxTextInError+1 {
		t.Fatalf("unclean text in an error: %q", s)
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// FuzzDecodeMeta feeds decodeMeta any body, and checkResponse the same body
// with an error status. decodeMeta returns nil exactly when the body is not
// a JSON object with a meta object, and its result survives a round trip
// through JSON. The *APIError keeps at most 1 KiB of the body and never
// the bearer token the request carried.
func FuzzDecodeMeta(f *testing.F) {
	for _, b := range testdataFiles(f) {
		f.Add(b, uint16(401))
	}
	f.Add([]byte(`{"meta":{"code":"503","time":"1386122022.9","message":7,"user_xid":null}}`), uint16(503))
	f.Add([]byte(`{"meta":{"code":1e400}}`), uint16(500))
	f.Add([]byte(`{"meta":{},"meta":null}`), uint16(404))
	f.Add([]byte(`<html><body>502 Bad Gateway</body></html>`), uint16(502))
	f.Add([]byte(`{"meta":{"error_detail":"token Bearer-tok-123 refused"}}`), uint16(400))
	f.Fuzz(func(t *testing.T, body []byte, status uint16) {
		m := decodeMeta(body)
		var probe struct {
			Meta map[string]json.RawMessage `json:"meta"`
		}
		isEnvelope := json.Unmarshal(body, &probe) == nil && probe.Meta != nil
		if (m != nil) != isEnvelope {
			t.Fatalf("decodeMeta = %+v for a body that is an envelope: %v", m, isEnvelope)
		}
		if m != nil {
			again := decodeMeta(encodeMeta(t, m))
			if again == nil || *again != *m {
				t.Fatalf("meta %+v does not survive a round trip: %+v", m, again)
			}
		}

		code := 400 + int(status)%200
		req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "https://jawbone.com/nudge/api/v.1.1/users/@me?access_token=q-secret", nil)
		req.Header.Set("Authorization", "Bearer tok-123")
		resp := textResponse(req, code, string(body))
		defer func() { _ = resp.Body.Close() }()
		err := checkResponse(resp)
		var ae *APIError
		if !errors.As(err, &ae) || ae.StatusCode != code {
			t.Fatalf("checkResponse(%d) = %v", code, err)
		}
		if len(ae.Body) > maxErrorExcerpt {
			t.Fatalf("APIError.Body holds %d bytes", len(ae.Body))
		}
		for _, s := range []string{string(ae.Body), ae.Error(), ae.URL} {
			if strings.Contains(s, "tok-123") || strings.Contains(s, "q-secret") {
				t.Fatalf("the error quotes a credential: %q", s)
			}
		}
		var rl *RateLimitError
		if errors.As(err, &rl) != (code == http.StatusTooManyRequests) {
			t.Fatalf("status %d gave %T", code, err)
		}
	})
}

// encodeMeta writes m back as the envelope decodeMeta reads.
func encodeMeta(t *testing.T, m *Meta) []byte {
	t.Helper()
	meta := map[string]any{
		"user_xid": m.UserXID, "message": m.Message, "code": m.Code,
		"error_type": m.ErrorType, "error_detail": m.ErrorDetail, "error_user_msg": m.ErrorUserMsg,
	}
	if !m.Time.IsZero() {
		meta["time"] = m.Time.Unix()
	}
	b, err := json.Marshal(map[string]any{"meta": meta})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzListDecode sends any body as a 200 answer to WorkoutsPage. The typed
// call must agree with encoding/json decoding the same body into the
// generated gen.WorkoutListEnvelope: the same items and meta when that
// succeeds (unless the next link is refused), a *DecodeError when it
// fails; and a next link it follows stays on the API.
func FuzzListDecode(f *testing.F) {
	for name, b := range testdataFiles(f) {
		if strings.Contains(name, "list") {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"meta":{"code":200},"data":{"items":[{"xid":"a","date":20131121,"time_created":1}],"size":1,"links":{"next":"/nudge/api/v.1.1/users/@me/workouts?page_token=1"}}}`))
	f.Add([]byte(`{"meta":{"code":200},"data":{"items":[],"size":0,"links":{"next":"https://evil.example/nudge/api/v.1.1/x"}}}`))
	f.Add([]byte(`{"data":{"items":null}} trailing`))
	f.Add([]byte(`{"meta":{"time":"x"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		cfg := &Config{HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return textResponse(r, 200, string(body)), nil
		})}}
		c := cfg.ClientFromAccessToken("fuzz-list-access-token-0123456789")
		page, err := c.WorkoutsPage(context.Background(), ListQuery{})

		var want gen.WorkoutListEnvelope
		wantErr := json.NewDecoder(bytes.NewReader(body)).Decode(&want)
		var de *DecodeError
		var ne *NextLinkError
		switch {
		case wantErr != nil:
			if !errors.As(err, &de) {
				t.Fatalf("gen decoding failed (%v) but WorkoutsPage returned %v", wantErr, err)
			}
			return
		case errors.As(err, &ne):
			if want.Data.Links.Next != ne.Next {
				t.Fatalf("refused next link %q, which the body does not carry", ne.Next)
			}
			return
		case err != nil:
			t.Fatalf("gen decoding succeeded but WorkoutsPage returned %v", err)
		}
		if !reflect.DeepEqual(page.Items, want.Data.Items) {
			t.Fatalf("items differ from gen decoding:\n%+v\n%+v", page.Items, want.Data.Items)
		}
		if page.Meta != metaOf(want.Meta) {
			t.Fatalf("meta %+v, gen %+v", page.Meta, metaOf(want.Meta))
		}
		if page.HasNext() {
			next, _ := url.Parse(page.NextURL())
			if next.Scheme != "https" || next.Host != "jawbone.com" || !strings.HasPrefix(next.Path, "/nudge/api/v.1.1/") {
				t.Fatalf("next page %q leaves the API", page.NextURL())
			}
		}
	})
}

// FuzzResolveNext resolves any next link against a few base URLs. A link it
// accepts keeps the base's scheme and host, has no user information,
// fragment or dot segment, stays under the base path however a lax server
// reads it (decoding again and again, taking backslashes for slashes,
// dropping ;parameters, merging slashes: lenientPath), and reads back (as
// the request for the next page will parse it) to the same URL.
func FuzzResolveNext(f *testing.F) {
	bases := []string{DefaultBaseURL, "http://127.0.0.1:8080/nudge/api/v.1.1", "https://Jawbone.com:443/nudge/api/v.1.1/", "https://[::1]:9443/api"}
	seeds := append([]string{
		"/nudge/api/v.1.1/users/6xl39CsoVp2KirfHwVq_Fx/moves?page_token=1384390680&limit=10",
		"https://jawbone.com/nudge/api/v.1.1/users/@me/sleeps?page_token=1",
		"//evil.example/nudge/api/v.1.1/x",
		"https://jawbone.com@evil.example/nudge/api/v.1.1/x",
		"https://user:pw@jawbone.com/nudge/api/v.1.1/x",
		"/nudge/api/v.1.1/../../auth/oauth2/token",
		"/nudge/api/v.1.1/%2e%2e/%2e%2e/x",
		"/nudge/api/v.1.1/users/x/%2E%2e/@me/moves",
		"users/@me/moves?x=1#frag",
		"http://jawbone.com/nudge/api/v.1.1/x",
		"https://JAWBONE.COM:443/nudge/api/v.1.1/x",
		"javascript:alert(1)",
		"/nudge/api/v.1.10/x",
		"?page_token=2",
		"",
	}, escapingLinks...)
	for i, next := range seeds {
		f.Add(uint8(i), next)
	}
	f.Fuzz(func(t *testing.T, which uint8, next string) {
		baseURL := bases[int(which)%len(bases)]
		u, err := resolveNext(baseURL, next)
		if err != nil {
			var ne *NextLinkError
			if !errors.As(err, &ne) || ne.Next != next {
				t.Fatalf("resolveNext(%q) error %v is not a *NextLinkError for the link", next, err)
			}
			return
		}
		base, _ := url.Parse(baseURL)
		check := func(what string, v *url.URL) {
			if v.Scheme != base.Scheme || hostKey(v) != hostKey(base) || v.User != nil || v.Opaque != "" || !underBase(v, base.EscapedPath()) {
				t.Fatalf("%s %q of next %q leaves %q (a lax server reads %q)", what, v, next, baseURL, lenientPath(v.EscapedPath()))
			}
		}
		check("resolved URL", u)
		if u.Fragment != "" || u.RawFragment != "" {
			t.Fatalf("resolved URL %q keeps a fragment", u)
		}
		sent, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u.String(), nil)
		if err != nil {
			t.Fatalf("the resolved URL %q does not make a request: %v", u, err)
		}
		check("requested URL", sent.URL)
		if sent.URL.EscapedPath() != u.EscapedPath() {
			t.Fatalf("the request's path %q is not the checked %q", sent.URL.EscapedPath(), u.EscapedPath())
		}
	})
}

// FuzzAPIHost checks the transport's quick test for the API's host against
// the full comparison of host keys that it short-cuts.
func FuzzAPIHost(f *testing.F) {
	for _, p := range [][2]string{
		{DefaultBaseURL, "https://jawbone.com/nudge/api/v.1.1/users/@me"},
		{DefaultBaseURL, "https://JAWBONE.com:443/x"},
		{DefaultBaseURL, "http://jawbone.com:443/x"},
		{"https://jawbone.com:443/api", "https://jawbone.com/x"},
		{"http://127.0.0.1:8080/api", "http://127.0.0.1:8080/x"},
		{"http://[::1]:80/api", "http://[::1]/x"},
		{"http://[fe80::1%25en0]:8080/api", "http://[fe80::1%25en0]:8080/x"},
		{"::bad", "https://jawbone.com/x"},
	} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, baseURL, target string) {
		u, err := url.Parse(target)
		if err != nil {
			return
		}
		cl := (&Config{BaseURL: baseURL}).newClient()
		tr := newTransport(&cl.cfg, cl.creds, http.DefaultTransport)
		want := false
		if b, err := url.Parse(cl.cfg.baseURL()); err == nil {
			want = hostKey(u) == hostKey(b)
		} else {
			want = hostKey(u) == ""
		}
		if got := tr.forAPI(u); got != want {
			t.Fatalf("forAPI(%q) with base %q = %v, want %v", target, baseURL, got, want)
		}
	})
}

// FuzzParseNotification decodes any document as a webhook notification.
// What it accepts has an event, a user and an action for every secret_hash
// it returns, one hash per event, and no time before 1970 (zero, for "not
// said", aside).
func FuzzParseNotification(f *testing.F) {
	for name, b := range testdataFiles(f) {
		if strings.HasPrefix(name, "pubsub") {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"events":[]}`))
	f.Add([]byte(`{"events":[{"user_xid":"u","action":"creation","secret_hash":"h","timestamp":-1}]}`))
	f.Add([]byte(`{"notification_timestamp":"99999999999999999999","events":[]}`))
	f.Add([]byte(`{"events":[]} {}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		n, hashes, err := parseNotification(doc)
		if err != nil {
			var we *webhookError
			if !errors.As(err, &we) || (we.status != http.StatusBadRequest && we.status != http.StatusForbidden) {
				t.Fatalf("error %v is not a 400 or 403", err)
			}
			return
		}
		if len(hashes) != len(n.Events) {
			t.Fatalf("%d hashes for %d events", len(hashes), len(n.Events))
		}
		for i, e := range n.Events {
			if hashes[i] == "" || e.UserXID == "" || e.Action == "" {
				t.Fatalf("event %d accepted without hash, user or action: %+v", i, e)
			}
			if !e.Time.IsZero() && e.Time.Before(time.Unix(0, 0)) {
				t.Fatalf("event %d time %v", i, e.Time)
			}
		}
	})
}

// FuzzWebhookHandler serves any body, under any content type, to a
// WebhookHandler. It never panics, answers with one of its documented
// statuses, and calls Handle exactly when it answers 200 to a notification
// with events, all of whose secret_hash values are the application's.
func FuzzWebhookHandler(f *testing.F) {
	good := WebhookSecretHash(testClientID, testClientSecret)
	for name, b := range testdataFiles(f) {
		if !strings.HasPrefix(name, "pubsub") {
			continue
		}
		signed := bytes.ReplaceAll(b, []byte("e570b3071a0964f9e2e69d13nd9ba19535392aaa"), []byte(good))
		f.Add("application/json", signed)
		f.Add("application/json", b) // a forged hash
		f.Add("application/x-www-form-urlencoded", []byte("file="+url.QueryEscape(string(signed))))
		var mp bytes.Buffer
		w := multipart.NewWriter(&mp)
		_ = w.WriteField("file", string(signed))
		_ = w.Close()
		f.Add(w.FormDataContentType(), mp.Bytes())
	}
	f.Add("multipart/form-data", []byte("--x\r\n"))
	f.Add("text/plain", []byte("{}"))
	f.Add("", []byte(`{"events":[{"user_xid":"u","action":"creation","secret_hash":"`+strings.ToUpper(good)+`"}]}`))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		var calls atomic.Int32
		h := &WebhookHandler{
			ClientID: testClientID, ClientSecret: testClientSecret, MaxBody: 64 << 10,
			Handle: func(context.Context, *Notification) { calls.Add(1) },
		}
		req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/up", bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusForbidden, http.StatusRequestEntityTooLarge,
			http.StatusUnsupportedMediaType:
		default:
			t.Fatalf("status %d", rec.Code)
		}
		if calls.Load() == 0 {
			return
		}
		if calls.Load() != 1 || rec.Code != http.StatusOK {
			t.Fatalf("Handle called %d times with status %d", calls.Load(), rec.Code)
		}
		// Handle was called: every event must carry the application's hash.
		doc, err := notificationDocument(contentType, body, h.MaxBody)
		if err != nil {
			t.Fatalf("Handle called for a body whose document cannot be read: %v", err)
		}
		var wire struct {
			Events []struct {
				SecretHash string `json:"secret_hash"`
			} `json:"events"`
		}
		if err := json.NewDecoder(bytes.NewReader(doc)).Decode(&wire); err != nil || len(wire.Events) == 0 {
			t.Fatalf("Handle called for %q (%v)", doc, err)
		}
		for i, e := range wire.Events {
			if strings.ToLower(e.SecretHash) != good {
				t.Fatalf("Handle called though event %d has secret_hash %q", i, e.SecretHash)
			}
		}
	})
}

// formTypes are the form bodies the SDK sends, each with the generated
// encoder (AppendForm); TestFormTypesComplete keeps the list whole.
var formTypes = []func() formBody{
	func() formBody { return new(gen.WorkoutCreate) }, func() formBody { return new(gen.WorkoutUpdate) },
	func() formBody { return new(gen.SleepCreate) }, func() formBody { return new(gen.MealCreate) },
	func() formBody { return new(gen.MealUpdate) }, func() formBody { return new(gen.BodyEventCreate) },
	func() formBody { return new(gen.GenericEventCreate) }, func() formBody { return new(gen.GenericEventUpdate) },
	func() formBody { return new(gen.MoodCreate) }, func() formBody { return new(gen.CardiacEventCreate) }, //nolint:staticcheck // deprecated, still sent
	func() formBody { return new(gen.GoalsUpdate) }, func() formBody { return new(gen.RefreshTokenRequest) },
}

// TestFormTypesComplete checks that formTypes holds every type with a
// generated encoder.
func TestFormTypesComplete(t *testing.T) {
	src, err := os.ReadFile("../gen/forms.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	var generated, listed []string
	for _, m := range regexp.MustCompile(`func \(f (\w+)\) AppendForm`).FindAllStringSubmatch(string(src), -1) {
		generated = append(generated, m[1])
	}
	for _, newForm := range formTypes {
		listed = append(listed, reflect.TypeOf(newForm()).Elem().Name())
	}
	slices.Sort(generated)
	slices.Sort(listed)
	if !slices.Equal(generated, listed) {
		t.Errorf("forms with an encoder %v, listed %v", generated, listed)
	}
}

// referenceForm is the definition the generated encoders keep to, written
// with reflection as the SDK encoded forms before they were generated:
// fields named as in JSON, in the order of their names; a nil pointer, or
// an empty omitempty field, left out; numbers in full, without an exponent;
// booleans as true or false; a value of an enumerated type that it does not
// list, or a number that is not finite, refused with the field's name.
func referenceForm(v any) (url.Values, string, error) {
	rv := reflect.Indirect(reflect.ValueOf(v))
	form := url.Values{}
	for i := range rv.NumField() {
		sf := rv.Type().Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		f := rv.Field(i)
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				continue
			}
			f = f.Elem()
		} else if strings.Contains(opts, "omitempty") && f.IsZero() {
			continue
		}
		if e, ok := f.Interface().(enumerated); ok && !e.Valid() {
			return nil, name, errors.New("not listed")
		}
		switch f.Kind() {
		case reflect.String:
			form.Set(name, f.String())
		case reflect.Bool:
			form.Set(name, strconv.FormatBool(f.Bool()))
		case reflect.Int, reflect.Int64:
			form.Set(name, strconv.FormatInt(f.Int(), 10))
		case reflect.Float64:
			if math.IsNaN(f.Float()) || math.IsInf(f.Float(), 0) {
				return nil, name, errors.New("not finite")
			}
			form.Set(name, strconv.FormatFloat(f.Float(), 'f', -1, 64))
		default:
			return nil, name, fmt.Errorf("kind %s", f.Kind())
		}
	}
	return form, "", nil
}

// FuzzEncodeForm fills the fields of every form body from the fuzzer's
// values (a bit of set chooses each field) and checks the generated
// encoder against referenceForm: the same body, in url.Values.Encode's
// order and escaping, numbers in full without an exponent, and the same
// refusals, as an *InputError naming the field.
func FuzzEncodeForm(f *testing.F) {
	f.Add("Morning run", int64(2), 5123.5, true, uint64(0xffff))
	f.Add("", int64(-1), 1e21, false, uint64(0))
	f.Add("a=b&c=d+é\x00\xff", int64(math.MinInt64), 5e-324, true, uint64(0x5555))
	f.Add("x", int64(99), math.Inf(1), false, uint64(0xaaaa))
	f.Add("y", int64(3), math.NaN(), true, uint64(1))
	f.Fuzz(func(t *testing.T, s string, i int64, x float64, b bool, set uint64) {
		for _, newForm := range formTypes {
			form := newForm()
			rv := reflect.ValueOf(form).Elem()
			for k := range rv.NumField() {
				fv := rv.Field(k)
				if set&(1<<(k%64)) == 0 && fv.Kind() == reflect.Pointer {
					continue
				}
				if fv.Kind() == reflect.Pointer {
					fv.Set(reflect.New(fv.Type().Elem()))
					fv = fv.Elem()
				}
				switch fv.Kind() {
				case reflect.String:
					fv.SetString(s)
				case reflect.Bool:
					fv.SetBool(b)
				case reflect.Int, reflect.Int64:
					fv.SetInt(i)
				case reflect.Float64:
					fv.SetFloat(x)
				}
			}
			want, field, wantErr := referenceForm(form)
			got, err := encodeFormBody(form)
			var ie *InputError
			switch {
			case wantErr != nil:
				if !errors.As(err, &ie) || ie.Field != field {
					t.Fatalf("%T %+v: %v, want an *InputError for %s (%v)", form, form, err, field, wantErr)
				}
				continue
			case err != nil:
				t.Fatalf("%T %+v: %v", form, form, err)
			}
			if string(got) != want.Encode() {
				t.Fatalf("%T: %q, want %q", form, got, want.Encode())
			}
			// The reference writes numbers with 'f', so an equal body has
			// no exponent; a float field must still read back the same.
			back, err := url.ParseQuery(string(got))
			if err != nil || !reflect.DeepEqual(back, want) {
				t.Fatalf("%T: %q reads back as %v (%v), want %v", form, got, back, err, want)
			}
		}
	})
}
