package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/upapi/up-go/up"
)

const exportHelp = `
Export the user's data into DIR: each list resource into RESOURCE.jsonl (one
item a line, as UP sent it), the user, friends, goals and settings into
user.json, friends.json, goals.json and settings.json, and a manifest.json
that lists each file with its count and its first and last time_created and
date, the time range asked, when the export started and finished, and the
SDK version.

The time range runs from --since (default: the beginning, 1970) to --until
(default: when the export starts); T is written as for list. Resources:

  %s

Resumable: after each page the JSONL file is synced and DIR/%s
records how far each file is committed and the next page's URL. Run an
interrupted export again with the same parameters and it goes on where it
stopped, without duplicates; with other parameters it refuses unless
--restart. Ctrl-C stops after the current page (exit 5); a second Ctrl-C
stops at once, which is just as safe. Finished, the state file is removed.

A resource the token may not read (403) is skipped with a warning and noted
in the manifest.
`

const (
	stateFileName    = ".export-state.json"
	manifestFileName = "manifest.json"
	stateVersion     = 1
	// interruptGrace is how long the page under way may take after Ctrl-C.
	interruptGrace = 30 * time.Second
)

// objectNames are what export writes as one JSON file each.
var objectNames = []string{"user", "friends", "goals", "settings"}

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
}

// resourceState is how far the export of one resource got.
type resourceState struct {
	File string `json:"file"`
	// Committed is the length of the file that holds whole, synced pages.
	Committed int64 `json:"committed_bytes"`
	// Next is the URL of the page to fetch next; "" before the first page.
	Next  string `json:"next,omitempty"`
	Done  bool   `json:"done"`
	Count int    `json:"count"`
	Pages int    `json:"pages"`
	// The earliest and latest time_created and date seen.
	FirstTime int64   `json:"first_time_created,omitempty"`
	LastTime  int64   `json:"last_time_created,omitempty"`
	FirstDate up.Date `json:"first_date,omitempty"`
	LastDate  up.Date `json:"last_date,omitempty"`
	// Skipped says why the resource was not exported, if it was not.
	Skipped string `json:"skipped,omitempty"`
}

// see records an item's time_created and date.
func (rs *resourceState) see(tc up.Epoch, d up.Date) {
	t := int64(tc)
	if rs.Count == 0 || t < rs.FirstTime {
		rs.FirstTime = t
	}
	if rs.Count == 0 || t > rs.LastTime {
		rs.LastTime = t
	}
	if d != 0 && (rs.FirstDate == 0 || d < rs.FirstDate) {
		rs.FirstDate = d
	}
	if d > rs.LastDate {
		rs.LastDate = d
	}
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
	Name             string `json:"name"`
	File             string `json:"file,omitempty"`
	Count            int    `json:"count"`
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
	all := slices.Concat(resourceNames(), objectNames)
	fs := a.flags("export", "DIR [--since T] [--until T] [--resources a,b] [--limit N] [--restart]",
		fmt.Sprintf(exportHelp, strings.Join(all, ", "), stateFileName))
	c := connFlags(fs)
	since := fs.String("since", "", "export from time `T` (default: the beginning)")
	until := fs.String("until", "", "export until time `T` (default: when the export starts)")
	resFlag := fs.String("resources", "", "comma-separated `names` to export (default: all)")
	limit := fs.Int("limit", defaultLimit, "`N` items per page")
	restart := fs.Bool("restart", false, "discard an unfinished export in DIR and start over")
	pos, err := a.parse(fs, args, 1)
	if err != nil {
		return err
	}
	a.resolve(fs, c)
	if len(pos) == 0 {
		return usageErrorf("export: name the directory to export into")
	}
	dir := pos[0]
	selected, err := selectNames(*resFlag, all)
	if err != nil {
		return err
	}
	if *limit <= 0 {
		return usageErrorf("export: --limit must be positive")
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
	client, _, err := a.client(ctx, c)
	if err != nil {
		return err
	}
	params := exportParams{BaseURL: client.BaseURL(), Since: *since, Until: *until, Resources: selected, Limit: *limit}

	statePath := filepath.Join(dir, stateFileName)
	st, err := loadState(statePath)
	if err != nil {
		return failf(exitFailure, err, "cannot read the export state %s: %v (pass --restart to start over)", statePath, err)
	}
	resumed := st != nil && !*restart
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
			Resources: map[string]*resourceState{},
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return failf(exitFailure, err, "cannot create %s: %v", dir, err)
	}

	fetchCtx, stopFetch := graceContext(ctx, interruptGrace)
	defer stopFetch()
	x := &exporter{
		a: a, dir: dir, client: client, state: st, statePath: statePath, fetchCtx: fetchCtx,
		query:    listQuery{rng: up.Between(st.RangeStart, st.RangeEnd), limit: st.Params.Limit},
		progress: newProgress(a, selected),
	}
	defer x.progress.close()
	if resumed {
		x.progress.logf("export: resuming the export into %s started %s", dir, st.Started.Format(time.RFC3339))
	} else if err := x.saveState(); err != nil {
		return err
	}
	return x.run(ctx, selected)
}

