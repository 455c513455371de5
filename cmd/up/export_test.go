package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/uptest"
)

// exportEnv is a logged-in user with a year of history: several thousand
// items, many pages.
func exportEnv(t *testing.T, opts ...uptest.Option) *env {
	t.Helper()
	e := newEnv(t, append([]uptest.Option{uptest.WithDays(365)}, opts...)...)
	e.loggedIn()
	return e
}

func readManifest(t *testing.T, dir string) manifest {
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
func readDir(t *testing.T, dir string) map[string][]byte {
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
func sameFiles(t *testing.T, a, b string) {
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
	stdout, stderr, code := e.run("export", dir)
	if code != exitOK {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "Exported ") || !strings.Contains(stderr, "export: moves: 365 items in 4 pages\n") {
		t.Errorf("stdout %q\nstderr %q", stdout, stderr)
	}
	m := readManifest(t, dir)
	if m.SDKVersion != up.Version || m.UserXID != e.s.UserXID() || m.BaseURL != e.s.URL ||
		!m.Range.Since.Equal(time.Unix(0, 0)) || !m.Range.Until.Equal(testNow) || !m.Started.Equal(testNow) || !m.Finished.Equal(testNow) {
		t.Errorf("manifest: %+v", m)
	}
	var names []string
	total := 0
	all := url.Values{"start_time": {"0"}, "end_time": {fmt.Sprint(testNow.Unix())}}
	for _, r := range m.Resources {
		names = append(names, r.Name)
		total += r.Count
		got := lines(string(readDir(t, dir)[r.File]))
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
	if !slices.Equal(names, resourceNames()) {
		t.Errorf("manifest resources %q, want %q", names, resourceNames())
	}
	if total < 3000 {
		t.Errorf("only %d items exported; the test wants several thousand", total)
	}
	var user gen.User
	if err := json.Unmarshal(readDir(t, dir)["user.json"], &user); err != nil || user.XID != e.s.UserXID() {
		t.Errorf("user.json: %v %+v", err, user)
	}
	var goals gen.Goals
	if err := json.Unmarshal(readDir(t, dir)["goals.json"], &goals); err != nil || goals.MoveSteps == nil {
		t.Errorf("goals.json: %v %+v", err, goals)
	}
	if len(m.Objects) != 4 {
		t.Errorf("manifest objects %+v", m.Objects)
	}
	if _, err := os.Stat(filepath.Join(dir, stateFileName)); !os.IsNotExist(err) {
		t.Errorf("the state file is left after a finished export: %v", err)
	}
	for name := range readDir(t, dir) {
		if info, _ := os.Stat(filepath.Join(dir, name)); info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %o, want 600", name, info.Mode().Perm())
		}
	}
}

// pageCounter counts the list pages UP answers and calls onPage with the
// count after each.
type pageCounter struct {
	mu     sync.Mutex
	n      int
	onPage func(n int)
}

func (p *pageCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	parts := strings.Split(req.URL.Path, "/")
	if err == nil && slices.Contains(resourceNames(), parts[len(parts)-1]) {
		p.mu.Lock()
		p.n++
		n := p.n
		p.mu.Unlock()
		p.onPage(n)
	}
	return resp, err
}

// listRequests counts the list pages the fake served.
func listRequests(s *uptest.Server) int {
	n := 0
	for _, r := range s.Requests() {
		parts := strings.Split(r.Path, "/")
		if slices.Contains(resourceNames(), parts[len(parts)-1]) {
			n++
		}
	}
	return n
}

func TestExportInterruptedThenResumed(t *testing.T) {
	e := exportEnv(t)
	whole := filepath.Join(t.TempDir(), "whole")
	e.s.ResetRequests()
	e.ok("export", whole, "--limit", "50")
	pages := listRequests(e.s)

	// Ctrl-C after the 27th page, within meals: the export completes that
	// page and stops.
	dir := filepath.Join(t.TempDir(), "resumed")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	a, _, stderr := e.app()
	a.httpClient = &http.Client{Transport: &pageCounter{onPage: func(n int) {
		if n == 27 {
			cancel()
		}
	}}}
	if code := a.run(ctx, []string{"export", dir, "--limit", "50"}); code != exitInterrupted {
		t.Fatalf("interrupted export: exit %d: %s", code, stderr)
	}
	checkOneLine(t, stderr.String()[strings.LastIndex(strings.TrimSuffix(stderr.String(), "\n"), "\n")+1:],
		"up: export interrupted after 27 pages this run; run the same command again to resume")
	st, err := loadState(filepath.Join(dir, stateFileName))
	if err != nil || st == nil {
		t.Fatalf("no export state after the interruption: %v", err)
	}
	committed := 0
	var partial *resourceState
	for _, rs := range st.Resources {
		committed += rs.Pages
		if !rs.Done && rs.Pages > 0 {
			partial = rs
		}
	}
	if committed != 27 || partial == nil || partial.File != "meals.jsonl" {
		t.Fatalf("the state records %d pages (want 27), partial resource %+v", committed, partial)
	}
	// A crash between writing a page and saving the state leaves bytes past
	// the committed length; the resumed export drops them.
	f, err := os.OpenFile(filepath.Join(dir, partial.File), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(`{"xid":"uncommitted","da`)
	_ = f.Close()
	// A file left in DIR by something else is replaced, not appended to.
	if err := os.WriteFile(filepath.Join(dir, "bandevents.jsonl"), bytes.Repeat([]byte("stale\n"), 200000), 0o600); err != nil {
		t.Fatal(err)
	}

	e.s.ResetRequests()
	_, stderr2, code := e.run("export", dir, "--limit", "50")
	if code != exitOK {
		t.Fatalf("resumed export: exit %d: %s", code, stderr2)
	}
	if !strings.Contains(stderr2, "export: resuming the export") || !strings.Contains(stderr2, "resuming after") {
		t.Errorf("the resumed export does not say it resumes: %s", stderr2)
	}
	if got := listRequests(e.s); got != pages-27 {
		t.Errorf("the resumed export fetched %d pages, want the %d not committed", got, pages-27)
	}
	sameFiles(t, whole, dir)
}

func TestExportResumedAfterAFault(t *testing.T) {
	e := exportEnv(t)
	whole := filepath.Join(t.TempDir(), "whole")
	e.ok("export", whole, "--limit", "40", "--since", "2014-09-01")

	dir := filepath.Join(t.TempDir(), "resumed")
	remove := e.s.Inject(uptest.Fault{Path: "/users/@me/meals", Kind: uptest.FaultStatus, Status: http.StatusInternalServerError, Probability: 0.3})
	_, stderr, code := e.run("export", dir, "--limit", "40", "--since", "2014-09-01")
	remove()
	if code != exitAPI {
		t.Errorf("exit %d, want %d", code, exitAPI)
	}
	checkOneLine(t, lastLine(stderr), "up: export stopped at meals: UP API error: GET")
	if !strings.HasSuffix(stderr, "500 Internal Server Error: INTERNAL_SERVER_ERROR: the server is answering with an injected fault; run the same command again to resume\n") {
		t.Errorf("the error does not say how to resume: %s", stderr)
	}
	st, err := loadState(filepath.Join(dir, stateFileName))
	if err != nil || st == nil || st.Resources["meals"] == nil || st.Resources["meals"].Pages == 0 || !st.Resources["sleeps"].Done {
		t.Fatalf("the fault should stop the export within meals, after its first page: %v %+v", err, st)
	}
	e.ok("export", dir, "--limit", "40", "--since", "2014-09-01")
	sameFiles(t, whole, dir)
}

func TestExportRefusesOtherParameters(t *testing.T) {
	e := exportEnv(t)
	dir := filepath.Join(t.TempDir(), "export")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	a, _, _ := e.app()
	a.httpClient = &http.Client{Transport: &pageCounter{onPage: func(n int) {
		if n == 2 {
			cancel()
		}
	}}}
	if code := a.run(ctx, []string{"export", dir}); code != exitInterrupted {
		t.Fatalf("exit %d", code)
	}
	e.fails(exitUsage, "holds an unfinished export with other parameters (--since \"\" --until \"\" --resources moves,", "export", dir, "--since", "30d")
	e.fails(exitUsage, "other parameters", "export", dir, "--resources", "moves")
	e.ok("export", dir, "--since", "30d", "--resources", "workouts,user", "--restart")
	m := readManifest(t, dir)
	if len(m.Resources) != 1 || m.Resources[0].Name != "workouts" || len(m.Objects) != 1 || m.Range.SinceArg != "30d" ||
		!m.Range.Since.Equal(testNow.AddDate(0, 0, -30)) {
		t.Errorf("manifest after --restart: %+v", m)
	}
	e.fails(exitUsage, `export: unknown resource "steps"`, "export", dir, "--resources", "moves,steps")
	e.fails(exitUsage, "export: name the directory", "export")
}

func TestExportSkipsWhatTheTokenMayNotRead(t *testing.T) {
	e := newEnv(t)
	e.loggedIn("basic_read", "move_read", "sleep_read")
	dir := filepath.Join(t.TempDir(), "export")
	_, stderr, code := e.run("export", dir, "--resources", "friends,moves,meals,bandevents")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
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
	if !strings.Contains(stderr, "export: meals: skipped: UP refused access (403 Forbidden)") {
		t.Errorf("stderr: %s", stderr)
	}
}

func TestProgressOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf, tty: true, width: 80, started: time.Now(), order: []string{"moves", "sleeps"},
		counts: map[string]int{}, done: map[string]bool{}}
	p.page("moves", &resourceState{Count: 100}, 100)
	p.finished("moves", &resourceState{Count: 120, Pages: 2})
	p.page("sleeps", &resourceState{Count: 50}, 50)
	p.logf("export: sleeps: resuming")
	p.close()
	out := buf.String()
	if strings.Count(out, "\n") != 2 || !strings.HasSuffix(out, "\n") {
		t.Errorf("the progress line should be redrawn in place, with one log line: %q", out)
	}
	last := out[strings.LastIndex(out, "\r")+1:]
	if !strings.Contains(last, "moves 120 ✓ · sleeps 50 | 2 pages,") || !strings.Contains(last, "items/s") {
		t.Errorf("last progress line %q", last)
	}
	if !strings.Contains(out, "\r\x1b[Kexport: sleeps: resuming\n") {
		t.Errorf("a log line should clear the progress line: %q", out)
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
		if !isTerminal(null) {
			t.Errorf("%s is a character device", os.DevNull)
		}
	}
}
