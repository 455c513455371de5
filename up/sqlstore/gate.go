package sqlstore

import (
	"context"
	"sync"
)

// gate is an in-process lock per name, taken before a database lock so that
// the goroutines of one process queue here, holding no connection, rather
// than each holding a pooled connection while they wait in the database.
// It only lowers contention; the database lock alone makes Update correct.
type gate struct {
	mu sync.Mutex
	m  map[string]*gateEntry
}

type gateEntry struct {
	ch   chan struct{} // holds a value while the name is locked
	refs int           // holders and waiters; the entry is dropped at zero
}

// lock takes name's lock, or gives up when ctx is done. The returned
// function releases it and must be called exactly once.
func (g *gate) lock(ctx context.Context, name string) (func(), error) {
	g.mu.Lock()
	if g.m == nil {
		g.m = make(map[string]*gateEntry)
	}
	e := g.m[name]
	if e == nil {
		e = &gateEntry{ch: make(chan struct{}, 1)}
		g.m[name] = e
	}
	e.refs++
	g.mu.Unlock()

	select {
	case e.ch <- struct{}{}:
		return func() {
			<-e.ch
			g.drop(name, e)
		}, nil
	case <-ctx.Done():
		g.drop(name, e)
		return nil, ctx.Err()
	}
}

// drop forgets one holder or waiter of e.
func (g *gate) drop(name string, e *gateEntry) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e.refs--; e.refs == 0 {
		delete(g.m, name)
	}
}
