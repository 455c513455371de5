package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/upapi/up-go/up"
)

const exportHelp = `
Export the user's data into DIR (created if need be):

  - each list resource into RESOURCE.jsonl, one item a line, as UP sent it;
  - the ticks of each move, sleep and workout (minute by minute steps,
    sleep phases) into move_ticks.jsonl, sleep_ticks.jsonl and
    workout_ticks.jsonl: a line per event, in the order of its file,
    {"xid": EVENT, "ticks": [...]} (with "not_found": true and no ticks
    for an event UP no longer has);
  - the user, friends, goals and settings into user.json, friends.json,
    goals.json and settings.json;
  - manifest.json: each file with its count and its first and last
    time_created and date, the time range asked, when the export started
    and finished, and the SDK version.

The time range runs from --since (default: the beginning, 1970) to --until
(default: when the export starts); T is written as for list. Names for
--resources:

  %s

Ticks are exported by default: they are the only minute-by-minute record,
which the other files only sum up. They cost a request per event (about
1,100 for a year of history, against some 45 for everything else), so they
make most of an export's time; --no-ticks leaves them out. A tick series
needs its events: --resources move_ticks needs moves too.

Requests run concurrently: at most --concurrency at once (default %d; at
most %d), each resource's pages in order, the ticks as their events arrive.
If UP answers 429 Too Many Requests, every request waits for the
Retry-After it asks for, and fewer run at once until UP has answered a
while without complaint.

Resumable: each file grows only by whole pages (ticks: whole events, in
order), synced before DIR/%s records how far each
file is committed, the next page's URL and which objects are written.
Run an interrupted or failed export again with the same parameters and it goes on where it
stopped, without duplicates and with the same files, byte for byte, as an
uninterrupted one; with other parameters it refuses unless --restart.
Ctrl-C lets the requests in flight complete (for up to %s) and stops
(exit 5); a second Ctrl-C stops at once, which is just as safe. Finished,
the state file is removed.

A finished export is not overwritten: run into the same DIR again, export
refuses unless --restart, which deletes the files of the previous export
and exports anew.

A resource the token may not read (403) is skipped with a warning and noted
in the manifest.
`

const (
	stateFileName    = ".export-state.json"
	manifestFileName = "manifest.json"
	// stateVersion 2 added ticks, objects and the concurrent export.
	stateVersion = 2
	// interruptGrace is how long the requests in flight may take after Ctrl-C.
	interruptGrace = 30 * time.Second
	// defaultConcurrency and maxConcurrency bound the requests in flight.
	defaultConcurrency = 4
	maxConcurrency     = 16
)

// objectNames are what export writes as one JSON file each.
func objectNames() []string { return []string{"user", "friends", "goals", "settings"} }

// exportNames are the names --resources takes, in the order of the help and
// the manifest.
func exportNames() []string {
	return slices.Concat(resourceNames(), tickNames(), objectNames())
}

// exportParams are the parameters an export is resumed with only if equal.
type exportParams struct {
	BaseURL   string   `json:"base_url"`
	Since     string   `json:"since"`
	Until     string   `json:"until"`
	Resources []string `json:"resources"`
	Limit     int      `json:"limit"`
}

func (p exportParams) equal(q exportParams) bool {
	return p.BaseURL == q.BaseURL && p.Since == q.Since && p.Until == q.Until &&
		slices.Equal(p.Resources, q.Resources) && p.Limit == q.Limit
}

func (p exportParams) String() string {
	orAll := func(s, all string) string {
		if s == "" {
			return all
		}
		return s
	}
	return fmt.Sprintf("--since %s --until %s --resources %s --limit %d, API %s",
		orAll(p.Since, `""`), orAll(p.Until, `""`), strings.Join(p.Resources, ","), p.Limit, p.BaseURL)
}

// exportState is DIR/.export-state.json: how far the export got.
type exportState struct {
	Version    int                       `json:"version"`
	Params     exportParams              `json:"params"`
	RangeStart time.Time                 `json:"range_start"`
	RangeEnd   time.Time                 `json:"range_end"`
	Started    time.Time                 `json:"started"`
	UserXID    string                    `json:"user_xid,omitempty"`
	Resources  map[string]*resourceState `json:"resources"`
	Objects    map[string]*objectState   `json:"objects"`
}

