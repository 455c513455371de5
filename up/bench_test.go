package up_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/gen/spec"
	"github.com/upapi/up-go/up"
)

// The overhead benchmarks (BENCHMARKS.md, section 1) compare each typed
// call with the code a developer would write by hand with net/http and
// encoding/json, in two forms:
//
//   - impl=plain decodes into plain structs written for the payloads, as a
//     Go developer would write them: value fields with omitempty, a pointer
//     only where real payloads carry null (a workout's intensity), the
//     time-zone pairs as [][]any (what JSON-to-Go tools make of them);
//   - impl=gen decodes into the SDK's own generated types (gen.UserEnvelope
//     and the like), so that the difference to impl=sdk is the SDK's
//     plumbing alone.
//
// impl=sdk is the SDK call. Each side checks what it decoded. Both call
// the same loopback server, which serves documented payloads from memory,
// through http.Transports built by benchTransport; the server runs in a
// process of its own (this test binary, re-executed), so that B/op and
// allocs/op count the client's work only. With net=memory the answers come
// from an in-memory RoundTripper instead: the client's CPU cost without a
// socket.
//
// BenchmarkRatio runs the sides alternately within one process, round
// after round, and reports the median of the per-round time ratios with a
// 95% interval, so that the machine's drift hits every side alike.

const (
	benchToken   = "bench-access-token"
	benchPrefix  = "/nudge/api/v.1.1"
	benchMoveXID = "40F7_htRRnQwoMjIFucJ2g"
	benchPerPage = 100
	benchTicks   = 1000
)

// benchTransport is the transport both sides of every comparison use:
// keep-alive on, no gzip, enough idle connections for parallel callers.
func benchTransport() *http.Transport {
	return &http.Transport{
		DisableCompression:  true,
		MaxIdleConns:        100,
		MaxIdleConnsPerHost: 100,
		IdleConnTimeout:     90 * time.Second,
	}
}

// benchPayloads are the response bodies the benchmark server sends.
type benchPayloads struct {
	user, moves, ticks, workout []byte
}

var loadBenchPayloads = sync.OnceValues(func() (*benchPayloads, error) {
	doc, err := spec.GetSpecJSON()
	if err != nil {
		return nil, err
	}
	user, err := specExample(doc, "/users/{user}", "docs")
	if err != nil {
		return nil, err
	}
	tickDoc, err := specExample(doc, "/moves/{xid}/ticks", "illustrative")
	if err != nil {
		return nil, err
	}
	ticks, err := tickSeries(tickDoc, benchTicks)
	if err != nil {
		return nil, err
	}
	rawMoves, err := os.ReadFile("../api/testdata/moves_list.v1_0.full.json")
	if err != nil {
		return nil, err
	}
	moves, err := movePage(rawMoves, benchPerPage)
	if err != nil {
		return nil, err
	}
	rawWorkouts, err := os.ReadFile("../api/testdata/workouts_list.shimmer.json")
	if err != nil {
		return nil, err
	}
	workout, err := createdWorkout(rawWorkouts)
	if err != nil {
		return nil, err
	}
	return &benchPayloads{user: user, moves: moves, ticks: ticks, workout: workout}, nil
})

