package up_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/upapi/up-go/up"
)

// pagesServer serves a collection of pages×perPage workouts, perPage to a
// page, each page linking to the next, generating every page on the fly so
// that the server holds none of them.
func pagesServer(tb testing.TB, pages, perPage int) *httptest.Server {
	tb.Helper()
	item := `{"xid":"w%07d","title":"Run","type":"workout","sub_type":2,"time_created":%d,"time_updated":%d,"time_completed":%d,"date":20131121,` +
		`"place_lat":"37.451572","place_lon":"-122.184435","place_acc":10,"place_name":"Gym","snapshot_image":"/nudge/image/e/1385107735/x.png",` +
		`"details":{"steps":5128,"time":2460,"bg_active_time":2163,"meters":5116,"km":5.116,"intensity":3,"calories":691,"bmr":56.07,"bg_calories":448.95,"bmr_calories":56.07,"tz":"America/Los_Angeles"}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page_token"))
		var b strings.Builder
		b.WriteString(`{"meta":{"user_xid":"u","message":"OK","code":200,"time":1386122022},"data":{"items":[`)
		for i := range perPage {
			if i > 0 {
				b.WriteByte(',')
			}
			n := page*perPage + i
			fmt.Fprintf(&b, item, n, 1384963500+n, 1385049599+n, 1385099220+n)
		}
		fmt.Fprintf(&b, `],"size":%d`, perPage)
		if page+1 < pages {
			fmt.Fprintf(&b, `,"links":{"next":"/nudge/api/v.1.1/users/u/workouts?page_token=%d&limit=%d"}`, page+1, perPage)
		}
		b.WriteString(`}}`)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(b.String()))
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// BenchmarkStreamWorkouts ranges over 100,000 workouts on 1,000 pages and
// reports the peak live heap seen between pages, which must stay at about
// one page whatever the number of pages.
func BenchmarkStreamWorkouts(b *testing.B) {
	const pages, perPage = 1000, 100
	srv := pagesServer(b, pages, perPage)
	cfg := &up.Config{BaseURL: srv.URL + "/nudge/api/v.1.1"}
	c := cfg.ClientFromAccessToken("access")
	b.ReportAllocs()
	var peak uint64
	var ms runtime.MemStats
	for b.Loop() {
		n := 0
		for w, err := range c.Workouts(b.Context(), up.ListQuery{Limit: perPage}) {
			if err != nil {
				b.Fatal(err)
			}
			if n%perPage == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
			_ = w
			n++
		}
		if n != pages*perPage {
			b.Fatalf("streamed %d workouts, want %d", n, pages*perPage)
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}
