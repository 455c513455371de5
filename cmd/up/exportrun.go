package main

import (
	"bufio"
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/upapi/up-go/up"
)

// How an export runs
//
// Every request is a job: the first page of a resource, the page after one
// just fetched, the ticks of one event, one object. Workers, as many as
// requests may be in flight, take the most urgent job, send its request and
// hand what came back to the committer. A job schedules the jobs its answer
// makes possible (the next page; the ticks of each event on the page)
// before it finishes, so the export is done when no job is queued or
// running.
//
// The most urgent job is the one with the longest chain of requests still
// behind it, since a chain cannot be fetched faster than one request after
// another: a resource's next page, by an estimate of its pages to come
// (from how far into the time range its items have got; before its first
// page, from how many items a day the resource usually has), then the
// objects, then the ticks, in the order of their events. So the longest
// chain is under way from the start and the other requests fill the slots
// beside it, and the export takes about max(longest chain, requests ÷
// concurrency) round trips.
//
// The committer alone writes files and the state. It appends each page to
// its resource's file, and each event's ticks to its series' file in the
// order of the events' file (holding back those that arrive early, and any
// whose event's page is not committed yet), syncs the files, and then saves
// the state with the new committed lengths: one state save for whatever
// arrived meanwhile. A crash leaves at most bytes past a committed length,
// which the next run truncates; the files of an interrupted and resumed
// export are byte for byte those of an uninterrupted one.

// job is one request of an export.
type job struct {
	name  string  // the resource, tick series or object it is for
	prio  float64 // higher first
	seq   uint64  // then first come, first served
	tries int     // times it met a 429 that the SDK's retries did not overcome
	run   func(ctx context.Context) error
}

// maxRateLimitedTries is how often a job may meet a 429 that the SDK's own
// retries did not get past before the export stops.
const maxRateLimitedTries = 5

// Job priorities: a resource's page is 1 + the pages estimated after it.
const (
	prioObject = 0.5
	prioTicks  = 0
)

// scheduler hands out jobs, most urgent first, until none is left or the
// export stops.
type scheduler struct {
	mu       sync.Mutex
	cond     *sync.Cond
	queue    jobQueue
	seq      uint64
	running  int
	stopped  bool
	failName string // the job whose error stopped the export
	failErr  error
}

func newScheduler() *scheduler {
	s := &scheduler{}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// push queues j.
func (s *scheduler) push(j *job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	j.seq = s.seq
	heap.Push(&s.queue, j)
	s.cond.Signal()
}

// next waits for a job and returns it, or false when the export is over:
// stopped, or nothing queued and nothing running that could queue more.
func (s *scheduler) next() (*job, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		switch {
		case s.stopped:
			return nil, false
		case s.queue.Len() > 0:
			s.running++
			return heap.Pop(&s.queue).(*job), true
		case s.running == 0:
			s.cond.Broadcast() // wake the other workers to end too
			return nil, false
		}
		s.cond.Wait()
	}
}

// done records that a job taken with next is over.
func (s *scheduler) done() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running--
	s.cond.Broadcast()
}

// stop hands out no more jobs.
func (s *scheduler) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	s.cond.Broadcast()
}

// fail stops the export for err, the first failure, met by job name.
func (s *scheduler) fail(name string, err error) {
	s.mu.Lock()
	if s.failErr == nil {
		s.failName, s.failErr = name, err
	}
	s.mu.Unlock()
	s.stop()
}

// drop removes the queued jobs of the names given.
func (s *scheduler) drop(names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = slices.DeleteFunc(s.queue, func(j *job) bool { return slices.Contains(names, j.name) })
	heap.Init(&s.queue)
}

// failure returns the error that stopped the export, if one did.
func (s *scheduler) failure() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failName, s.failErr
}

// jobQueue is a heap of jobs, the most urgent on top.
type jobQueue []*job

func (q jobQueue) Len() int { return len(q) }
func (q jobQueue) Less(i, j int) bool {
	if q[i].prio != q[j].prio {
		return q[i].prio > q[j].prio
	}
	return q[i].seq < q[j].seq
}
func (q jobQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *jobQueue) Push(x any)   { *q = append(*q, x.(*job)) }
func (q *jobQueue) Pop() any {
	old := *q
	j := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return j
}