// specExample returns the named example of the 200 answer to GET path in
// the embedded spec, as compact JSON.
func specExample(spec []byte, path, name string) ([]byte, error) {
	var doc struct {
		Paths map[string]struct {
			Get struct {
				Responses map[string]struct {
					Content map[string]struct {
						Examples map[string]struct {
							Value json.RawMessage `json:"value"`
						} `json:"examples"`
					} `json:"content"`
				} `json:"responses"`
			} `json:"get"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(spec, &doc); err != nil {
		return nil, err
	}
	v := doc.Paths[path].Get.Responses["200"].Content["application/json"].Examples[name].Value
	if len(v) == 0 {
		return nil, fmt.Errorf("the spec has no example %q for GET %s", name, path)
	}
	var out bytes.Buffer
	err := json.Compact(&out, v)
	return out.Bytes(), err
}

// recordedEnvelope is a recorded answer: its meta and its items.
type recordedEnvelope struct {
	Meta json.RawMessage `json:"meta"`
	Data struct {
		Items []map[string]any `json:"items"`
	} `json:"data"`
}

func readRecorded(raw []byte, what string) (*recordedEnvelope, error) {
	var env recordedEnvelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, err
	}
	if len(env.Data.Items) == 0 {
		return nil, fmt.Errorf("the recorded %s list is empty", what)
	}
	return &env, nil
}

// tickSeries turns the spec's tick example into a page of n ticks, one a
// minute, cycling through the example's values.
func tickSeries(example []byte, n int) ([]byte, error) {
	env, err := readRecorded(example, "tick")
	if err != nil {
		return nil, err
	}
	start, _ := env.Data.Items[0]["time"].(float64)
	items := make([]map[string]any, n)
	for i := range items {
		tick := map[string]any{}
		for k, v := range env.Data.Items[i%len(env.Data.Items)] {
			tick[k] = v
		}
		tick["time"] = int64(start) + int64(60*i)
		items[i] = tick
	}
	return json.Marshal(map[string]any{
		"meta": env.Meta,
		"data": map[string]any{"items": items, "size": n},
	})
}

// movePage builds a page of n moves from the recorded v1.0 docs move, each
// with its own XID and day, 24 hourly totals (the recorded hour's figures,
// varied hour by hour) and two time-zone pairs, and a links.next to the page
// after: the largest page UP sends, about 4.4 KB a move.
func movePage(recorded []byte, n int) ([]byte, error) {
	env, err := readRecorded(recorded, "moves")
	if err != nil {
		return nil, err
	}
	move := env.Data.Items[0]
	details, ok := move["details"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the recorded move has no details")
	}
	var hour map[string]any
	for _, v := range details["hourly_totals"].(map[string]any) {
		hour = v.(map[string]any)
	}
	items := make([]map[string]any, n)
	for i := range items {
		day := time.Date(2013, 11, 21, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -i)
		hours := map[string]any{}
		for h := range 24 {
			v := map[string]any{}
			for k, x := range hour {
				v[k] = math.Round(x.(float64) * float64(1+h%7) / 4)
			}
			hours[day.Format("20060102")+fmt.Sprintf("%02d", h)] = v
		}
		d := map[string]any{}
		for k, v := range details {
			d[k] = v
		}
		d["hourly_totals"] = hours
		d["tzs"] = []any{[]any{day.Unix() + 25200, "America/Phoenix"}, []any{day.Unix() + 50400, "America/Los_Angeles"}}
		m := map[string]any{}
		for k, v := range move {
			m[k] = v
		}
		m["xid"] = fmt.Sprintf("%s%04d", move["xid"], i)
		m["date"], _ = strconv.Atoi(day.Format("20060102"))
		m["details"] = d
		items[i] = m
	}
	return json.Marshal(map[string]any{
		"meta": env.Meta,
		"data": map[string]any{
			"items": items,
			"size":  n,
			"links": map[string]string{"next": benchPrefix + "/users/6xl39CsoVp2KirfHwVq_Fx/moves?page_token=1384390680&limit=" + strconv.Itoa(n)},
		},
	})
}

// createdWorkout is the answer to a workout's create: the first recorded
// workout in a 201 envelope.
func createdWorkout(recorded []byte) ([]byte, error) {
	env, err := readRecorded(recorded, "workouts")
	if err != nil {
		return nil, err
	}
	var meta map[string]any
	if err := json.Unmarshal(env.Meta, &meta); err != nil {
		return nil, err
	}
	meta["code"] = http.StatusCreated
	return json.Marshal(map[string]any{"meta": meta, "data": env.Data.Items[0]})
}

// benchServer serves the payloads to requests that carry the current
// bearer token, and a token endpoint that rotates it.
type benchServer struct {
	*httptest.Server
	payloads *benchPayloads

	access   atomic.Pointer[string] // the access token the API accepts
	minted   atomic.Int64
	refreshs atomic.Int64 // token requests received
}

func newBenchServer(tb testing.TB) *benchServer {
	tb.Helper()
	p, err := loadBenchPayloads()
	if err != nil {
		tb.Fatal(err)
	}
	s := &benchServer{payloads: p}
	tok := benchToken
	s.access.Store(&tok)
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+benchPrefix+"/users/@me", s.api(http.StatusOK, p.user))
	mux.HandleFunc("GET "+benchPrefix+"/users/@me/moves", s.api(http.StatusOK, p.moves))
	mux.HandleFunc("GET "+benchPrefix+"/moves/{xid}/ticks", s.api(http.StatusOK, p.ticks))
	mux.HandleFunc("POST "+benchPrefix+"/users/@me/workouts", s.api(http.StatusCreated, p.workout))
	mux.HandleFunc("POST /auth/oauth2/token", s.token)
	s.Server = httptest.NewServer(mux)
	tb.Cleanup(s.Close)
	return s
}

func (s *benchServer) api(status int, body []byte) http.HandlerFunc {
	length := strconv.Itoa(len(body))
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+*s.access.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"meta":{"code":401,"message":"NOT_AUTHORIZED","time":1386122022}}`)
			return
		}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil || r.PostForm.Get("sub_type") == "" {
				http.Error(w, `{"meta":{"code":400,"message":"BAD_REQUEST","time":1386122022}}`, http.StatusBadRequest)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", length)
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
}

// token answers a refresh with a new access token, which from then on is
// the only one the API accepts.
func (s *benchServer) token(w http.ResponseWriter, r *http.Request) {
	s.refreshs.Add(1)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "refresh_token" {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	tok := "bench-access-" + strconv.FormatInt(s.minted.Add(1), 10)
	s.access.Store(&tok)
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","refresh_token":"bench-refresh","expires_in":31536000}`, tok)
}

// expire makes the API refuse the current access token, as after its expiry.
func (s *benchServer) expire() {
	tok := "expired-" + strconv.FormatInt(s.minted.Add(1), 10)
	s.access.Store(&tok)
}

// sdkClient returns a Client of the benchmark server at srvURL over tr.
func sdkClient(srvURL string, tr http.RoundTripper, access string) *up.Client {
	cfg := &up.Config{
		ClientID:     "bench",
		ClientSecret: "bench-secret",
		BaseURL:      srvURL + benchPrefix,
		TokenURL:     srvURL + "/auth/oauth2/token",
		HTTPClient:   &http.Client{Transport: tr},
	}
	return cfg.ClientFromAccessToken(access)
}

// handCall is the hand-written call: method url with the bearer token (and
// a form body, for a POST), checking the status and decoding the JSON
// envelope into out.
func handCall(ctx context.Context, hc *http.Client, method, url, token string, form url.Values, out any) error {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("%s %s: %s", method, url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// The plain structs a developer would write for the payloads.
type (
	plainMeta struct {
		UserXID string `json:"user_xid"`
		Message string `json:"message"`
		Code    int    `json:"code"`
		Time    int64  `json:"time"`
	}
	plainUser struct {
		XID    string  `json:"xid"`
		First  string  `json:"first,omitempty"`
		Last   string  `json:"last,omitempty"`
		Image  string  `json:"image,omitempty"`
		Weight float64 `json:"weight,omitempty"`
		Height float64 `json:"height,omitempty"`
		Gender bool    `json:"gender,omitempty"`
	}
	plainLinks struct {
		Next string `json:"next,omitempty"`
	}
	plainHour struct {
		Distance          float64 `json:"distance,omitempty"`
		Calories          float64 `json:"calories,omitempty"`
		Steps             int     `json:"steps,omitempty"`
		ActiveTime        int     `json:"active_time,omitempty"`
		InactiveTime      int     `json:"inactive_time,omitempty"`
		LongestActiveTime int     `json:"longest_active_time,omitempty"`
		LongestIdleTime   int     `json:"longest_idle_time,omitempty"`
	}
	plainMoveDetails struct {
		Distance      float64              `json:"distance,omitempty"`
		Km            float64              `json:"km,omitempty"`
		Steps         int                  `json:"steps,omitempty"`
		ActiveTime    int                  `json:"active_time,omitempty"`
		LongestActive int                  `json:"longest_active,omitempty"`
		InactiveTime  int                  `json:"inactive_time,omitempty"`
		LongestIdle   int                  `json:"longest_idle,omitempty"`
		Calories      float64              `json:"calories,omitempty"`
		BMRDay        float64              `json:"bmr_day,omitempty"`
		BMR           float64              `json:"bmr,omitempty"`
		BgCalories    float64              `json:"bg_calories,omitempty"`
		WoCalories    float64              `json:"wo_calories,omitempty"`
		WoTime        int                  `json:"wo_time,omitempty"`
		WoActiveTime  int                  `json:"wo_active_time,omitempty"`
		WoCount       int                  `json:"wo_count,omitempty"`
		WoLongest     int                  `json:"wo_longest,omitempty"`
		TZ            string               `json:"tz,omitempty"`
		TZs           [][]any              `json:"tzs,omitempty"`
		HourlyTotals  map[string]plainHour `json:"hourly_totals,omitempty"`
	}
	plainMove struct {
		XID           string           `json:"xid"`
		Title         string           `json:"title,omitempty"`
		Type          string           `json:"type,omitempty"`
		TimeCreated   int64            `json:"time_created"`
		TimeUpdated   int64            `json:"time_updated,omitempty"`
		TimeCompleted int64            `json:"time_completed,omitempty"`
		Date          int              `json:"date"`
		SnapshotImage string           `json:"snapshot_image,omitempty"`
		Details       plainMoveDetails `json:"details"`
	}
	plainTick struct {
		Time       int64   `json:"time"`
		Steps      int     `json:"steps,omitempty"`
		Distance   float64 `json:"distance,omitempty"`
		ActiveTime int     `json:"active_time,omitempty"`
		Calories   float64 `json:"calories,omitempty"`
		Speed      float64 `json:"speed,omitempty"`
	}
	plainWorkoutDetails struct {
		Steps        int     `json:"steps,omitempty"`
		Time         int     `json:"time,omitempty"`
		BgActiveTime int     `json:"bg_active_time,omitempty"`
		Meters       float64 `json:"meters,omitempty"`
		Km           float64 `json:"km,omitempty"`
		Intensity    *int    `json:"intensity,omitempty"` // null in recorded payloads
		Calories     float64 `json:"calories,omitempty"`
		BMR          float64 `json:"bmr,omitempty"`
		BgCalories   float64 `json:"bg_calories,omitempty"`
		BMRCalories  float64 `json:"bmr_calories,omitempty"`
		TZ           string  `json:"tz,omitempty"`
	}
	plainWorkout struct {
		XID           string              `json:"xid"`
		Title         string              `json:"title,omitempty"`
		Type          string              `json:"type,omitempty"`
		SubType       int                 `json:"sub_type,omitempty"`
		TimeCreated   int64               `json:"time_created"`
		TimeUpdated   int64               `json:"time_updated,omitempty"`
		TimeCompleted int64               `json:"time_completed,omitempty"`
		Date          int                 `json:"date"`
		PlaceLat      string              `json:"place_lat,omitempty"`
		PlaceLon      string              `json:"place_lon,omitempty"`
		PlaceAcc      int                 `json:"place_acc,omitempty"`
		PlaceName     string              `json:"place_name,omitempty"`
		Route         string              `json:"route,omitempty"`
		Image         string              `json:"image,omitempty"`
		SnapshotImage string              `json:"snapshot_image,omitempty"`
		Details       plainWorkoutDetails `json:"details"`
	}
	plainEnvelope[T any] struct {
		Meta plainMeta `json:"meta"`
		Data T         `json:"data"`
	}
	plainList[T any] struct {
		Items []T        `json:"items"`
		Size  int        `json:"size"`
		Links plainLinks `json:"links"`
	}
)

// benchCase is one of the compared calls: the hand-written call decoding
// into plain structs, the same into the generated types, and the SDK call.
type benchCase struct {
	name  string
	plain func(ctx context.Context, hc *http.Client, base string) error
	gen   func(ctx context.Context, hc *http.Client, base string) error
	sdk   func(ctx context.Context, c *up.Client) error
}

// workoutForm is the workout every create case logs.
var workoutForm = struct {
	subType                int
	start, end             int64
	title                  string
	distance, calories     float64
	intensity, placeAcc    int
	placeLat, placeLon, tz string
}{2, 1384963500, 1384965960, "Run", 5116, 691, 3, 10, "37.451572", "-122.184435", "America/Los_Angeles"}

// handWorkoutForm is the form a developer would build for the workout.
func handWorkoutForm() url.Values {
	w := workoutForm
	return url.Values{
		"sub_type": {strconv.Itoa(w.subType)}, "time_created": {strconv.FormatInt(w.start, 10)},
		"time_completed": {strconv.FormatInt(w.end, 10)}, "title": {w.title},
		"distance": {strconv.FormatFloat(w.distance, 'f', -1, 64)}, "calories": {strconv.FormatFloat(w.calories, 'f', -1, 64)},
		"intensity": {strconv.Itoa(w.intensity)}, "place_lat": {w.placeLat}, "place_lon": {w.placeLon},
		"place_acc": {strconv.Itoa(w.placeAcc)}, "tz": {w.tz},
	}
}

// benchCases are the calls BENCHMARKS.md compares.
func benchCases() []benchCase {
	movesURL := "/users/@me/moves?limit=" + strconv.Itoa(benchPerPage)
	ticksURL := "/moves/" + benchMoveXID + "/ticks"
	return []benchCase{
		{
			name: "user",
			plain: func(ctx context.Context, hc *http.Client, base string) error {
				var env plainEnvelope[plainUser]
				if err := handCall(ctx, hc, http.MethodGet, base+"/users/@me", benchToken, nil, &env); err != nil {
					return err
				}
				return wantXIDs(env.Data.XID)
			},
			gen: func(ctx context.Context, hc *http.Client, base string) error {
				var env gen.UserEnvelope
				if err := handCall(ctx, hc, http.MethodGet, base+"/users/@me", benchToken, nil, &env); err != nil {
					return err
				}
				return wantXIDs(env.Data.XID)
			},
			sdk: func(ctx context.Context, c *up.Client) error {
				u, _, err := c.User(ctx)
				if err != nil {
					return err
				}
				return wantXIDs(u.XID)
			},
		},
		{
			name: "moves",
			plain: func(ctx context.Context, hc *http.Client, base string) error {
				var env plainEnvelope[plainList[plainMove]]
				if err := handCall(ctx, hc, http.MethodGet, base+movesURL, benchToken, nil, &env); err != nil {
					return err
				}
				return wantMoves(len(env.Data.Items), len(env.Data.Items[0].Details.HourlyTotals), len(env.Data.Items[0].Details.TZs))
			},
			gen: func(ctx context.Context, hc *http.Client, base string) error {
				var env gen.MoveListEnvelope
				if err := handCall(ctx, hc, http.MethodGet, base+movesURL, benchToken, nil, &env); err != nil {
					return err
				}
				return wantMoves(len(env.Data.Items), len(env.Data.Items[0].Details.HourlyTotals), len(env.Data.Items[0].Details.TZS))
			},
			sdk: func(ctx context.Context, c *up.Client) error {
				p, err := c.MovesPage(ctx, up.ListQuery{Limit: benchPerPage})
				if err != nil {
					return err
				}
				if !p.HasNext() {
					return fmt.Errorf("the page lost its next link")
				}
				return wantMoves(len(p.Items), len(p.Items[0].Details.HourlyTotals), len(p.Items[0].Details.TZS))
			},
		},
		{
			name: "ticks",
			plain: func(ctx context.Context, hc *http.Client, base string) error {
				var env plainEnvelope[plainList[plainTick]]
				if err := handCall(ctx, hc, http.MethodGet, base+ticksURL, benchToken, nil, &env); err != nil {
					return err
				}
				return wantLen(len(env.Data.Items), benchTicks)
			},
			gen: func(ctx context.Context, hc *http.Client, base string) error {
				var env gen.TickListEnvelope
				if err := handCall(ctx, hc, http.MethodGet, base+ticksURL, benchToken, nil, &env); err != nil {
					return err
				}
				return wantLen(len(env.Data.Items), benchTicks)
			},
			sdk: func(ctx context.Context, c *up.Client) error {
				p, err := c.MoveTicksPage(ctx, benchMoveXID)
				if err != nil {
					return err
				}
				return wantLen(len(p.Items), benchTicks)
			},
		},
		{
			name: "create-workout",
			plain: func(ctx context.Context, hc *http.Client, base string) error {
				var env plainEnvelope[plainWorkout]
				if err := handCall(ctx, hc, http.MethodPost, base+"/users/@me/workouts", benchToken, handWorkoutForm(), &env); err != nil {
					return err
				}
				return wantXIDs(env.Data.XID)
			},
			gen: func(ctx context.Context, hc *http.Client, base string) error {
				var env gen.WorkoutEnvelope
				if err := handCall(ctx, hc, http.MethodPost, base+"/users/@me/workouts", benchToken, handWorkoutForm(), &env); err != nil {
					return err
				}
				return wantXIDs(env.Data.XID)
			},
			sdk: func(ctx context.Context, c *up.Client) error {
				f := workoutForm
				w, _, err := c.CreateWorkout(ctx, up.WorkoutCreate{
					SubType: up.WorkoutType(f.subType), TimeCreated: up.Ptr(up.Epoch(f.start)), TimeCompleted: up.Ptr(up.Epoch(f.end)),
					Title: up.Ptr(f.title), Distance: up.Ptr(f.distance), Calories: up.Ptr(f.calories),
					Intensity: up.Ptr(up.WorkoutIntensity(f.intensity)), PlaceLat: up.Ptr(37.451572), PlaceLon: up.Ptr(-122.184435),
					PlaceAcc: up.Ptr(f.placeAcc), TZ: up.Ptr(f.tz),
				})
				if err != nil {
					return err
				}
				return wantXIDs(w.XID)
			},
		},
	}
}

func wantXIDs(xid string) error {
	if xid == "" {
		return fmt.Errorf("decoded no XID")
	}
	return nil
}

func wantLen(got, want int) error {
	if got != want {
		return fmt.Errorf("decoded %d items, want %d", got, want)
	}
	return nil
}

func wantMoves(moves, hours, tzs int) error {
	if moves != benchPerPage || hours != 24 || tzs != 2 {
		return fmt.Errorf("decoded %d moves, the first with %d hourly totals and %d time-zone pairs; want %d, 24 and 2", moves, hours, tzs, benchPerPage)
	}
	return nil
}

// benchServerEnv makes a re-executed test binary serve the benchmark
// payloads until its standard input closes.
const benchServerEnv = "UP_BENCH_SERVER"

// TestBenchServerProcess is the benchmark server when the test binary is
// re-executed by startBenchServer; otherwise it checks that the server
// serves every case, so that a change to the spec's examples cannot break
// the benchmarks unnoticed.
func TestBenchServerProcess(t *testing.T) {
	s := newBenchServer(t)
	if os.Getenv(benchServerEnv) != "" {
		fmt.Println(s.URL)
		_, _ = io.Copy(io.Discard, os.Stdin)
		return
	}
	tr := benchTransport()
	defer tr.CloseIdleConnections()
	c := sdkClient(s.URL, tr, benchToken)
	hc := &http.Client{Transport: tr}
	for _, bc := range benchCases() {
		if err := bc.plain(t.Context(), hc, s.URL+benchPrefix); err != nil {
			t.Errorf("%s, plain: %v", bc.name, err)
		}
		if err := bc.gen(t.Context(), hc, s.URL+benchPrefix); err != nil {
			t.Errorf("%s, gen: %v", bc.name, err)
		}
		if err := bc.sdk(t.Context(), c); err != nil {
			t.Errorf("%s, sdk: %v", bc.name, err)
		}
	}
}

// startBenchServer runs a benchmark server in a process of its own and
// returns its URL.
func startBenchServer(b *testing.B) string {
	b.Helper()
	cmd := exec.CommandContext(b.Context(), os.Args[0], "-test.run=^TestBenchServerProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), benchServerEnv+"=1")
	if p := os.Getenv("UP_BENCH_SERVER_PROCS"); p != "" {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+p)
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://") {
		b.Fatalf("benchmark server did not start: %q, %v", line, err)
	}
	return strings.TrimSpace(line)
}

// benchServerURL returns the URL of the benchmark server for a network:
// for loopback, a server process started on first use (so that benchmarks
// from memory run without one, as under valgrind, which a child process
// upsets); for memory, a host the memTransport answers for.
func benchServerURL(b *testing.B) func(network string) string {
	loopback := sync.OnceValue(func() string { return startBenchServer(b) })
	return func(network string) string {
		if network == "memory" {
			return "http://127.0.0.1:1" // never dialed: loopback, so the SDK sends the token over http
		}
		return loopback()
	}
}

// memTransport answers from memory what the benchmark server would, with
// no socket in between, so that a benchmark through it measures the
// client's own work and nothing else. It implements only what the
// benchmarks use.
type memTransport struct {
	routes map[string][]byte // by method and path
	length map[string]string
	status map[string]int
}

func newMemTransport(p *benchPayloads) *memTransport {
	m := &memTransport{routes: map[string][]byte{
		"GET " + benchPrefix + "/users/@me":                        p.user,
		"GET " + benchPrefix + "/users/@me/moves":                  p.moves,
		"GET " + benchPrefix + "/moves/" + benchMoveXID + "/ticks": p.ticks,
		"POST " + benchPrefix + "/users/@me/workouts":              p.workout,
	}, length: map[string]string{}, status: map[string]int{}}
	for k, v := range m.routes {
		m.length[k] = strconv.Itoa(len(v))
		m.status[k] = http.StatusOK
		if strings.HasPrefix(k, "POST ") {
			m.status[k] = http.StatusCreated
		}
	}
	return m
}

func (m *memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	key := r.Method + " " + r.URL.Path
	body, ok := m.routes[key]
	if !ok || r.Header.Get("Authorization") != "Bearer "+benchToken {
		return nil, fmt.Errorf("memTransport: unexpected %s %s", r.Method, r.URL)
	}
	return &http.Response{
		Status:        strconv.Itoa(m.status[key]),
		StatusCode:    m.status[key],
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}, "Content-Length": {m.length[key]}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}, nil
}

// benchSide is one implementation of a case, ready to run: a call and the
// function that cleans up after it.
type benchSide struct {
	impl string
	run  func(ctx context.Context) error
	done func()
}

// benchSides returns the implementations of bc over network, against the
// server at srvURL over loopback or from memory: plain, gen, sdk, and a
// second plain one.
func benchSides(bc benchCase, network, srvURL string, p *benchPayloads) []benchSide {
	newTransport := func() (http.RoundTripper, func()) {
		if network == "memory" {
			return newMemTransport(p), func() {}
		}
		tr := benchTransport()
		return tr, tr.CloseIdleConnections
	}
	base := srvURL + benchPrefix
	hand := func(impl string, call func(context.Context, *http.Client, string) error) benchSide {
		tr, done := newTransport()
		hc := &http.Client{Transport: tr}
		return benchSide{impl: impl, run: func(ctx context.Context) error { return call(ctx, hc, base) }, done: done}
	}
	tr, done := newTransport()
	c := sdkClient(srvURL, tr, benchToken)
	return []benchSide{
		hand("plain", bc.plain),
		hand("gen", bc.gen),
		{impl: "sdk", run: func(ctx context.Context) error { return bc.sdk(ctx, c) }, done: done},
		// A second plain side, with its own transport: the noise control.
		hand("plain-again", bc.plain),
	}
}

// forEachCase runs, for every case over loopback and from memory, a
// sub-benchmark named case=…/net=… with the sides of the case.
func forEachCase(b *testing.B, run func(b *testing.B, sides []benchSide)) {
	srvURL := benchServerURL(b)
	p, err := loadBenchPayloads()
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range benchCases() {
		for _, network := range []string{"loopback", "memory"} {
			b.Run("case="+bc.name+"/net="+network, func(b *testing.B) {
				sides := benchSides(bc, network, srvURL(network), p)
				for _, s := range sides {
					defer s.done()
				}
				run(b, sides)
			})
		}
	}
}

// BenchmarkCalls runs, for each case, each implementation as a
// sub-benchmark named case=…/net=…/impl=…, with b.ReportAllocs: the exact
// allocation counts of BENCHMARKS.md, and times for each side on its own.
func BenchmarkCalls(b *testing.B) {
	forEachCase(b, func(b *testing.B, sides []benchSide) {
		for _, side := range sides[:3] {
			b.Run("impl="+side.impl, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := side.run(b.Context()); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
}

// roundTarget is how long each implementation runs in a round of
// BenchmarkRatio.
const roundTarget = 20 * time.Millisecond

// BenchmarkRatio measures, for each case over loopback and from memory,
// the time of the SDK call against the hand-written calls in paired,
// interleaved rounds: each of b.N rounds runs every implementation the same
// number of times (about roundTarget each), in a random order drawn anew
// each round, and takes the ratio of the SDK's time per call to each
// baseline's. A third hand-written side, a second plain one, gives the
// noise: its ratio to the first plain side would be 1 on a quiet machine.
// It reports the median ratio and its 95% interval (distribution-free,
// from the order statistics), and the allocations per call of each side.
// Run it with -benchtime=Nx for N rounds.
func BenchmarkRatio(b *testing.B) { forEachCase(b, ratioRounds) }

// ratioRounds runs BenchmarkRatio's rounds over sides: plain, gen, sdk and
// plain-again.
func ratioRounds(b *testing.B, sides []benchSide) {
	ctx := b.Context()
	// Every side makes the same number of calls a round, enough for the
	// plain side to last about roundTarget: a side making fewer would pay
	// the cost of coming after another side (caches, the collector) over
	// fewer calls.
	var warm []time.Duration
	for range 5 {
		for _, s := range sides {
			start := time.Now()
			if err := s.run(ctx); err != nil {
				b.Fatal(err)
			}
			warm = append(warm, time.Since(start))
		}
	}
	slices.Sort(warm)
	calls := max(1, int(roundTarget/warm[len(warm)/2]))
	perCall := make([][]float64, len(sides)) // seconds per call, by side, round after round
	// The sides run in a new random order each round, so that no side always
	// follows the same one (and inherits, say, the collector's debt of its
	// allocations); the seed is fixed, so the orders are the same every run.
	order := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	for range b.N {
		for _, i := range order.Perm(len(sides)) {
			start := time.Now()
			for range calls {
				if err := sides[i].run(ctx); err != nil {
					b.Fatal(err)
				}
			}
			perCall[i] = append(perCall[i], time.Since(start).Seconds()/float64(calls))
		}
	}
	b.StopTimer()
	report := func(name string, num, den []float64) {
		ratios := make([]float64, len(num))
		for r := range num {
			ratios[r] = num[r] / den[r]
		}
		med, lo, hi := medianInterval(ratios)
		b.ReportMetric(med, name+"-median")
		b.ReportMetric(lo, name+"-lo95")
		b.ReportMetric(hi, name+"-hi95")
	}
	report("sdk/plain", perCall[2], perCall[0])
	report("sdk/gen", perCall[2], perCall[1])
	report("plain-again/plain", perCall[3], perCall[0])
	for i, s := range sides[:3] {
		b.ReportMetric(testing.AllocsPerRun(20, func() { _ = s.run(ctx) }), s.impl+"-allocs/call")
		b.ReportMetric(median(perCall[i])*1e6, s.impl+"-µs/call")
	}
}

// medianInterval returns the median of xs and a distribution-free 95%
// interval for it: the k-th smallest and the k-th largest values, k the
// largest rank with P(B < k) ≤ 2.5% for B ~ Binomial(len(xs), 1/2). With
// fewer than 6 values no such rank exists, and the interval is the range.
func medianInterval(xs []float64) (med, lo, hi float64) {
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	med = median(s)
	k := 0
	for binomialCDF(n, k) <= 0.025 {
		k++
	}
	if k == 0 {
		return med, s[0], s[n-1]
	}
	return med, s[k-1], s[n-k]
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// binomialCDF is P(B ≤ k) for B ~ Binomial(n, 1/2).
func binomialCDF(n, k int) float64 {
	sum, c := 0.0, 1.0 // c is C(n, i)
	for i := 0; i <= k && i <= n; i++ {
		sum += c
		c = c * float64(n-i) / float64(i+1)
	}
	return sum / math.Pow(2, float64(n))
}

// TestMedianInterval checks the interval's ranks against the table of the
// sign test: for 10 values the 2nd and 9th, for 30 the 10th and 21st.
func TestMedianInterval(t *testing.T) {
	for _, tt := range []struct{ n, lo, hi int }{{10, 2, 9}, {30, 10, 21}, {5, 1, 5}, {6, 1, 6}} {
		xs := make([]float64, tt.n)
		for i := range xs {
			xs[i] = float64(tt.n - i) // 1..n, reversed
		}
		_, lo, hi := medianInterval(xs)
		if lo != float64(tt.lo) || hi != float64(tt.hi) {
			t.Errorf("n=%d: interval [%v, %v], want ranks %d and %d", tt.n, lo, hi, tt.lo, tt.hi)
		}
	}
}

// BenchmarkRefreshStorm measures the single-flight refresh under
// contention: each iteration expires the access token and has 100
// goroutines call User at once. refreshes/op must stay at 1.
func BenchmarkRefreshStorm(b *testing.B) {
	const callers = 100
	s := newBenchServer(b)
	tr := benchTransport()
	defer tr.CloseIdleConnections()
	c := sdkClient(s.URL, tr, benchToken)
	c.SetToken(&oauth2.Token{AccessToken: benchToken, TokenType: "Bearer", RefreshToken: "bench-refresh"})
	before := s.refreshs.Load()
	b.ReportAllocs()
	for b.Loop() {
		s.expire()
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, callers)
		for range callers {
			wg.Go(func() {
				<-start
				if _, _, err := c.User(b.Context()); err != nil {
					errs <- err
				}
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
	}
	refreshes := float64(s.refreshs.Load()-before) / float64(b.N)
	if refreshes != 1 {
		b.Errorf("%.2f refreshes per storm, want 1", refreshes)
	}
	b.ReportMetric(refreshes, "refreshes/op")
	b.ReportMetric(callers, "callers/op")
}