// selectNames reads a comma-separated selection from all, in all's order.
func selectNames(flagValue string, all []string) ([]string, error) {
	if strings.TrimSpace(flagValue) == "" {
		return slices.Clone(all), nil
	}
	want := map[string]bool{}
	for n := range strings.SplitSeq(flagValue, ",") {
		n = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(n)), "-", "_")
		if n == "" {
			continue
		}
		if !slices.Contains(all, n) {
			return nil, usageErrorf("export: unknown resource %q (resources: %s)", n, strings.Join(all, ", "))
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
	return out, nil
}

// exporter is one run of an export.
type exporter struct {
	a         *app
	dir       string
	client    *up.Client
	state     *exportState
	statePath string
	query     listQuery
	// fetchCtx carries page requests: it outlives an interruption by
	// interruptGrace, so that the page under way is completed.
	fetchCtx context.Context
	progress *progress
}

// run exports the selected objects and resources, then writes the manifest.
func (x *exporter) run(ctx context.Context, selected []string) error {
	var objects []manifestObject
	for _, name := range selected {
		if !slices.Contains(objectNames, name) {
			continue
		}
		if ctx.Err() != nil {
			return x.interrupted(ctx)
		}
		obj, err := x.object(name)
		if err != nil {
			return x.stopped(ctx, name, err)
		}
		objects = append(objects, obj)
	}
	for _, name := range selected {
		res := lookupResource(name)
		if res == nil {
			continue
		}
		rs := x.state.Resources[name]
		if rs == nil {
			rs = &resourceState{File: name + ".jsonl"}
			x.state.Resources[name] = rs
		}
		if rs.Done {
			continue
		}
		if rs.Pages > 0 {
			x.progress.logf("export: %s: resuming after %d items (%d pages)", name, rs.Count, rs.Pages)
		}
		if ctx.Err() != nil {
			return x.interrupted(ctx)
		}
		err := res.export(ctx, x, rs)
		switch {
		case err == nil:
			x.progress.finished(name, rs)
		case ctx.Err() != nil:
			return x.interrupted(ctx)
		case errors.Is(err, up.ErrForbidden):
			msg, _ := describe(ctx, err)
			rs.Skipped, rs.Done, rs.Next = msg, true, ""
			if err := x.saveState(); err != nil {
				return err
			}
			x.progress.logf("export: %s: skipped: %s", name, msg)
		default:
			return x.stopped(ctx, name, err)
		}
	}
	return x.finish(selected, objects)
}

// object fetches one of objectNames and writes it to NAME.json.
func (x *exporter) object(name string) (manifestObject, error) {
	ctx := x.fetchCtx
	var v any
	var err error
	switch name {
	case "user":
		var u *up.User
		if u, _, err = x.client.User(ctx); err == nil {
			x.state.UserXID = u.XID
		}
		v = u
	case "friends":
		v, _, err = x.client.Friends(ctx)
	case "goals":
		v, _, err = x.client.Goals(ctx)
	case "settings":
		v, _, err = x.client.Settings(ctx)
	}
	if errors.Is(err, up.ErrForbidden) {
		msg, _ := describe(ctx, err)
		x.progress.logf("export: %s: skipped: %s", name, msg)
		return manifestObject{Name: name, Skipped: msg}, nil
	}
	if err != nil {
		return manifestObject{}, err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return manifestObject{}, err
	}
	file := name + ".json"
	if err := writeFileAtomic(filepath.Join(x.dir, file), append(b, '\n')); err != nil {
		return manifestObject{}, failf(exitFailure, err, "cannot write %s: %v", file, err)
	}
	return manifestObject{Name: name, File: file}, nil
}