// exporter is one run of an export.
type exporter struct {
	a         *app
	dir       string
	client    *up.Client
	state     *exportState
	statePath string
	selected  []string
	query     listQuery
	progress  *progress
	sched     *scheduler
	commits   chan commit

	// The committer's own.
	files   map[string]*os.File               // open resource files
	pending map[string]map[int]tickLineResult // tick lines that wait for earlier ones
	pages   int                               // answers committed this run
}

func newExporter(a *app, dir string, client *up.Client, st *exportState, selected []string) *exporter {
	return &exporter{
		a: a, dir: dir, client: client, state: st, statePath: filepath.Join(dir, stateFileName),
		selected: selected,
		query:    listQuery{rng: up.Between(st.RangeStart, st.RangeEnd), limit: st.Params.Limit},
		progress: newProgress(a, selected),
		sched:    newScheduler(),
		files:    map[string]*os.File{},
		pending:  map[string]map[int]tickLineResult{},
	}
}

// run exports what is left with workers requests at most in flight, then
// writes the manifest.
func (x *exporter) run(ctx context.Context, workers int) error {
	fetchCtx, stopFetch := graceContext(ctx, interruptGrace)
	defer stopFetch()
	stopSched := context.AfterFunc(ctx, x.sched.stop)
	defer stopSched()
	defer x.closeFiles()

	// Settle what needs no request (a tick series whose events are all
	// done, say), then schedule the rest.
	if err := x.applyBatch(nil); err != nil {
		return err
	}
	if err := x.schedule(); err != nil {
		return err
	}
	x.commits = make(chan commit, 4*workers)
	committed := make(chan error, 1)
	go func() { committed <- x.commitLoop() }()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { x.work(ctx, fetchCtx) })
	}
	wg.Wait()
	close(x.commits)
	commitErr := <-committed
	x.progress.close()

	name, err := x.sched.failure()
	switch {
	case commitErr != nil:
		return commitErr
	case err != nil:
		msg, code := x.a.describe(ctx, err)
		return failf(code, err, "export stopped at %s: %s; run the same command again to resume", name, msg)
	case ctx.Err() != nil:
		return failf(exitInterrupted, ctx.Err(), "export interrupted after %s committed this run; run the same command again to resume", plural(x.pages, "answer"))
	}
	if left := x.unfinished(); len(left) > 0 {
		return failf(exitFailure, nil, "export ended with %s unfinished; run the same command again to resume", joinAnd(left))
	}
	return x.finish()
}

// schedule queues the first job of everything selected that is not done.
func (x *exporter) schedule() error {
	for _, name := range x.selected {
		if slices.Contains(objectNames(), name) {
			if x.state.Objects[name] == nil {
				x.sched.push(&job{name: name, prio: prioObject, run: func(ctx context.Context) error { return x.fetchObject(ctx, name) }})
			}
			continue
		}
		rs := x.resourceState(name)
		if rs.Done {
			continue
		}
		if res := lookupResource(name); res != nil {
			if rs.Pages > 0 {
				x.progress.logf("export: %s: resuming after %s (%s)", name, plural(rs.Count, "item"), plural(rs.Pages, "page"))
			}
			res.startExport(x, rs)
			continue
		}
		if err := x.resumeTicks(lookupTicks(name), rs); err != nil {
			return err
		}
	}
	return nil
}

// resourceState returns the state of resource or tick series name, made
// on first use.
func (x *exporter) resourceState(name string) *resourceState {
	rs := x.state.Resources[name]
	if rs == nil {
		rs = &resourceState{File: name + ".jsonl"}
		x.state.Resources[name] = rs
	}
	return rs
}

// selectedTicks returns the tick series of resource name if it is exported.
func (x *exporter) selectedTicks(name string) *ticks {
	if t := ticksOf(name); t != nil && slices.Contains(x.selected, t.name) {
		return t
	}
	return nil
}

// work runs jobs until the scheduler has none. ctx ends on Ctrl-C;
// requests are sent with fetchCtx, which outlives it by interruptGrace.
func (x *exporter) work(ctx, fetchCtx context.Context) {
	for {
		j, ok := x.sched.next()
		if !ok {
			return
		}
		err := j.run(fetchCtx)
		switch {
		case err == nil:
		case ctx.Err() != nil:
			// Interrupted: what was not committed is fetched again on resume.
		case errors.Is(err, up.ErrForbidden):
			msg, _ := describe(ctx, err)
			dropped := []string{j.name}
			if t := ticksOf(j.name); t != nil {
				dropped = append(dropped, t.name)
			}
			x.sched.drop(dropped...)
			x.commits <- skipCommit{name: j.name, reason: msg}
		case errors.Is(err, up.ErrRateLimited) && j.tries < maxRateLimitedTries:
			// The limiter holds every request back for as long as UP asked.
			j.tries++
			x.sched.push(j)
		default:
			x.sched.fail(j.name, err)
		}
		x.sched.done()
	}
}

