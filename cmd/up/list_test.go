package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/upapi/up-go/gen"
)

// refItems lists a resource straight from the fake, in one page, outside the
// SDK: each item's JSON as UP sent it.
func (e *env) refItems(name string, query url.Values) []string {
	e.t.Helper()
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("limit", "100000")
	var env struct {
		Data struct {
			Items []json.RawMessage `json:"items"`
			Links struct {
				Next *string `json:"next"`
			} `json:"links"`
		} `json:"data"`
	}
	if err := json.Unmarshal(e.rawGet("/users/@me/"+name+"?"+q.Encode()), &env); err != nil {
		e.t.Fatal(err)
	}
	if env.Data.Links.Next != nil {
		e.t.Fatalf("the reference list of %s has more than one page", name)
	}
	out := make([]string, len(env.Data.Items))
	for i, item := range env.Data.Items {
		var b bytes.Buffer
		if err := json.Compact(&b, item); err != nil {
			e.t.Fatal(err)
		}
		out[i] = b.String()
	}
	return out
}

// decodeStrict decodes an item into the generated type of its resource,
// refusing fields the type does not have.
func decodeStrict(name string, b []byte) error {
	var v any
	switch name {
	case "moves":
		v = new(gen.Move)
	case "workouts":
		v = new(gen.Workout)
	case "sleeps":
		v = new(gen.Sleep)
	case "meals":
		v = new(gen.Meal)
	case "body_events":
		v = new(gen.BodyEvent)
	case "heartrates":
		v = new(gen.HeartRate)
	case "generic_events":
		v = new(gen.GenericEvent)
	case "bandevents":
		v = new(gen.BandEvent)
	case "cardiac_events":
		v = new(cardiacEvent)
	default:
		return fmt.Errorf("no type for %s", name)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// ids returns each item's xid, or its time_created when it has none (band
// events), as a string.
func ids(t testing.TB, items []string) []string {
	t.Helper()
	out := make([]string, len(items))
	for i, item := range items {
		var v struct {
			XID         string `json:"xid"`
			TimeCreated int64  `json:"time_created"`
			Date        int    `json:"date"`
		}
		if err := json.Unmarshal([]byte(item), &v); err != nil {
			t.Fatal(err)
		}
		out[i] = v.XID
		if v.XID == "" {
			out[i] = fmt.Sprint(v.Date)
		}
	}
	return out
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func TestListEveryResourceEveryFormat(t *testing.T) {
	e := newEnv(t)
	e.loggedIn()
	since, until := time.Date(2015, 5, 20, 0, 0, 0, 0, time.UTC), time.Date(2015, 6, 15, 0, 0, 0, 0, time.UTC)
	rangeQuery := url.Values{"start_time": {fmt.Sprint(since.Unix())}, "end_time": {fmt.Sprint(until.Unix())}}
	total := 0
	for _, name := range resourceNames() {
		t.Run(name, func(t *testing.T) {
			ref := e.refItems(name, rangeQuery)
			total += len(ref)
			args := []string{"list", name, "--since", "2015-05-20", "--until", "20150615", "--limit", "3"}

			// jsonl: each item as UP sent it, one a line, across pages of 3.
			got := lines(e.ok(append(args, "--format", "jsonl")...))
			if !slices.Equal(got, ref) {
				t.Errorf("jsonl: %d lines differ from UP's %d items:\n got %.300q\nwant %.300q", len(got), len(ref), got, ref)
			}
			for _, line := range got {
				if err := decodeStrict(name, []byte(line)); err != nil {
					t.Errorf("jsonl line does not decode into the generated type: %v: %s", err, line)
				}
			}

			// json: one array of the same items.
			out := e.ok(append(args, "--format", "json")...)
			var arr []json.RawMessage
			if err := json.Unmarshal([]byte(out), &arr); err != nil {
				t.Fatalf("json: not one array: %v\n%s", err, out)
			}
			if len(arr) != len(ref) {
				t.Errorf("json: %d items, want %d", len(arr), len(ref))
			}
			for i := range min(len(arr), len(ref)) {
				var b bytes.Buffer
				_ = json.Compact(&b, arr[i])
				if b.String() != ref[i] {
					t.Errorf("json item %d = %s, want %s", i, b.String(), ref[i])
				}
			}

			// csv: a header, then a record per item, first column the xid.
			recs, err := csv.NewReader(strings.NewReader(e.ok(append(args, "--format", "csv")...))).ReadAll()
			if err != nil {
				t.Fatalf("csv does not parse: %v", err)
			}
			if len(recs) != len(ref)+1 {
				t.Fatalf("csv: %d records, want a header and %d", len(recs), len(ref))
			}
			header := recs[0]
			if !slices.Contains(header, "date") || !slices.Contains(header, "time_created") || !slices.Contains(header, "tz") {
				t.Errorf("csv header %q lacks date, time_created or tz", header)
			}
			refIDs := ids(t, ref)
			for i, rec := range recs[1:] {
				if len(rec) != len(header) {
					t.Errorf("csv record %d has %d fields, the header %d", i, len(rec), len(header))
				}
				if name == "bandevents" {
					if d := strings.ReplaceAll(rec[0], "-", ""); d != refIDs[i] {
						t.Errorf("csv record %d: date %s, want %s", i, rec[0], refIDs[i])
					}
				} else if rec[0] != refIDs[i] || header[0] != "xid" {
					t.Errorf("csv record %d: %s %q, want xid %s", i, header[0], rec[0], refIDs[i])
				}
			}

			// table: a header, then a row per item.
			rows := lines(e.ok(append(args, "--format", "table")...))
			if len(rows) != len(ref)+1 {
				t.Fatalf("table: %d lines, want a header and %d rows", len(rows), len(ref))
			}
			if !strings.Contains(rows[0], "date") {
				t.Errorf("table header %q", rows[0])
			}
			for i, row := range rows[1:] {
				if name != "bandevents" && !strings.HasPrefix(row, refIDs[i]+" ") {
					t.Errorf("table row %d = %q, want it to start with %s", i, row, refIDs[i])
				}
			}
		})
	}
	if total < 100 {
		t.Errorf("only %d items in all: the test proves little", total)
	}
}

func TestListColumns(t *testing.T) {
	e := newEnv(t)
	e.loggedIn()
	rows := lines(e.ok("list", "workouts", "--date", "2015-06-10"))
	if want := "xid                     date        time_created  title                 time    steps   km      calories"; len(rows) == 0 || rows[0] != want {
		t.Errorf("table header = %q, want %q", rows[0], want)
	}
	if len(rows) != 3 || !strings.Contains(rows[1], "2015-06-10") || !strings.Contains(rows[1], "1h10m") {
		t.Errorf("table:\n%s", strings.Join(rows, "\n"))
	}
	recs, err := csv.NewReader(strings.NewReader(e.ok("list", "workouts", "--date", "2015-06-10", "--format", "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := []string{"xid", "date", "time_created", "title", "time", "steps", "km", "calories",
		"time_completed", "time_updated", "sub_type", "intensity", "place_name", "tz"}
	if !slices.Equal(recs[0], wantHeader) {
		t.Errorf("csv header = %q, want %q", recs[0], wantHeader)
	}
	// CSV values are plain: seconds, and times in RFC 3339 in the event's zone.
	if rec := recs[1]; rec[4] != "4200" || !strings.HasSuffix(rec[2], "-07:00") || rec[13] != "America/Los_Angeles" {
		t.Errorf("csv record %q", rec)
	}
	// A field with a comma is quoted.
	out := e.ok("list", "meals", "--date", "2015-06-10", "--format", "csv")
	if !strings.Contains(out, `,"`) {
		t.Errorf("no quoted field in meals CSV:\n%s", out)
	}
}

func TestListSelects(t *testing.T) {
	e := newEnv(t)
	e.loggedIn()
	for _, tc := range []struct {
		name string
		args []string
		ref  url.Values
	}{
		{"date", []string{"--date", "2015-06-10"}, url.Values{"date": {"20150610"}}},
		{"compact date", []string{"--date", "20150601"}, url.Values{"date": {"20150601"}}},
		{"since", []string{"--since", "2015-06-12T08:00:00Z"}, url.Values{"start_time": {fmt.Sprint(time.Date(2015, 6, 12, 8, 0, 0, 0, time.UTC).Unix())}}},
		{"relative since", []string{"--since", "7d"}, url.Values{"start_time": {fmt.Sprint(testNow.AddDate(0, 0, -7).Unix())}}},
		{"hours", []string{"--since", "72h", "--until", "12h"},
			url.Values{"start_time": {fmt.Sprint(testNow.Add(-72 * time.Hour).Unix())}, "end_time": {fmt.Sprint(testNow.Add(-12 * time.Hour).Unix())}}},
		{"updated after", []string{"--updated-after", "2015-06-13"}, url.Values{"updated_after": {fmt.Sprint(time.Date(2015, 6, 13, 0, 0, 0, 0, time.UTC).Unix())}}},
		{"everything", nil, url.Values{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, name := range []string{"workouts", "meals", "sleeps"} {
				ref := e.refItems(name, tc.ref)
				got := lines(e.ok(append([]string{"list", name, "--format", "jsonl", "--limit", "4"}, tc.args...)...))
				if !slices.Equal(got, ref) {
					t.Errorf("%s %q: %d items, want UP's %d", name, tc.args, len(got), len(ref))
				}
				if len(ref) == 0 {
					t.Errorf("%s %q: UP has nothing: the case proves little", name, tc.args)
				}
			}
		})
	}
	// For band events, --updated-after selects what was created after.
	after := time.Date(2015, 6, 13, 0, 0, 0, 0, time.UTC)
	ref := e.refItems("bandevents", url.Values{"created_after": {fmt.Sprint(after.Unix())}})
	if got := lines(e.ok("list", "bandevents", "--updated-after", "2015-06-13", "--format", "jsonl")); len(ref) == 0 || !slices.Equal(got, ref) {
		t.Errorf("bandevents --updated-after: %d items, want UP's %d created after", len(got), len(ref))
	}
	// Every item of --date is of that day.
	for _, line := range lines(e.ok("list", "meals", "--date", "2015-06-10", "--format", "jsonl")) {
		var m gen.Meal
		if err := json.Unmarshal([]byte(line), &m); err != nil || int(m.Date) != 20150610 {
			t.Errorf("meal of --date 2015-06-10: %v %s", err, line)
		}
	}
}

func TestListMaxAndLimit(t *testing.T) {
	e := newEnv(t)
	e.loggedIn()
	e.s.ResetRequests()
	got := lines(e.ok("list", "moves", "--max", "5", "--limit", "2", "--format", "jsonl"))
	if len(got) != 5 {
		t.Errorf("--max 5: %d items", len(got))
	}
	if !slices.Equal(got, e.refItems("moves", nil)[:5]) {
		t.Error("--max 5: not the first five moves")
	}
	pages := 0
	for _, r := range e.s.Requests() {
		if strings.HasSuffix(r.Path, "/moves") {
			pages++
		}
	}
	if pages != 3+1 { // three pages of 2, and refItems' one
		t.Errorf("%d requests for moves, want 3 pages of 2 and the reference", pages)
	}
	e.s.ResetRequests()
	e.ok("list", "moves", "--max", "3")
	if r := e.s.Requests(); len(r) != 1 || !strings.Contains(r[0].RawQuery, "limit=3") {
		t.Errorf("--max 3 should ask for one page of 3: %+v", r)
	}
}

func TestListEmptyAndDeprecated(t *testing.T) {
	e := newEnv(t)
	e.loggedIn()
	stdout, stderr, code := e.run("list", "cardiac_events", "--date", "2015-06-14", "--format", "json")
	if code != exitOK || stdout != "[]\n" {
		t.Errorf("an empty json list: exit %d, %q", code, stdout)
	}
	if !strings.Contains(stderr, "cardiac_events are deprecated") {
		t.Errorf("no deprecation note: %q", stderr)
	}
	stdout, stderr, _ = e.run("list", "workouts", "--date", "2015-06-14")
	if lines(stdout)[0] == "" || len(lines(stdout)) != 1 || stderr != "(no workouts)\n" {
		t.Errorf("an empty table: %q, stderr %q", stdout, stderr)
	}
}

func TestListUsage(t *testing.T) {
	e := newEnv(t)
	e.loggedIn()
	e.fails(exitUsage, "list: name a resource: moves, workouts", "list")
	e.fails(exitUsage, `list: unknown resource "workout"; did you mean workouts? (resources: moves, workouts,`, "list", "workout")
	e.fails(exitUsage, `list: unknown resource "Body-Event"; did you mean body_events?`, "list", "Body-Event")
	e.fails(exitUsage, `list: unknown resource "frobs" (resources:`, "list", "frobs")
	e.fails(exitUsage, `list: "trends" is not a list resource: up get /users/@me/trends`, "list", "trends")
	e.fails(exitUsage, `list: "steps" is not a list resource: a move holds the day's steps: up list moves`, "list", "steps")
	e.fails(exitUsage, "list: unknown flag --sinc; did you mean --since? (see 'up list --help')", "list", "moves", "--sinc", "7d")
	e.fails(exitUsage, `list: unknown --format "jsno"; did you mean json?`, "list", "moves", "--format", "jsno")
	e.fails(exitUsage, "--date cannot be combined with --since", "list", "moves", "--date", "2015-06-01", "--since", "7d")
	e.fails(exitUsage, "--until needs --since", "list", "moves", "--until", "7d")
	e.fails(exitUsage, `--date "2015-02-30" is not a day`, "list", "moves", "--date", "2015-02-30")
	e.fails(exitUsage, `--since "yesterday": not a time`, "list", "moves", "--since", "yesterday")
	e.fails(exitUsage, "--until 2015-06-01 is before --since 2015-06-10", "list", "moves", "--since", "2015-06-10", "--until", "2015-06-01")
	e.fails(exitUsage, `unknown --format "xml"`, "list", "moves", "--format", "xml")
	e.fails(exitUsage, "cannot be negative", "list", "moves", "--limit", "-1")
	if out := e.ok("list", "body-events", "--max", "1", "--format", "jsonl"); len(lines(out)) != 1 {
		t.Errorf("body-events (with a hyphen): %q", out)
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2015, 6, 15, 19, 0, 0, 0, time.UTC)
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Skip(err)
	}
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"2015-06-01T08:00:00Z", time.Date(2015, 6, 1, 8, 0, 0, 0, time.UTC)},
		{"2015-06-01T08:00:00-07:00", time.Date(2015, 6, 1, 15, 0, 0, 0, time.UTC)},
		{"2015-06-01", time.Date(2015, 6, 1, 0, 0, 0, 0, la)},
		{"20150601", time.Date(2015, 6, 1, 0, 0, 0, 0, la)},
		{"7d", now.AddDate(0, 0, -7)},
		{"0d", now},
		{"36h", now.Add(-36 * time.Hour)},
		{"1h30m", now.Add(-90 * time.Minute)},
	} {
		got, err := parseTime(tc.in, now, la)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"yesterday", "-7d", "-3h", "7w", "2015-13-01", "1969-12-31T00:00:00Z"} {
		if got, err := parseTime(in, now, la); err == nil {
			t.Errorf("parseTime(%q) = %v, want an error", in, got)
		}
	}
}