// exportPages appends the pages of k to its file from where rs says,
// committing each page (file synced, then state saved) before the next.
func exportPages[T any](ctx context.Context, x *exporter, k *kind[T], rs *resourceState) error {
	f, err := openCommitted(filepath.Join(x.dir, rs.File), rs.Committed)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	var page *up.Page[T]
	if rs.Next != "" {
		page, err = up.ResumePage[T](x.fetchCtx, x.client, rs.Next)
	} else {
		page, err = k.first(x.fetchCtx, x.client, x.query)
	}
	for {
		if err != nil {
			return err
		}
		var buf []byte
		for _, item := range page.Items {
			b, err := json.Marshal(item)
			if err != nil {
				return err
			}
			buf = append(append(buf, b...), '\n')
			rs.see(k.when(item))
			rs.Count++
		}
		if _, err := f.Write(buf); err != nil {
			return failf(exitFailure, err, "cannot write %s: %v", rs.File, err)
		}
		if err := f.Sync(); err != nil {
			return failf(exitFailure, err, "cannot sync %s: %v", rs.File, err)
		}
		rs.Committed += int64(len(buf))
		rs.Pages++
		rs.Next = page.NextURL()
		rs.Done = rs.Next == ""
		if x.state.UserXID == "" {
			x.state.UserXID = page.Meta.UserXID
		}
		if err := x.saveState(); err != nil {
			return err
		}
		x.progress.page(k.name, rs, len(page.Items))
		if rs.Done {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		page, err = page.Next(x.fetchCtx)
	}
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
		return fail(failf(exitFailure, nil, "%s is shorter (%d bytes) than the export state says (%d): pass --restart to start over", path, info.Size(), committed))
	}
	if err := f.Truncate(committed); err != nil {
		return fail(err)
	}
	if _, err := f.Seek(committed, io.SeekStart); err != nil {
		return fail(err)
	}
	return f, nil
}

// saveState replaces the state file atomically.
func (x *exporter) saveState() error {
	b, err := json.MarshalIndent(x.state, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(x.statePath, append(b, '\n')); err != nil {
		return failf(exitFailure, err, "cannot save the export state %s: %v", x.statePath, err)
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
		return nil, err
	}
	var st exportState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, err
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("unknown state version %d", st.Version)
	}
	if st.Resources == nil {
		st.Resources = map[string]*resourceState{}
	}
	return &st, nil
}

// finish writes the manifest and removes the state file.
func (x *exporter) finish(selected []string, objects []manifestObject) error {
	st := x.state
	m := manifest{
		SDKVersion: up.Version,
		BaseURL:    st.Params.BaseURL,
		UserXID:    st.UserXID,
		Range:      manifestRange{Since: st.RangeStart, Until: st.RangeEnd, SinceArg: st.Params.Since, UntilArg: st.Params.Until},
		Started:    st.Started,
		Finished:   x.a.now().UTC().Truncate(time.Second),
		Resources:  []manifestResource{},
		Objects:    objects,
	}
	total := 0
	for _, name := range selected {
		rs := st.Resources[name]
		if rs == nil {
			continue
		}
		mr := manifestResource{Name: name, Count: rs.Count, Pages: rs.Pages, Skipped: rs.Skipped,
			Deprecated: lookupResource(name).Deprecated() != ""}
		if rs.Skipped == "" {
			mr.File = rs.File
		}
		if rs.Count > 0 {
			mr.FirstTimeCreated = time.Unix(rs.FirstTime, 0).UTC().Format(time.RFC3339)
			mr.LastTimeCreated = time.Unix(rs.LastTime, 0).UTC().Format(time.RFC3339)
		}
		if rs.FirstDate != 0 {
			mr.FirstDate, mr.LastDate = rs.FirstDate.String(), rs.LastDate.String()
		}
		total += rs.Count
		m.Resources = append(m.Resources, mr)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(x.dir, manifestFileName), append(b, '\n')); err != nil {
		return failf(exitFailure, err, "cannot write the manifest: %v", err)
	}
	if err := os.Remove(x.statePath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return failf(exitFailure, err, "cannot remove the export state: %v", err)
	}
	x.progress.close()
	x.a.printf(x.a.stdout, "Exported %d items of %d resources and %d objects into %s (see %s).\n",
		total, len(m.Resources), len(objects), x.dir, filepath.Join(x.dir, manifestFileName))
	return nil
}

// interrupted reports an export stopped by Ctrl-C, which can be resumed.
func (x *exporter) interrupted(ctx context.Context) error {
	x.progress.close()
	return failf(exitInterrupted, ctx.Err(), "export interrupted after %d pages this run; run the same command again to resume", x.progress.pages)
}

// stopped reports an export stopped by an error, which can be resumed.
func (x *exporter) stopped(ctx context.Context, name string, err error) error {
	x.progress.close()
	msg, code := describe(ctx, err)
	return failf(code, err, "export stopped at %s: %s; run the same command again to resume", name, msg)
}

// graceContext returns a context that ends grace after ctx does.
func graceContext(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	gctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(grace, cancel) })
	return gctx, func() {
		stop()
		cancel()
	}
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