// slowDown tells the user that UP asked for fewer requests.
func (x *exporter) slowDown(wait time.Duration, bound int) {
	x.progress.logf("export: UP answered 429 Too Many Requests: pausing every request for %s, then at most %s at once",
		wait.Round(time.Millisecond), plural(bound, "request"))
}

// chain fetches the pages of one resource, one after another.
type chain[T any] struct {
	x *exporter
	k *kind[T]
	// page is the last page fetched this run, whose Next fetches the one
	// after (and may be called again after a failure; it refuses a next
	// link that repeats one followed before). Before the first page it is
	// nil, and resume is the next link an earlier run saved, if any.
	page   *up.Page[T]
	resume string
	count  int    // items fetched before the page to fetch, committed ones included
	ticks  *ticks // the tick series to fetch for each item, if exported
	est    estimator
}

// startChain schedules the export of resource k from where rs says.
func startChain[T any](x *exporter, k *kind[T], rs *resourceState) {
	ch := &chain[T]{x: x, k: k, resume: rs.Next, count: rs.Count, ticks: x.selectedTicks(k.name)}
	ch.est.end = x.state.RangeEnd.Unix()
	days := min(x.state.RangeEnd.Sub(x.state.RangeStart).Hours()/24, 365)
	x.sched.push(&job{name: k.name, prio: 1 + k.perDay*days/float64(x.query.limit), run: ch.fetch})
}

// fetch fetches the chain's next page, hands it to the committer and
// schedules what it makes possible.
func (ch *chain[T]) fetch(ctx context.Context) error {
	x := ch.x
	var page *up.Page[T]
	var err error
	switch {
	case ch.page != nil:
		page, err = ch.page.Next(ctx)
	case ch.resume != "":
		// Where an earlier run stopped: a link of that run's last page.
		page, err = up.ResumePage[T](ctx, x.client, ch.resume)
	default:
		page, err = ch.k.first(ctx, x.client, x.query)
	}
	if err != nil {
		return err
	}
	// The committer encodes the items, off the chain's way.
	c := pageCommit[T]{k: ch.k, items: page.Items, next: page.NextURL(), userXID: page.Meta.UserXID}
	for _, item := range page.Items {
		c.span.add(ch.k.when(item))
	}
	// The page goes to the committer before anything it makes possible.
	x.commits <- c
	if ch.ticks != nil && ch.k.xid != nil {
		for i, item := range page.Items {
			x.scheduleTicks(ch.ticks, ch.count+i, ch.k.xid(item))
		}
	}
	ch.count += len(page.Items)
	if page.HasNext() {
		ch.page = page
		ch.est.add(c.span)
		x.sched.push(&job{name: ch.k.name, prio: 1 + ch.est.remaining(), run: ch.fetch})
	}
	return nil
}

// estimator guesses how many pages of a resource are left from how far
// into the time range its items (oldest first) have got.
type estimator struct {
	pages       int   // pages with items seen this run
	first, last int64 // the first item's time_created, the last one's
	end         int64 // the end of the range
}

func (e *estimator) add(s pageSpan) {
	if s.n == 0 {
		return
	}
	if e.pages == 0 {
		e.first = s.firstTime
	}
	e.pages++
	e.last = max(e.last, s.lastTime)
}

// remaining estimates the pages after those seen: as many as the part of
// the range not yet covered would take at the pace so far; at least one,
// as UP announced a next page.
func (e *estimator) remaining() float64 {
	covered, total := float64(e.last-e.first), float64(e.end-e.first)
	if e.pages == 0 || covered <= 0 || total <= 0 {
		return max(float64(e.pages), 1)
	}
	frac := min(covered/total, 1)
	return max(float64(e.pages)*(1-frac)/frac, 1)
}

// scheduleTicks queues the fetch of the ticks of the event xid, the
// index-th of its resource's file.
func (x *exporter) scheduleTicks(t *ticks, index int, xid string) {
	x.sched.push(&job{name: t.name, prio: prioTicks, run: func(ctx context.Context) error {
		res, err := t.fetch(ctx, x.client, xid)
		if err != nil {
			return err
		}
		x.commits <- ticksCommit{name: t.name, index: index, res: res}
		return nil
	}})
}

