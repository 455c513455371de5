package up

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// largestRealPage is the largest page UP sends, as far as the recorded
// payloads show: 100 moves (a generous page size; UP's default is 10), each
// the recorded move of api/testdata with 24 hourly totals, the most a day
// has.
func largestRealPage(t *testing.T) []byte {
	t.Helper()
	raw, err := os.ReadFile("../api/testdata/moves_list.v1_0.full.json")
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Meta json.RawMessage `json:"meta"`
		Data struct {
			Items []map[string]any `json:"items"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &page); err != nil || len(page.Data.Items) == 0 {
		t.Fatalf("recorded moves: %v", err)
	}
	move := page.Data.Items[0]
	details := maps.Clone(move["details"].(map[string]any))
	var hour any
	for _, v := range details["hourly_totals"].(map[string]any) {
		hour = v
	}
	hours := map[string]any{}
	for h := range 24 {
		hours[fmt.Sprintf("20131121%02d", h)] = hour
	}
	details["hourly_totals"] = hours
	move = maps.Clone(move)
	move["details"] = details
	items := make([]map[string]any, 100)
	for i := range items {
		items[i] = move
	}
	b, err := json.Marshal(map[string]any{
		"meta": page.Meta,
		"data": map[string]any{
			"items": items,
			"size":  len(items),
			"links": map[string]string{"next": "/nudge/api/v.1.1/users/6xl39CsoVp2KirfHwVq_Fx/moves?page_token=1384390680&limit=100"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDefaultMaxResponseBytesCoversLargestPage computes the largest real
// page and checks that the default limit is far above it, and that the
// limit falls exactly where it says: the page decodes under a limit of its
// own length and fails under one byte less.
func TestDefaultMaxResponseBytesCoversLargestPage(t *testing.T) {
	page := largestRealPage(t)
	t.Logf("100 moves with hourly totals: %d bytes; DefaultMaxResponseBytes is %.0f times that", len(page), float64(DefaultMaxResponseBytes)/float64(len(page)))
	if DefaultMaxResponseBytes < 20*len(page) {
		t.Errorf("DefaultMaxResponseBytes %d is not far above the largest page, %d bytes", DefaultMaxResponseBytes, len(page))
	}
	for _, tt := range []struct {
		limit int64
		ok    bool
	}{{0, true}, {int64(len(page)), true}, {int64(len(page)) - 1, false}} {
		cfg := &Config{MaxResponseBytes: tt.limit, HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return textResponse(r, http.StatusOK, string(page)), nil
		})}}
		p, err := cfg.ClientFromAccessToken("tok").MovesPage(t.Context(), ListQuery{})
		switch {
		case tt.ok && (err != nil || len(p.Items) != 100 || p.Items[0].Details.Steps == 0):
			t.Errorf("limit %d: %v", tt.limit, err)
		case !tt.ok && !errors.Is(err, ErrResponseTooLarge):
			t.Errorf("limit %d: %v, want ErrResponseTooLarge", tt.limit, err)
		}
	}
}

// endless is a body that never ends: head, then body repeated forever. It
// counts the bytes read from it. So that a reader without a limit fails
// rather than exhausts the machine, it gives up with io.ErrUnexpectedEOF
// after giveUp bytes, far past any limit under test.
type endless struct {
	head, body string
	off        int64
	read       *atomic.Int64
}

const giveUp = 256 << 20

func (e *endless) Read(p []byte) (int, error) {
	if e.off >= giveUp {
		return 0, io.ErrUnexpectedEOF
	}
	n := 0
	for n < len(p) {
		var src string
		if e.off < int64(len(e.head)) {
			src = e.head[e.off:]
		} else {
			i := (e.off - int64(len(e.head))) % int64(len(e.body))
			src = e.body[i:]
		}
		k := copy(p[n:], src)
		n += k
		e.off += int64(k)
	}
	e.read.Add(int64(n))
	return n, nil
}

// endlessShapes are bodies that never end, in the shapes a page, a string,
// an object or mere padding would take.
var endlessShapes = map[string][2]string{
	"items":      {`{"meta":{"code":200,"message":"OK"},"data":{"items":[`, `{"xid":"x","date":20131121,"time_created":1384963500},`},
	"string":     {`{"meta":{"code":200},"data":{"title":"`, "abcdefghijklmnopqrstuvwxyz"},
	"whitespace": {"", " \n\t"},
	"keys":       {`{"meta":{"code":200},"data":{`, `"key":[1,2,3],`},
}

// jsonCalls are the ways a Client reads a JSON answer: an object, a page, an
// event, a write's envelope, an empty answer's envelope, the internal JSON
// GET, and the generated client.
var jsonCalls = map[string]func(ctx context.Context, c *Client) error{
	"User":      func(ctx context.Context, c *Client) error { _, _, err := c.User(ctx); return err },
	"MovesPage": func(ctx context.Context, c *Client) error { _, err := c.MovesPage(ctx, ListQuery{}); return err },
	"Workout":   func(ctx context.Context, c *Client) error { _, _, err := c.Workout(ctx, "xid"); return err },
	"CreateWorkout": func(ctx context.Context, c *Client) error {
		_, _, err := c.CreateWorkout(ctx, WorkoutCreate{SubType: 1, TimeCreated: Ptr(Epoch(1384963500)), TimeCompleted: Ptr(Epoch(1384967100))})
		return err
	},
	"DeleteWorkout": func(ctx context.Context, c *Client) error { _, err := c.DeleteWorkout(ctx, "xid"); return err },
	"API": func(ctx context.Context, c *Client) error {
		_, err := c.API().GetUserWithResponse(ctx, "@me")
		return err
	},
}

// TestEndlessBodyStopsAtLimit serves every JSON call a body that never
// ends, in every shape, and checks that the call fails with a
// *ResponseTooLargeError once it has read just past the limit.
func TestEndlessBodyStopsAtLimit(t *testing.T) {
	const limit = 64 << 10
	for name, call := range jsonCalls {
		for shape, parts := range endlessShapes {
			t.Run(name+"/"+shape, func(t *testing.T) {
				var read atomic.Int64
				cfg := &Config{MaxResponseBytes: limit, HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
					resp := textResponse(r, http.StatusOK, "")
					resp.Body = io.NopCloser(&endless{head: parts[0], body: parts[1], read: &read})
					return resp, nil
				})}}
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
				defer cancel()
				err := call(ctx, cfg.ClientFromAccessToken("tok"))
				var tooLarge *ResponseTooLargeError
				if !errors.As(err, &tooLarge) || !errors.Is(err, ErrResponseTooLarge) || tooLarge.Limit != limit {
					t.Fatalf("error %v, want a *ResponseTooLargeError for %d bytes", err, limit)
				}
				if !strings.Contains(tooLarge.Error(), "response body longer than 65536 bytes") {
					t.Errorf("Error() = %q", tooLarge.Error())
				}
				// One byte past the limit shows the body goes on; at most
				// maxDrain more are read to reuse the connection.
				if n := read.Load(); n <= limit || n > limit+1+maxDrain {
					t.Errorf("read %d bytes of the body, want %d to %d", n, limit+1, limit+1+maxDrain)
				}
			})
		}
	}
}

// TestEndlessBodyMemoryBounded streams an endless page from a real server
// (which gives up after 16 times the limit, so that a client without one
// fails rather than exhausts the machine)
// and checks that the Client stops reading just past the limit and that
// the memory it allocates meanwhile is bounded by a small multiple of the
// limit (an unbounded read of the same stream grew the heap by hundreds of
// MiB before it was stopped).
func TestEndlessBodyMemoryBounded(t *testing.T) {
	const limit = 4 << 20
	var written atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		chunk := []byte(strings.Repeat(endlessShapes["items"][1], 512))
		_, _ = io.WriteString(w, endlessShapes["items"][0])
		for r.Context().Err() == nil && written.Load() < 16*limit {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	var read atomic.Int64
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	cfg := &Config{BaseURL: srv.URL + apiPrefix, MaxResponseBytes: limit, HTTPClient: &http.Client{
		Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			resp, err := tr.RoundTrip(r)
			if err == nil {
				resp.Body = &countingBody{ReadCloser: resp.Body, n: &read}
			}
			return resp, err
		}),
	}}
	c := cfg.ClientFromAccessToken("tok")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := c.MovesPage(ctx, ListQuery{})
	runtime.ReadMemStats(&after)

	if !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("error %v, want ErrResponseTooLarge", err)
	}
	if n := read.Load(); n <= limit || n > limit+1+maxDrain {
		t.Errorf("read %d bytes, want %d to %d", n, limit+1, limit+1+maxDrain)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("read %d bytes of an endless page (the server wrote %d), allocating %d KiB", read.Load(), written.Load(), allocated>>10)
	if allocated > 16*limit {
		t.Errorf("allocated %d MiB to refuse a body at %d MiB", allocated>>20, limit>>20)
	}
}

// countingBody counts the bytes read through it.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	k, err := b.ReadCloser.Read(p)
	b.n.Add(int64(k))
	return k, err
}