// resourceState is how far the export of a list resource or a tick series got.
type resourceState struct {
	File string `json:"file"`
	// Committed is the length of the file that holds whole, synced pages
	// (for ticks, whole events).
	Committed int64 `json:"committed_bytes"`
	// Next is the URL of the page to fetch next; "" before the first page.
	Next  string `json:"next,omitempty"`
	Done  bool   `json:"done"`
	Count int    `json:"count"` // items (for ticks: ticks)
	Pages int    `json:"pages"` // pages fetched (for ticks: requests)
	// The earliest and latest time_created and date seen.
	FirstTime int64   `json:"first_time_created,omitempty"`
	LastTime  int64   `json:"last_time_created,omitempty"`
	FirstDate up.Date `json:"first_date,omitempty"`
	LastDate  up.Date `json:"last_date,omitempty"`
	// Events is, for ticks, how many events' lines are committed; they
	// are the first Events items of the events' file.
	Events int `json:"events,omitempty"`
	// NotFound is, for ticks, how many events UP answered 404 for.
	NotFound int `json:"not_found,omitempty"`
	// Skipped says why the resource was not exported, if it was not.
	Skipped string `json:"skipped,omitempty"`
}

// objectState is whether one of objectNames is written.
type objectState struct {
	File    string `json:"file,omitempty"`
	Skipped string `json:"skipped,omitempty"`
}

// see records a page's earliest and latest time_created and date.
func (rs *resourceState) see(s pageSpan) {
	if s.n == 0 {
		return
	}
	if rs.Count == 0 || s.firstTime < rs.FirstTime {
		rs.FirstTime = s.firstTime
	}
	if rs.Count == 0 || s.lastTime > rs.LastTime {
		rs.LastTime = s.lastTime
	}
	if s.firstDate != 0 && (rs.FirstDate == 0 || s.firstDate < rs.FirstDate) {
		rs.FirstDate = s.firstDate
	}
	if s.lastDate > rs.LastDate {
		rs.LastDate = s.lastDate
	}
}

// pageSpan is the earliest and latest time_created and date of a page's items.
type pageSpan struct {
	n                   int
	firstTime, lastTime int64
	firstDate, lastDate up.Date
}

func (s *pageSpan) add(tc up.Epoch, d up.Date) {
	t := int64(tc)
	if s.n == 0 || t < s.firstTime {
		s.firstTime = t
	}
	if s.n == 0 || t > s.lastTime {
		s.lastTime = t
	}
	if d != 0 && (s.firstDate == 0 || d < s.firstDate) {
		s.firstDate = d
	}
	if d > s.lastDate {
		s.lastDate = d
	}
	s.n++
}

// manifest is DIR/manifest.json.
type manifest struct {
	SDKVersion string             `json:"sdk_version"`
	BaseURL    string             `json:"base_url"`
	UserXID    string             `json:"user_xid,omitempty"`
	Range      manifestRange      `json:"range"`
	Started    time.Time          `json:"started"`
	Finished   time.Time          `json:"finished"`
	Resources  []manifestResource `json:"resources"`
	Objects    []manifestObject   `json:"objects"`
}

type manifestRange struct {
	Since    time.Time `json:"since"`
	Until    time.Time `json:"until"`
	SinceArg string    `json:"since_arg,omitempty"`
	UntilArg string    `json:"until_arg,omitempty"`
}

type manifestResource struct {
	Name string `json:"name"`
	File string `json:"file,omitempty"`
	// TicksOf names, for a tick series, the resource whose events it holds.
	TicksOf string `json:"ticks_of,omitempty"`
	// Count is the items (for ticks: ticks), Events the events of a tick
	// series (a line each), NotFound those UP answered 404 for.
	Count            int    `json:"count"`
	Events           int    `json:"events,omitempty"`
	NotFound         int    `json:"not_found,omitempty"`
	Pages            int    `json:"pages"`
	FirstTimeCreated string `json:"first_time_created,omitempty"`
	LastTimeCreated  string `json:"last_time_created,omitempty"`
	FirstDate        string `json:"first_date,omitempty"`
	LastDate         string `json:"last_date,omitempty"`
	Deprecated       bool   `json:"deprecated,omitempty"`
	Skipped          string `json:"skipped,omitempty"`
}

type manifestObject struct {
	Name    string `json:"name"`
	File    string `json:"file,omitempty"`
	Skipped string `json:"skipped,omitempty"`
}

