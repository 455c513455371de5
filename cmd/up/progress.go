package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// progress reports an export's progress on stderr: on a terminal, one line
// redrawn after each batch of answers, as wide as the terminal is;
// otherwise a log line per finished resource. It is safe for concurrent use.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	term    *os.File // the terminal w is, or nil
	getenv  func(string) string
	started time.Time
	order   []string
	counts  map[string]int // items committed (for ticks: events)
	done    map[string]bool
	base    int  // the items committed before this run
	seen    bool // update has been called
	pages   int  // answers committed this run
	drawn   bool
}

func newProgress(a *app, names []string) *progress {
	p := &progress{
		w: a.stderr, getenv: a.getenv, started: time.Now(),
		order: names, counts: map[string]int{}, done: map[string]bool{},
	}
	if f, ok := a.stderr.(*os.File); ok {
		if _, tty := terminalWidth(f); tty {
			p.term = f
		}
	}
	return p
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, tty := terminalWidth(f)
	return tty
}

// width is the width to draw in: the terminal's own, else $COLUMNS, else 80.
func (p *progress) width() int {
	if p.term != nil {
		if w, _ := terminalWidth(p.term); w > 0 {
			return w
		}
	}
	if w, err := strconv.Atoi(strings.TrimSpace(p.getenv("COLUMNS"))); err == nil && w > 0 {
		return w
	}
	return 80
}

// update takes the counts of st, after pages answers committed this run,
// logs each resource that finished (when not drawing) and redraws.
func (p *progress) update(st *exportState, pages int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pages = pages
	total := 0
	for _, name := range p.order {
		rs := st.Resources[name]
		if rs == nil {
			continue
		}
		n := rs.Count
		if lookupTicks(name) != nil {
			n = rs.Events
		}
		p.counts[name] = n
		total += n
		if !rs.Done || p.done[name] {
			continue
		}
		p.done[name] = true
		if p.seen && p.term == nil && rs.Skipped == "" {
			p.logLocked("export: %s: %s", name, finishedText(name, rs))
		}
	}
	if !p.seen {
		p.base, p.seen = total, true
	}
	if p.term != nil {
		p.drawLocked(total)
	}
}

// finishedText says what the export of a resource holds.
func finishedText(name string, rs *resourceState) string {
	if t := lookupTicks(name); t != nil {
		s := fmt.Sprintf("%s of %s in %s", plural(rs.Count, "tick"), plural(rs.Events, strings.TrimSuffix(t.events, "s")), plural(rs.Pages, "request"))
		if rs.NotFound > 0 {
			s += fmt.Sprintf(" (%d not found)", rs.NotFound)
		}
		return s
	}
	return plural(rs.Count, "item") + " in " + plural(rs.Pages, "page")
}

// logf prints a line of its own, above the progress line on a terminal.
func (p *progress) logf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.logLocked(format, args...)
}

func (p *progress) logLocked(format string, args ...any) {
	if p.drawn {
		_, _ = io.WriteString(p.w, "\r\x1b[K")
	}
	_, _ = fmt.Fprintf(p.w, format+"\n", args...)
	if p.drawn {
		p.drawLocked(-1)
	}
}

// drawLocked redraws the progress line: the count of each resource begun,
// the answers and the rate of this run, cut from the left to the width.
// total is the items committed, or -1 to recount them.
func (p *progress) drawLocked(total int) {
	var parts []string
	sum := 0
	for _, name := range p.order {
		n, ok := p.counts[name]
		if !ok || (n == 0 && !p.done[name]) {
			continue
		}
		sum += n
		mark := ""
		if p.done[name] {
			mark = " ✓"
		}
		parts = append(parts, fmt.Sprintf("%s %d%s", name, n, mark))
	}
	if total < 0 {
		total = sum
	}
	rate := float64(total-p.base) / max(time.Since(p.started).Seconds(), 0.001)
	line := fmt.Sprintf("export: %s | %s, %.0f items/s", strings.Join(parts, " · "), plural(p.pages, "page"), rate)
	if r, w := []rune(line), p.width(); len(r) > w-1 {
		line = "…" + string(r[len(r)-max(w-2, 1):])
	}
	_, _ = io.WriteString(p.w, "\r\x1b[K"+line)
	p.drawn = true
}

// close ends the progress line.
func (p *progress) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		_, _ = io.WriteString(p.w, "\n")
		p.drawn = false
	}
}

// plural writes n and noun, in the plural (noun+"s", or pluralNoun when
// given) unless n is 1.
func plural(n int, noun string, pluralNoun ...string) string {
	if n == 1 {
		return "1 " + noun
	}
	if len(pluralNoun) > 0 {
		return fmt.Sprintf("%d %s", n, pluralNoun[0])
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// joinAnd joins words as "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