// resumeTicks queues the ticks of the events already committed to their
// file but not to the tick file; those of later events are queued as
// their pages arrive.
func (x *exporter) resumeTicks(t *ticks, rs *resourceState) error {
	ev := x.state.Resources[t.events]
	if ev == nil || ev.Skipped != "" || rs.Events >= ev.Count {
		return nil
	}
	if rs.Events > 0 {
		x.progress.logf("export: %s: resuming after %s", t.name, plural(rs.Events, "event"))
	}
	path := filepath.Join(x.dir, ev.File)
	f, err := os.Open(path)
	if err != nil {
		return failf(exitFailure, err, "cannot read %s: %v", path, err)
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for i := 0; i < ev.Count; i++ {
		if !sc.Scan() {
			return failf(exitFailure, sc.Err(), "%s holds fewer events than the export state says (%d): something else changed the export; pass --restart to start over", path, ev.Count)
		}
		if i < rs.Events {
			continue
		}
		var item struct {
			XID string `json:"xid"`
		}
		if err := json.Unmarshal(sc.Bytes(), &item); err != nil || item.XID == "" {
			return failf(exitFailure, err, "%s line %d is not an event with an xid: something else changed the export; pass --restart to start over", path, i+1)
		}
		x.scheduleTicks(t, i, item.XID)
	}
	return nil
}

// fetchObject fetches one of objectNames and hands it to the committer.
func (x *exporter) fetchObject(ctx context.Context, name string) error {
	var v any
	var err error
	c := objectCommit{name: name}
	switch name {
	case "user":
		var u *up.User
		if u, _, err = x.client.User(ctx); err == nil {
			c.userXID = u.XID
		}
		v = u
	case "friends":
		v, _, err = x.client.Friends(ctx)
	case "goals":
		v, _, err = x.client.Goals(ctx)
	case "settings":
		v, _, err = x.client.Settings(ctx)
	}
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	c.data = b
	x.commits <- c
	return nil
}

// commit is an answer for the committer to write.
type commit interface {
	apply(x *exporter, touched map[string]bool) error
}

// pageCommit is a page of a resource.
type pageCommit[T any] struct {
	k       *kind[T]
	items   []T
	span    pageSpan
	next    string
	userXID string
}

func (c pageCommit[T]) apply(x *exporter, touched map[string]bool) error {
	name := c.k.name
	rs := x.resourceState(name)
	if rs.Skipped != "" {
		return nil
	}
	var data []byte
	for _, item := range c.items {
		b, err := json.Marshal(item)
		if err != nil {
			return err
		}
		data = append(append(data, b...), '\n')
	}
	if err := x.write(name, data, touched); err != nil {
		return err
	}
	rs.see(c.span)
	rs.Count += len(c.items)
	rs.Pages++
	rs.Next = c.next
	rs.Done = c.next == ""
	if x.state.UserXID == "" {
		x.state.UserXID = c.userXID
	}
	x.pages++
	if t := x.selectedTicks(name); t != nil {
		return x.flushTicks(t, touched)
	}
	return nil
}

// ticksCommit is the line of the index-th event of a tick series.
type ticksCommit struct {
	name  string
	index int
	res   tickLineResult
}

func (c ticksCommit) apply(x *exporter, touched map[string]bool) error {
	if x.resourceState(c.name).Skipped != "" {
		return nil
	}
	if x.pending[c.name] == nil {
		x.pending[c.name] = map[int]tickLineResult{}
	}
	x.pending[c.name][c.index] = c.res
	return x.flushTicks(lookupTicks(c.name), touched)
}

// flushTicks writes the lines of t that are next in order and whose events
// are committed.
func (x *exporter) flushTicks(t *ticks, touched map[string]bool) error {
	rs, ev := x.resourceState(t.name), x.resourceState(t.events)
	pending := x.pending[t.name]
	for rs.Events < ev.Count {
		res, ok := pending[rs.Events]
		if !ok {
			break
		}
		if err := x.write(t.name, res.line, touched); err != nil {
			return err
		}
		delete(pending, rs.Events)
		x.pages++
		rs.Events++
		rs.Count += res.ticks
		rs.Pages += res.pages
		if res.notFound {
			rs.NotFound++
		}
	}
	return nil
}

// objectCommit is one of objectNames, as its file holds it.
type objectCommit struct {
	name    string
	data    []byte
	userXID string
}

func (c objectCommit) apply(x *exporter, _ map[string]bool) error {
	file := c.name + ".json"
	if err := writeFileAtomic(filepath.Join(x.dir, file), c.data); err != nil {
		return failf(exitFailure, err, "cannot write %s: %v; run the same command again to resume once that is fixed", file, err)
	}
	x.state.Objects[c.name] = &objectState{File: file}
	if c.userXID != "" {
		x.state.UserXID = c.userXID
	}
	x.pages++
	return nil
}

// skipCommit records that the token may not read name.
type skipCommit struct {
	name, reason string
}

func (c skipCommit) apply(x *exporter, touched map[string]bool) error {
	if slices.Contains(objectNames(), c.name) {
		x.state.Objects[c.name] = &objectState{Skipped: c.reason}
		x.progress.logf("export: %s: skipped: %s", c.name, c.reason)
		return nil
	}
	if err := x.skip(c.name, c.reason, touched); err != nil {
		return err
	}
	if t := x.selectedTicks(c.name); t != nil {
		return x.skip(t.name, "not exported, as "+c.name+" were skipped: "+c.reason, touched)
	}
	return nil
}

// skip marks a resource or tick series skipped and removes its file.
func (x *exporter) skip(name, reason string, touched map[string]bool) error {
	rs := x.resourceState(name)
	if rs.Skipped != "" {
		return nil
	}
	if f := x.files[name]; f != nil {
		_ = f.Close()
		delete(x.files, name)
	}
	delete(touched, name)
	delete(x.pending, name)
	if err := os.Remove(filepath.Join(x.dir, rs.File)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return failf(exitFailure, err, "cannot remove %s: %v", rs.File, err)
	}
	*rs = resourceState{File: rs.File, Done: true, Skipped: reason}
	x.progress.logf("export: %s: skipped: %s", name, reason)
	return nil
}

// write appends data to the file of resource name, opening it (cut to its
// committed length) on first use.
func (x *exporter) write(name string, data []byte, touched map[string]bool) error {
	f, err := x.file(name)
	if err != nil {
		return err
	}
	touched[name] = true
	if _, err := f.Write(data); err != nil {
		return failf(exitFailure, err, "cannot write %s: %v; run the same command again to resume once that is fixed", f.Name(), err)
	}
	return nil
}

// file returns the open file of resource name.
func (x *exporter) file(name string) (*os.File, error) {
	if f := x.files[name]; f != nil {
		return f, nil
	}
	rs := x.resourceState(name)
	f, err := openCommitted(filepath.Join(x.dir, rs.File), rs.Committed)
	if err != nil {
		return nil, err
	}
	x.files[name] = f
	return f, nil
}

func (x *exporter) closeFiles() {
	for name, f := range x.files {
		_ = f.Close()
		delete(x.files, name)
	}
}

// commitLoop applies what the workers hand over until they are done,
// a batch at a time. After a failure it only drains the channel.
func (x *exporter) commitLoop() error {
	var failed error
	for c := range x.commits {
		if failed != nil {
			continue
		}
		batch := []commit{c}
	more:
		for {
			select {
			case c, ok := <-x.commits:
				if !ok {
					break more
				}
				batch = append(batch, c)
			default:
				break more
			}
		}
		if err := x.applyBatch(batch); err != nil {
			failed = err
			x.sched.fail("", err)
		}
	}
	return failed
}

// applyBatch writes a batch, syncs the files it wrote, marks what is
// complete and saves the state.
func (x *exporter) applyBatch(batch []commit) error {
	touched := map[string]bool{}
	for _, c := range batch {
		if err := c.apply(x, touched); err != nil {
			return err
		}
	}
	if err := x.settle(touched); err != nil {
		return err
	}
	for name := range touched {
		f := x.files[name]
		if err := f.Sync(); err != nil {
			return failf(exitFailure, err, "cannot sync %s: %v; run the same command again to resume once that is fixed", f.Name(), err)
		}
	}
	// Every byte the state calls committed is synced before the state says so.
	for name := range touched {
		x.resourceState(name).Committed = x.written(name)
	}
	if err := x.saveState(); err != nil {
		return err
	}
	x.progress.update(x.state, x.pages)
	return nil
}

// written returns how many bytes the open file of name holds.
func (x *exporter) written(name string) int64 {
	off, err := x.files[name].Seek(0, io.SeekCurrent)
	if err != nil {
		return x.resourceState(name).Committed
	}
	return off
}

// settle marks the tick series whose events are all done and whose lines
// are all written as done, creating the file of a series without events.
func (x *exporter) settle(touched map[string]bool) error {
	for _, name := range x.selected {
		t := lookupTicks(name)
		if t == nil {
			continue
		}
		rs, ev := x.resourceState(name), x.resourceState(t.events)
		if rs.Done {
			continue
		}
		if ev.Skipped != "" {
			if err := x.skip(name, "not exported, as "+t.events+" were skipped: "+ev.Skipped, touched); err != nil {
				return err
			}
			continue
		}
		if ev.Done && rs.Events == ev.Count {
			if _, err := x.file(name); err != nil {
				return err
			}
			touched[name] = true
			rs.Done = true
		}
	}
	return nil
}

// unfinished lists what the export has not done.
func (x *exporter) unfinished() []string {
	var left []string
	for _, name := range x.selected {
		if slices.Contains(objectNames(), name) {
			if x.state.Objects[name] == nil {
				left = append(left, name)
			}
		} else if !x.resourceState(name).Done {
			left = append(left, name)
		}
	}
	return left
}

// saveState replaces the state file atomically.
func (x *exporter) saveState() error {
	b, err := json.MarshalIndent(x.state, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(x.statePath, append(b, '\n')); err != nil {
		return failf(exitFailure, err, "cannot save the export state %s: %v; run the same command again to resume once that is fixed", x.statePath, err)
	}
	return nil
}

// finish writes the manifest and removes the state file.
func (x *exporter) finish() error {
	st := x.state
	m := manifest{
		SDKVersion: up.Version,
		BaseURL:    st.Params.BaseURL,
		UserXID:    st.UserXID,
		Range:      manifestRange{Since: st.RangeStart, Until: st.RangeEnd, SinceArg: st.Params.Since, UntilArg: st.Params.Until},
		Started:    st.Started,
		Finished:   x.a.now().UTC().Truncate(time.Second),
		Resources:  []manifestResource{},
		Objects:    []manifestObject{},
	}
	items, ticks, series := 0, 0, 0
	for _, name := range x.selected {
		if o := st.Objects[name]; o != nil {
			m.Objects = append(m.Objects, manifestObject{Name: name, File: o.File, Skipped: o.Skipped})
			continue
		}
		rs := st.Resources[name]
		if rs == nil {
			continue
		}
		mr := manifestResource{Name: name, Count: rs.Count, Pages: rs.Pages, Skipped: rs.Skipped}
		if rs.Skipped == "" {
			mr.File = rs.File
		}
		if t := lookupTicks(name); t != nil {
			mr.TicksOf, mr.Events, mr.NotFound = t.events, rs.Events, rs.NotFound
			ticks += rs.Count
			series++
		} else {
			mr.Deprecated = lookupResource(name).Deprecated() != ""
			items += rs.Count
		}
		if rs.Count > 0 && rs.LastTime > 0 {
			mr.FirstTimeCreated = time.Unix(rs.FirstTime, 0).UTC().Format(time.RFC3339)
			mr.LastTimeCreated = time.Unix(rs.LastTime, 0).UTC().Format(time.RFC3339)
		}
		if rs.FirstDate != 0 {
			mr.FirstDate, mr.LastDate = rs.FirstDate.String(), rs.LastDate.String()
		}
		m.Resources = append(m.Resources, mr)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(x.dir, manifestFileName), append(b, '\n')); err != nil {
		return failf(exitFailure, err, "cannot write the manifest: %v; run the same command again to finish once that is fixed", err)
	}
	if err := os.Remove(x.statePath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return failf(exitFailure, err, "cannot remove the export state: %v", err)
	}
	parts := []string{fmt.Sprintf("%s (%s)", plural(len(m.Resources)-series, "resource"), plural(items, "item"))}
	if series > 0 {
		parts = append(parts, fmt.Sprintf("%s (%s)", plural(series, "tick series", "tick series"), plural(ticks, "tick")))
	}
	parts = append(parts, plural(len(m.Objects), "object"))
	x.progress.logf("Exported %s into %s (see %s).", joinAnd(parts), x.dir, filepath.Join(x.dir, manifestFileName))
	return nil
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
