package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// progress reports an export's progress on stderr: on a terminal, one line
// redrawn after each page; otherwise a log line per resource.
type progress struct {
	w       io.Writer
	tty     bool
	width   int
	started time.Time
	order   []string
	counts  map[string]int
	done    map[string]bool
	drawn   bool
	pages   int // this run
	items   int // this run
}

func newProgress(a *app, names []string) *progress {
	width, err := strconv.Atoi(a.getenv("COLUMNS"))
	if err != nil || width < 20 {
		width = 80
	}
	return &progress{
		w: a.stderr, tty: isTerminal(a.stderr), width: width, started: time.Now(),
		order: names, counts: map[string]int{}, done: map[string]bool{},
	}
}

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// page records a page of n items of resource name.
func (p *progress) page(name string, rs *resourceState, n int) {
	p.pages++
	p.items += n
	p.counts[name] = rs.Count
	if p.tty {
		p.draw()
	}
}

// finished records that resource name is exported.
func (p *progress) finished(name string, rs *resourceState) {
	p.counts[name] = rs.Count
	p.done[name] = true
	if p.tty {
		p.draw()
		return
	}
	p.logf("export: %s: %s in %s", name, plural(rs.Count, "item"), plural(rs.Pages, "page"))
}

// logf prints a line of its own, above the progress line on a terminal.
func (p *progress) logf(format string, args ...any) {
	if p.drawn {
		_, _ = io.WriteString(p.w, "\r\x1b[K")
	}
	_, _ = fmt.Fprintf(p.w, format+"\n", args...)
	if p.drawn {
		p.draw()
	}
}

// draw redraws the progress line: the count of each resource begun, the
// pages and the rate of this run, cut from the left to the width.
func (p *progress) draw() {
	var parts []string
	for _, name := range p.order {
		n, ok := p.counts[name]
		if !ok {
			continue
		}
		mark := ""
		if p.done[name] {
			mark = " ✓"
		}
		parts = append(parts, fmt.Sprintf("%s %d%s", name, n, mark))
	}
	rate := float64(p.items) / max(time.Since(p.started).Seconds(), 0.001)
	line := fmt.Sprintf("export: %s | %s, %.0f items/s", strings.Join(parts, " · "), plural(p.pages, "page"), rate)
	if r := []rune(line); len(r) > p.width-1 {
		line = "…" + string(r[len(r)-(p.width-2):])
	}
	_, _ = io.WriteString(p.w, "\r\x1b[K"+line)
	p.drawn = true
}

// close ends the progress line.
func (p *progress) close() {
	if p.drawn {
		_, _ = io.WriteString(p.w, "\n")
		p.drawn = false
	}
}

// plural writes n and noun, in the plural unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