func (a *app) export(ctx context.Context, args []string) error {
	fs := a.flags("export", "DIR [--since T] [--until T] [--resources a,b] [--no-ticks] [--limit N] [--concurrency N] [--restart]",
		fmt.Sprintf(exportHelp, wrapList(exportNames(), 70, "  "), defaultConcurrency, maxConcurrency, stateFileName, interruptGrace))
	c := connFlags(fs)
	since := fs.String("since", "", "export from time `T` (default: the beginning)")
	until := fs.String("until", "", "export until time `T` (default: when the export starts)")
	resFlag := fs.String("resources", "", "comma-separated `names` to export (default: all)")
	noTicks := fs.Bool("no-ticks", false, "leave out the ticks of moves, sleeps and workouts")
	limit := fs.Int("limit", defaultLimit, "`N` items per page")
	concurrency := fs.Int("concurrency", defaultConcurrency, fmt.Sprintf("at most `N` requests at once (1 to %d)", maxConcurrency))
	restart := fs.Bool("restart", false, "discard an unfinished or finished export in DIR and start over")
	pos, err := a.parse(fs, args, 1)
	if err != nil {
		return err
	}
	a.resolve(fs, c)
	if len(pos) == 0 {
		return usageErrorf("export: name the directory to export into")
	}
	dir := pos[0]
	selected, err := selectNames(*resFlag, *noTicks)
	if err != nil {
		return err
	}
	if *limit <= 0 {
		return usageErrorf("export: --limit must be positive")
	}
	if *concurrency < 1 || *concurrency > maxConcurrency {
		return usageErrorf("export: --concurrency must be between 1 and %d", maxConcurrency)
	}
	now := a.now().Truncate(time.Second)
	start, err := a.timeArg("--since", *since, now)
	if err != nil {
		return err
	}
	end, err := a.timeArg("--until", *until, now)
	if err != nil {
		return err
	}
	if err := checkExportDir(dir); err != nil {
		return err
	}
	abort := make(chan struct{})
	stopAbort := context.AfterFunc(ctx, func() { close(abort) })
	defer stopAbort()
	lim := newLimiter(a.exportTransport(*concurrency), *concurrency, abort)
	client, _, err := a.clientWith(ctx, c, &http.Client{Transport: lim})
	if err != nil {
		return err
	}
	params := exportParams{BaseURL: client.BaseURL(), Since: *since, Until: *until, Resources: selected, Limit: *limit}

	statePath := filepath.Join(dir, stateFileName)
	var st *exportState
	if !*restart {
		if st, err = loadState(statePath); err != nil {
			return err
		}
		if st == nil {
			if err := refuseFinished(dir); err != nil {
				return err
			}
		}
	}
	resumed := st != nil
	if resumed && !st.Params.equal(params) {
		return usageErrorf("%s holds an unfinished export with other parameters (%s): run it with those to resume, or pass --restart to start over", dir, st.Params)
	}
	if !resumed {
		if start.IsZero() {
			start = time.Unix(0, 0)
		}
		if end.IsZero() {
			end = now
		}
		if end.Before(start) {
			return usageErrorf("export: --until is before --since")
		}
		st = &exportState{
			Version: stateVersion, Params: params,
			RangeStart: start.UTC(), RangeEnd: end.UTC(), Started: now.UTC(),
			Resources: map[string]*resourceState{}, Objects: map[string]*objectState{},
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return failf(exitFailure, err, "cannot create %s: %v", dir, err)
	}
	if *restart {
		if err := removePrevious(dir); err != nil {
			return err
		}
	}

	x := newExporter(a, dir, client, st, selected)
	lim.slowDown = x.slowDown
	defer x.progress.close()
	if resumed {
		x.progress.logf("export: resuming the export into %s started %s", dir, st.Started.Format(time.RFC3339))
	} else if err := x.saveState(); err != nil {
		return err
	}
	return x.run(ctx, *concurrency)
}

// exportTransport is the transport under an export's limiter: the app's,
// or one like http.DefaultTransport that keeps a connection per request in
// flight, so that none waits for a new connection (a TLS handshake costs
// round trips too).
func (a *app) exportTransport(concurrency int) http.RoundTripper {
	if a.httpClient != nil && a.httpClient.Transport != nil {
		return a.httpClient.Transport
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = max(concurrency, t.MaxIdleConnsPerHost)
	return t
}

// selectNames reads the --resources selection, in the order of
// exportNames; without one, everything (but the ticks with noTicks).
func selectNames(flagValue string, noTicks bool) ([]string, error) {
	all := exportNames()
	if strings.TrimSpace(flagValue) == "" {
		out := slices.Clone(all)
		if noTicks {
			out = slices.DeleteFunc(out, func(n string) bool { return lookupTicks(n) != nil })
		}
		return out, nil
	}
	want := map[string]bool{}
	for n := range strings.SplitSeq(flagValue, ",") {
		n = normName(n)
		if n == "" {
			continue
		}
		if !slices.Contains(all, n) {
			return nil, unknownResource("export", n, all)
		}
		if noTicks && lookupTicks(n) != nil {
			return nil, usageErrorf("export: --resources names %s, which --no-ticks leaves out", n)
		}
		want[n] = true
	}
	var out []string
	for _, n := range all {
		if want[n] {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, usageErrorf("export: --resources names nothing")
	}
	for _, n := range out {
		if t := lookupTicks(n); t != nil && !want[t.events] {
			return nil, usageErrorf("export: %s are exported with their events: add %s to --resources", n, t.events)
		}
	}
	return out, nil
}

// checkExportDir refuses a DIR that exists but is not a directory.
func checkExportDir(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case errors.Is(err, syscall.ENOTDIR):
		return usageErrorf("export: %s is inside a file, not a directory: name a directory to export into", dir)
	case err != nil:
		return failf(exitFailure, err, "export: cannot use %s: %v", dir, err)
	case !info.IsDir():
		return usageErrorf("export: %s is a file, not a directory: name a directory to export into (it is created if need be)", dir)
	}
	return nil
}

// refuseFinished refuses to overwrite a finished export in dir.
func refuseFinished(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, manifestFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	when := ""
	var m manifest
	if err == nil && json.Unmarshal(b, &m) == nil && !m.Finished.IsZero() {
		when = ", finished " + m.Finished.Format(time.RFC3339)
	}
	return usageErrorf("%s holds a finished export (%s%s): pass --restart to replace it, or name another directory", dir, manifestFileName, when)
}

// removePrevious deletes what an earlier export left in dir, if it holds
// one (a manifest or a state file): the files export writes, by name, and
// nothing else, so that a restarted export does not keep files the new one
// would not write.
func removePrevious(dir string) error {
	previous := false
	for _, n := range []string{manifestFileName, stateFileName} {
		if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
			previous = true
		}
	}
	if !previous {
		return nil
	}
	names := []string{manifestFileName, stateFileName}
	for _, n := range exportNames() {
		names = append(names, n+".jsonl", n+".json")
	}
	for _, n := range names {
		if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return failf(exitFailure, err, "cannot remove %s of the previous export: %v", n, err)
		}
	}
	return nil
}

