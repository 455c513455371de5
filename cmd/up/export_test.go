package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/uptest"
)

// exportEnv is a logged-in user with a year of history: several thousand
// items, many pages.
func exportEnv(t testing.TB, opts ...uptest.Option) *env {
	t.Helper()
	e := newEnv(t, append([]uptest.Option{uptest.WithDays(365)}, opts...)...)
	e.loggedIn()
	return e
}

func readManifest(t testing.TB, dir string) manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, manifestFileName))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// readDir returns every file of dir by name.
func readDir(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, entry := range entries {
		b, err := os.ReadFile(filepath.Join(dir, entry.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[entry.Name()] = b
	}
	return files
}

// sameFiles checks that dirs a and b hold the same files, byte for byte.
func sameFiles(t testing.TB, a, b string) {
	t.Helper()
	fa, fb := readDir(t, a), readDir(t, b)
	names := func(m map[string][]byte) []string {
		var n []string
		for k := range m {
			n = append(n, k)
		}
		slices.Sort(n)
		return n
	}
	if !slices.Equal(names(fa), names(fb)) {
		t.Fatalf("the exports hold different files: %q and %q", names(fa), names(fb))
	}
	for name, data := range fa {
		if !bytes.Equal(data, fb[name]) {
			t.Errorf("%s differs: %d and %d bytes", name, len(data), len(fb[name]))
		}
	}
}

func TestExport(t *testing.T) {
	e := exportEnv(t)
	dir := filepath.Join(t.TempDir(), "export")
	stderr := e.quiet("export", dir)
	if !strings.Contains(stderr, "export: moves: 365 items in 4 pages\n") ||
		!strings.Contains(stderr, "export: move_ticks: ") || !strings.Contains(stderr, " ticks of 365 moves in 365 requests\n") ||
		!regexp.MustCompile(`\nExported 9 resources \(\d+ items\), 3 tick series \(\d+ ticks\) and 4 objects into `+regexp.QuoteMeta(dir)+` \(see .*manifest.json\)\.\n$`).MatchString(stderr) {
		t.Errorf("stderr %q", stderr)
	}
	m := readManifest(t, dir)
	if m.SDKVersion != up.Version || m.UserXID != e.s.UserXID() || m.BaseURL != e.s.URL ||
		!m.Range.Since.Equal(time.Unix(0, 0)) || !m.Range.Until.Equal(testNow) || !m.Started.Equal(testNow) || !m.Finished.Equal(testNow) {
		t.Errorf("manifest: %+v", m)
	}
	files := readDir(t, dir)
	var names []string
	total := 0
	byName := map[string]manifestResource{}
	all := url.Values{"start_time": {"0"}, "end_time": {fmt.Sprint(testNow.Unix())}}
	for _, r := range m.Resources {
		names = append(names, r.Name)
		byName[r.Name] = r
		if r.TicksOf != "" {
			continue
		}
		total += r.Count
		got := lines(string(files[r.File]))
		ref := e.refItems(r.Name, all)
		if !slices.Equal(got, ref) {
			t.Errorf("%s: %d lines differ from UP's %d items", r.Name, len(got), len(ref))
		}
		if r.Count != len(got) || r.Count == 0 {
			t.Errorf("%s: the manifest counts %d, the file holds %d", r.Name, r.Count, len(got))
		}
		if want := (r.Count + defaultLimit - 1) / defaultLimit; r.Pages != want {
			t.Errorf("%s: %d pages, want %d", r.Name, r.Pages, want)
		}
		if len(ref) > 0 {
			var first, last struct {
				TimeCreated int64 `json:"time_created"`
				Date        up.Date
			}
			_ = json.Unmarshal([]byte(ref[0]), &first)
			_ = json.Unmarshal([]byte(ref[len(ref)-1]), &last)
			if r.FirstTimeCreated != time.Unix(first.TimeCreated, 0).UTC().Format(time.RFC3339) ||
				r.LastTimeCreated != time.Unix(last.TimeCreated, 0).UTC().Format(time.RFC3339) {
				t.Errorf("%s: first/last time_created %s %s, want those of %s and %s", r.Name, r.FirstTimeCreated, r.LastTimeCreated, ref[0], ref[len(ref)-1])
			}
			if r.FirstDate == "" || r.LastDate < r.FirstDate {
				t.Errorf("%s: first/last date %q %q", r.Name, r.FirstDate, r.LastDate)
			}
		}
		if r.Deprecated != (r.Name == "cardiac_events") {
			t.Errorf("%s: deprecated %v", r.Name, r.Deprecated)
		}
	}
	if want := slices.Concat(resourceNames(), tickNames()); !slices.Equal(names, want) {
		t.Errorf("manifest resources %q, want %q", names, want)
	}
	if total < 3000 {
		t.Errorf("only %d items exported; the test wants several thousand", total)
	}
	// Each event's ticks, in the order of the events' file.
	for _, series := range tickSeries() {
		r, ev := byName[series.name], byName[series.events]
		got := lines(string(files[r.File]))
		events := ids(t, lines(string(files[ev.File])))
		if r.TicksOf != series.events || r.Events != ev.Count || len(got) != ev.Count || r.Pages != ev.Count || r.NotFound != 0 {
			t.Errorf("%s: %+v for %d %s, %d lines", series.name, r, ev.Count, series.events, len(got))
			continue
		}
		count := 0
		for i, line := range got {
			var l struct {
				XID   string            `json:"xid"`
				Ticks []json.RawMessage `json:"ticks"`
			}
			if err := json.Unmarshal([]byte(line), &l); err != nil || l.XID != events[i] {
				t.Fatalf("%s line %d is not the ticks of event %s: %v %.100s", series.name, i, events[i], err, line)
			}
			count += len(l.Ticks)
			if i%50 == 0 || i == len(got)-1 { // a sample, against UP's answer
				var page struct {
					Data struct {
						Items json.RawMessage `json:"items"`
					} `json:"data"`
				}
				if err := json.Unmarshal(e.rawGet("/"+series.events+"/"+l.XID+"/ticks"), &page); err != nil {
					t.Fatal(err)
				}
				var b bytes.Buffer
				_ = json.Compact(&b, page.Data.Items)
				if want := `{"xid":"` + l.XID + `","ticks":` + b.String() + `}`; line != want {
					t.Errorf("%s line %d = %.200s, want %.200s", series.name, i, line, want)
				}
			}
		}
		if count != r.Count || count < ev.Count {
			t.Errorf("%s: %d ticks in the file, the manifest counts %d", series.name, count, r.Count)
		}
	}
	var user gen.User
	if err := json.Unmarshal(files["user.json"], &user); err != nil || user.XID != e.s.UserXID() {
		t.Errorf("user.json: %v %+v", err, user)
	}
	var goals gen.Goals
	if err := json.Unmarshal(files["goals.json"], &goals); err != nil || goals.MoveSteps == 0 {
		t.Errorf("goals.json: %v %+v", err, goals)
	}
	if len(m.Objects) != 4 || m.Objects[0].Name != "user" || m.Objects[0].File != "user.json" {
		t.Errorf("manifest objects %+v", m.Objects)
	}
	if _, err := os.Stat(filepath.Join(dir, stateFileName)); !os.IsNotExist(err) {
		t.Errorf("the state file is left after a finished export: %v", err)
	}
	for name := range files {
		if info, _ := os.Stat(filepath.Join(dir, name)); info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %o, want 600", name, info.Mode().Perm())
		}
	}

	// --no-ticks leaves them out; --resources names them.
	dir = filepath.Join(t.TempDir(), "no-ticks")
	e.quiet("export", dir, "--no-ticks")
	for _, r := range readManifest(t, dir).Resources {
		if r.TicksOf != "" {
			t.Errorf("--no-ticks exported %s", r.Name)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "move_ticks.jsonl")); !os.IsNotExist(err) {
		t.Errorf("--no-ticks wrote move_ticks.jsonl: %v", err)
	}
	dir = filepath.Join(t.TempDir(), "sleeps")
	e.quiet("export", dir, "--resources", "sleep_ticks,sleeps", "--since", "30d")
	if m := readManifest(t, dir); len(m.Resources) != 2 || m.Resources[1].Name != "sleep_ticks" || m.Resources[1].Events != m.Resources[0].Count {
		t.Errorf("--resources sleep_ticks,sleeps: %+v", m.Resources)
	}
	e.fails(exitUsage, "export: sleep_ticks are exported with their events: add sleeps to --resources", "export", dir, "--resources", "sleep_ticks")
	e.fails(exitUsage, "export: --resources names move_ticks, which --no-ticks leaves out", "export", dir, "--resources", "moves,move_ticks", "--no-ticks")
}

// answerCounter counts the API answers and calls onAnswer with the count
// after each.
type answerCounter struct {
	mu       sync.Mutex
	n        int
	onAnswer func(n int)
}

func (p *answerCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && strings.Contains(req.URL.Path, "/nudge/api/") {
		p.mu.Lock()
		p.n++
		n := p.n
		p.mu.Unlock()
		p.onAnswer(n)
	}
	return resp, err
}

// apiRequests counts the API requests the fake served.
func apiRequests(s *uptest.Server) int {
	n := 0
	for _, r := range s.Requests() {
		if strings.HasPrefix(r.Path, "/nudge/api/") {
			n++
		}
	}
	return n
}

// interruptedExport runs export args, interrupted (as by Ctrl-C) once n
// answers have arrived, and returns its stderr.
func (e *env) interruptedExport(n int, args ...string) string {
	e.t.Helper()
	ctx, cancel := context.WithCancel(e.t.Context())
	defer cancel()
	a, stdout, stderr := e.app()
	a.httpClient = &http.Client{Transport: &answerCounter{onAnswer: func(got int) {
		if got == n {
			cancel()
		}
	}}}
	if code := a.run(ctx, append([]string{"export"}, args...)); code != exitInterrupted || stdout.String() != "" {
		e.t.Fatalf("interrupted export: exit %d, stdout %q: %s", code, stdout, stderr)
	}
	last := lastLine(stderr.String())
	if !regexp.MustCompile(`^up: export interrupted after \d+ answers? committed this run; run the same command again to resume\n$`).MatchString(last) {
		e.t.Errorf("the interruption says %q", last)
	}
	return stderr.String()
}

// checkState checks that the state in dir is coherent with its files: each
// file at least as long as committed, each tick series behind its events.
func checkState(t testing.TB, dir string) *exportState {
	t.Helper()
	st, err := loadState(filepath.Join(dir, stateFileName))
	if err != nil || st == nil {
		t.Fatalf("no export state after the interruption: %v", err)
	}
	for name, rs := range st.Resources {
		info, err := os.Stat(filepath.Join(dir, rs.File))
		if rs.Committed > 0 && (err != nil || info.Size() < rs.Committed) {
			t.Errorf("%s: committed %d bytes, the file: %v %v", name, rs.Committed, info, err)
		}
		if tk := lookupTicks(name); tk != nil && rs.Events > st.Resources[tk.events].Count {
			t.Errorf("%s: %d events committed, ahead of the %d %s", name, rs.Events, st.Resources[tk.events].Count, tk.events)
		}
	}
	return st
}

func TestExportInterruptedThenResumed(t *testing.T) {
	e := exportEnv(t)
	args := []string{"--limit", "50", "--since", "2014-12-15"}
	whole := filepath.Join(t.TempDir(), "whole")
	e.s.ResetRequests()
	e.quiet(append([]string{"export", whole}, args...)...)
	requests := apiRequests(e.s)

	dir := filepath.Join(t.TempDir(), "resumed")
	e.s.ResetRequests()
	// Ctrl-C after the third answer: the first pages of a few resources.
	e.interruptedExport(3, append([]string{dir}, args...)...)
	st := checkState(t, dir)
	var partial, unstarted *resourceState
	for _, name := range resourceNames() {
		switch rs := st.Resources[name]; {
		case rs == nil || rs.Pages == 0:
			unstarted = &resourceState{File: name + ".jsonl"}
		case !rs.Done && partial == nil:
			partial = rs
		}
	}
	if partial == nil || unstarted == nil {
		t.Fatalf("three answers in, a resource should be under way and another not begun: %+v", st.Resources)
	}
	// A crash between writing a page and saving the state leaves bytes past
	// the committed length; the resumed export drops them.
	appendTo(t, filepath.Join(dir, partial.File), `{"xid":"uncommitted","da`)
	// A file left in DIR by something else is replaced, not appended to.
	if err := os.WriteFile(filepath.Join(dir, unstarted.File), bytes.Repeat([]byte("stale\n"), 200000), 0o600); err != nil {
		t.Fatal(err)
	}

	// Resumed, and interrupted again among the ticks.
	stderr := e.interruptedExport(300, append([]string{dir}, args...)...)
	if !strings.Contains(stderr, "export: resuming the export into "+dir) || !strings.Contains(stderr, "resuming after") {
		t.Errorf("the resumed export does not say it resumes: %s", stderr)
	}
	st = checkState(t, dir)
	ticks := st.Resources["move_ticks"]
	if ticks == nil || ticks.Events == 0 || ticks.Done {
		t.Fatalf("300 answers in, the ticks of moves should be under way: %+v", ticks)
	}
	appendTo(t, filepath.Join(dir, ticks.File), `{"xid":"uncommitted","ticks":[{"ti`)

	stderr = e.quiet(append([]string{"export", dir}, args...)...)
	if !strings.Contains(stderr, "export: move_ticks: resuming after ") {
		t.Errorf("the resumed export does not say it resumes the ticks: %s", stderr)
	}
	// No request was made twice: the three runs made the requests of one.
	if got := apiRequests(e.s); got != requests {
		t.Errorf("the three runs made %d requests, the uninterrupted export %d", got, requests)
	}
	sameFiles(t, whole, dir)
}

// appendTo appends s to the file at path.
func appendTo(t testing.TB, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(s)
	_ = f.Close()
}

func TestExportResumedAfterAFault(t *testing.T) {
	e := exportEnv(t)
	args := []string{"--limit", "40", "--since", "2015-01-01"}
	whole := filepath.Join(t.TempDir(), "whole")
	e.quiet(append([]string{"export", whole}, args...)...)

	dir := filepath.Join(t.TempDir(), "resumed")
	remove := e.s.Inject(uptest.Fault{Path: "/users/@me/meals", Kind: uptest.FaultStatus, Status: http.StatusInternalServerError, Probability: 0.3})
	_, stderr, code := e.run(append([]string{"export", dir}, args...)...)
	remove()
	if code != exitAPI {
		t.Errorf("exit %d, want %d", code, exitAPI)
	}
	checkOneLine(t, lastLine(stderr), "up: export stopped at meals: UP API error: GET")
	if !strings.HasSuffix(stderr, "500 Internal Server Error: INTERNAL_SERVER_ERROR: the server is answering with an injected fault; run the same command again to resume\n") {
		t.Errorf("the error does not say how to resume: %s", stderr)
	}
	st := checkState(t, dir)
	if st.Resources["meals"] == nil || st.Resources["meals"].Done {
		t.Fatalf("the fault should stop the export within meals: %+v", st.Resources["meals"])
	}
	e.quiet(append([]string{"export", dir}, args...)...)
	sameFiles(t, whole, dir)
}

func TestExportRefusesOtherParameters(t *testing.T) {
	e := exportEnv(t)
	dir := filepath.Join(t.TempDir(), "export")
	e.interruptedExport(2, dir)
	e.fails(exitUsage, "holds an unfinished export with other parameters (--since \"\" --until \"\" --resources moves,", "export", dir, "--since", "30d")
	e.fails(exitUsage, "other parameters", "export", dir, "--resources", "moves")
	e.fails(exitUsage, "other parameters", "export", dir, "--no-ticks")
	stderr := e.quiet("export", dir, "--since", "30d", "--resources", "workouts,user", "--restart")
	if !regexp.MustCompile(`Exported 1 resource \(\d+ items\) and 1 object into `).MatchString(stderr) {
		t.Errorf("the summary of one resource and one object: %s", stderr)
	}
	m := readManifest(t, dir)
	if len(m.Resources) != 1 || m.Resources[0].Name != "workouts" || len(m.Objects) != 1 || m.Range.SinceArg != "30d" ||
		!m.Range.Since.Equal(testNow.AddDate(0, 0, -30)) {
		t.Errorf("manifest after --restart: %+v", m)
	}
	if files := readDir(t, dir); len(files) != 3 { // workouts.jsonl, user.json, manifest.json
		t.Errorf("--restart kept files of the export it replaced: %d files", len(files))
	}
	e.fails(exitUsage, `export: unknown resource "moevs"; did you mean moves?`, "export", dir, "--resources", "moves,moevs")
	e.fails(exitUsage, "export: name the directory", "export")
	e.fails(exitUsage, "export: --concurrency must be between 1 and 16", "export", dir, "--concurrency", "0")
}

func TestExportRefusesAFinishedExport(t *testing.T) {
	e := exportEnv(t)
	dir := filepath.Join(t.TempDir(), "export")
	e.quiet("export", dir, "--since", "20d")
	before := readDir(t, dir)
	e.fails(exitUsage, dir+" holds a finished export (manifest.json, finished 2015-06-15T19:00:00Z): pass --restart to replace it, or name another directory", "export", dir, "--since", "20d")
	e.fails(exitUsage, "holds a finished export", "export", dir, "--since", "10d")
	if after := readDir(t, dir); len(after) != len(before) || !bytes.Equal(after[manifestFileName], before[manifestFileName]) {
		t.Error("a refused export changed the finished one")
	}
	// --restart replaces it, without the ticks files the new one does not write.
	e.quiet("export", dir, "--since", "10d", "--no-ticks", "--restart")
	if m := readManifest(t, dir); m.Range.SinceArg != "10d" {
		t.Errorf("--restart did not export anew: %+v", m.Range)
	}
	if _, err := os.Stat(filepath.Join(dir, "move_ticks.jsonl")); !os.IsNotExist(err) {
		t.Errorf("--restart kept move_ticks.jsonl of the previous export: %v", err)
	}
}

func TestExportDirectoryAdvice(t *testing.T) {
	e := exportEnv(t)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	// --restart cannot help with a file, and is not suggested.
	stderr := e.fails(exitUsage, "export: "+file+" is a file, not a directory: name a directory to export into", "export", file)
	e.fails(exitUsage, "is inside a file, not a directory", "export", filepath.Join(file, "sub"))
	// A damaged state is what --restart is for.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, stateFileName), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	stderr += e.fails(exitFailure, "is damaged (invalid character 'n' looking for beginning of object key string): pass --restart to start over", "export", dir)
	if err := os.WriteFile(filepath.Join(dir, stateFileName), []byte(`{"version": 1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	e.fails(exitFailure, "was written by another version of up (state version 1, this one reads 2): pass --restart to start over", "export", dir)
	e.quiet("export", dir, "--since", "3d", "--restart")
	if strings.Count(stderr, "--restart") != 1 {
		t.Errorf("--restart suggested where it cannot help: %s", stderr)
	}
}

func TestExportSkipsWhatTheTokenMayNotRead(t *testing.T) {
	e := newEnv(t)
	e.loggedIn("basic_read", "move_read")
	dir := filepath.Join(t.TempDir(), "export")
	stderr := e.quiet("export", dir, "--resources", "friends,moves,meals,bandevents,sleeps,sleep_ticks")
	m := readManifest(t, dir)
	if len(m.Objects) != 1 || m.Objects[0].Skipped == "" || m.Objects[0].File != "" {
		t.Errorf("friends should be skipped: %+v", m.Objects)
	}
	got := map[string]manifestResource{}
	for _, r := range m.Resources {
		got[r.Name] = r
	}
	if !strings.Contains(got["meals"].Skipped, "403 Forbidden") || got["meals"].File != "" || got["moves"].Count == 0 || got["bandevents"].Count == 0 {
		t.Errorf("manifest resources: %+v", m.Resources)
	}
	if !strings.HasPrefix(got["sleep_ticks"].Skipped, "not exported, as sleeps were skipped: UP refused access (403 Forbidden)") || got["sleep_ticks"].File != "" {
		t.Errorf("sleep_ticks: %+v", got["sleep_ticks"])
	}
	if !strings.Contains(stderr, "export: meals: skipped: UP refused access (403 Forbidden)") {
		t.Errorf("stderr: %s", stderr)
	}
	for _, f := range []string{"meals.jsonl", "sleeps.jsonl", "sleep_ticks.jsonl", "friends.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("a skipped resource left %s: %v", f, err)
		}
	}
}

// inFlight is a transport that records how many requests were in flight at
// once, and when each was sent and answered.
type inFlight struct {
	mu        sync.Mutex
	now, peak int
	sent      []time.Time
	answered  map[int]time.Time // status 429 answers, by when
}

func (f *inFlight) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.now++
	f.peak = max(f.peak, f.now)
	f.sent = append(f.sent, time.Now())
	f.mu.Unlock()
	resp, err := http.DefaultTransport.RoundTrip(req)
	f.mu.Lock()
	f.now--
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		f.answered[len(f.answered)] = time.Now()
	}
	f.mu.Unlock()
	return resp, err
}

func TestExportConcurrency(t *testing.T) {
	e := exportEnv(t)
	e.s.Inject(uptest.Fault{Kind: uptest.FaultLatency, Latency: 5 * time.Millisecond})
	for _, n := range []int{1, 3} {
		a, _, stderr := e.app()
		f := &inFlight{answered: map[int]time.Time{}}
		a.httpClient = &http.Client{Transport: f}
		dir := filepath.Join(t.TempDir(), "export")
		if code := a.run(t.Context(), []string{"export", dir, "--since", "60d", "--concurrency", fmt.Sprint(n)}); code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if f.peak != n {
			t.Errorf("--concurrency %d: at most %d requests in flight", n, f.peak)
		}
	}
}

func TestExportSlowsDownOn429(t *testing.T) {
	e := exportEnv(t)
	whole := filepath.Join(t.TempDir(), "whole")
	e.quiet("export", whole, "--since", "60d")

	e.s.Inject(uptest.Fault{Kind: uptest.FaultLatency, Latency: 5 * time.Millisecond})
	e.s.Inject(uptest.Fault{Path: "/users/@me/sleeps", Kind: uptest.FaultStatus, Status: http.StatusTooManyRequests, RetryAfter: time.Second, Count: 1})
	a, stdout, stderr := e.app()
	f := &inFlight{answered: map[int]time.Time{}}
	a.httpClient = &http.Client{Transport: f}
	dir := filepath.Join(t.TempDir(), "export")
	if code := a.run(t.Context(), []string{"export", dir, "--since", "60d"}); code != exitOK || stdout.String() != "" {
		t.Fatalf("exit %d, stdout %q: %s", code, stdout, stderr)
	}
	if !strings.Contains(stderr.String(), "export: UP answered 429 Too Many Requests: pausing every request for 1s, then at most 2 requests at once\n") {
		t.Errorf("stderr: %s", stderr)
	}
	// No request at all went out in the second UP asked for.
	at, ok := f.answered[0]
	if !ok {
		t.Fatal("no 429 reached the client")
	}
	for _, sent := range f.sent {
		if sent.After(at) && sent.Before(at.Add(time.Second-20*time.Millisecond)) {
			t.Errorf("a request went out %s after the 429, within its Retry-After of 1s", sent.Sub(at))
		}
	}
	sameFiles(t, whole, dir)
}

func TestProgressOnATerminal(t *testing.T) {
	master, tty := openPTY(t, 200)
	a := newApp(strings.NewReader(""), io.Discard, tty, func(string) string { return "" })
	p := newProgress(a, []string{"moves", "sleeps", "move_ticks"})
	if p.term == nil || p.width() != 200 {
		t.Fatalf("a 200-column terminal: term %v, width %d", p.term, p.width())
	}
	long := strings.Repeat("x", 150)
	st := &exportState{Resources: map[string]*resourceState{}}
	p.update(st, 0)
	st.Resources["moves"] = &resourceState{Count: 100}
	p.update(st, 1)
	st.Resources["moves"] = &resourceState{Count: 120, Pages: 2, Done: true}
	st.Resources["sleeps"] = &resourceState{Count: 50}
	st.Resources["move_ticks"] = &resourceState{Count: 9000, Events: 100}
	p.update(st, 4)
	p.logf("export: %s", long)
	p.close()
	_ = tty.Close()
	b, _ := io.ReadAll(master) // the terminal ends with EIO once the other side is closed
	out := strings.ReplaceAll(string(b), "\r\n", "\n")
	if strings.Count(out, "\n") != 2 || !strings.HasSuffix(out, "\n") {
		t.Errorf("the progress line should be redrawn in place, with one log line: %q", out)
	}
	if !strings.Contains(out, "\r\x1b[Kexport: "+long+"\n") {
		t.Errorf("a log line should clear the progress line, and not be cut: %q", out)
	}
	last := strings.TrimSpace(strings.TrimPrefix(out[strings.LastIndex(out, "\r")+1:], "\x1b[K"))
	if !strings.HasPrefix(last, "export: moves 120 ✓ · sleeps 50 · move_ticks 100 | 4 pages,") || !strings.Contains(last, "items/s") {
		t.Errorf("last progress line %q", last)
	}

	// A narrow terminal cuts the line from the left.
	p.term = nil
	var buf bytes.Buffer
	p.w = &buf
	p.getenv = func(k string) string { return map[string]string{"COLUMNS": "30"}[k] }
	p.drawLocked(-1)
	if line := strings.TrimPrefix(buf.String(), "\r\x1b[K"); !strings.HasPrefix(line, "…") || utf8.RuneCountInString(line) != 29 {
		t.Errorf("with COLUMNS=30, the line is %q (%d runes)", line, utf8.RuneCountInString(line))
	}
	p.getenv = func(string) string { return "" }
	if p.width() != 80 {
		t.Errorf("without a terminal or COLUMNS, the width is %d, want 80", p.width())
	}

	if isTerminal(&buf) {
		t.Error("a buffer is not a terminal")
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if isTerminal(f) {
		t.Error("a regular file is not a terminal")
	}
	if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		defer func() { _ = null.Close() }()
		if isTerminal(null) {
			t.Errorf("%s is not a terminal", os.DevNull)
		}
	}
}

// failOnce is a transport that answers the first request for a later page
// of path (one with a page_token) with 503, and sends every other.
type failOnce struct {
	path   string
	mu     sync.Mutex
	failed bool
}

func (f *failOnce) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	fail := !f.failed && strings.HasSuffix(req.URL.Path, f.path) && req.URL.Query().Has("page_token")
	f.failed = f.failed || fail
	f.mu.Unlock()
	if fail {
		return &http.Response{
			StatusCode: http.StatusTooManyRequests, Status: "429 Too Many Requests", Request: req,
			Header: http.Header{"Content-Type": {"application/json"}, "Retry-After": {"0"}},
			Body:   io.NopCloser(strings.NewReader(`{"meta":{"code":429,"message":"RATE_LIMITED","time":1}}`)),
		}, nil
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestExportRetriesALaterPage has UP refuse a page after the first once: the
// export asks for that page again and writes what an undisturbed export
// writes.
func TestExportRetriesALaterPage(t *testing.T) {
	e := exportEnv(t)
	args := []string{"--since", "60d", "--limit", "10"}
	whole := filepath.Join(t.TempDir(), "whole")
	e.quiet(append([]string{"export", whole}, args...)...)

	a, _, stderr := e.app()
	f := &failOnce{path: "/sleeps"}
	a.httpClient = &http.Client{Transport: f}
	dir := filepath.Join(t.TempDir(), "export")
	if code := a.run(t.Context(), append([]string{"export", dir}, args...)); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !f.failed {
		t.Fatal("no later page of sleeps was asked for")
	}
	sameFiles(t, whole, dir)
}