// loadState reads the state file; nil when there is none.
func loadState(path string) (*exportState, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, failf(exitFailure, err, "cannot read the export state %s: %v", path, err)
	}
	var st exportState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, failf(exitFailure, err, "the export state %s is damaged (%v): pass --restart to start over", path, err)
	}
	if st.Version != stateVersion {
		return nil, failf(exitFailure, nil, "the export state %s was written by another version of up (state version %d, this one reads %d): pass --restart to start over", path, st.Version, stateVersion)
	}
	if st.Resources == nil {
		st.Resources = map[string]*resourceState{}
	}
	if st.Objects == nil {
		st.Objects = map[string]*objectState{}
	}
	return &st, nil
}

// openCommitted opens path for appending after its first committed bytes,
// dropping anything written after them (a page that was not committed).
func openCommitted(path string, committed int64) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, failf(exitFailure, err, "cannot open %s: %v", path, err)
	}
	fail := func(err error) (*os.File, error) {
		_ = f.Close()
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if info.Size() < committed {
		return fail(failf(exitFailure, nil, "%s is shorter (%d bytes) than the export state says (%d): something else changed the export; pass --restart to start over", path, info.Size(), committed))
	}
	if err := f.Truncate(committed); err != nil {
		return fail(failf(exitFailure, err, "cannot truncate %s: %v", path, err))
	}
	if _, err := f.Seek(committed, io.SeekStart); err != nil {
		return fail(err)
	}
	return f, nil
}

// writeFileAtomic replaces path with data: a synced temporary file renamed
// over it, so that a crash leaves the old file or the new one.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync() // makes the rename durable where directories can be synced
		_ = d.Close()
	}
	return nil
}

// wrapList joins names with commas into lines at most width wide, each
// starting with indent but the first.
func wrapList(names []string, width int, indent string) string {
	var b strings.Builder
	line := 0
	for i, n := range names {
		item := n
		if i < len(names)-1 {
			item += ","
		}
		if line > 0 && line+1+len(item) > width {
			b.WriteString("\n" + indent)
			line = 0
		} else if line > 0 {
			b.WriteByte(' ')
			line++
		}
		b.WriteString(item)
		line += len(item)
	}
	return b.String()
}
