package main

import (
	"container/list"
	"sync"
	"time"

	"github.com/upapi/up-go/up"
)

// replayGuard drops webhook events the app has already received. Every
// notification UP sends the app carries the same secret_hash, so one that
// was captured verifies forever: without the guard, replaying it would make
// the app fetch the user's data again and again. The guard remembers each
// event (user, event, type, action and timestamp) for window, at most
// capacity of them, and refuses notifications sent longer ago than window,
// which it could no longer recognize.
type replayGuard struct {
	window   time.Duration
	capacity int
	now      func() time.Time

	mu    sync.Mutex
	seen  map[eventKey]*list.Element
	order *list.List // of seenEvent, oldest at the front
}

type eventKey struct {
	user, event, typ, action string
	at                       int64
}

type seenEvent struct {
	key eventKey
	at  time.Time
}

func newReplayGuard(window time.Duration, capacity int, now func() time.Time) *replayGuard {
	return &replayGuard{window: window, capacity: capacity, now: now, seen: map[eventKey]*list.Element{}, order: list.New()}
}

// tooOld reports whether a notification sent at sent is older than the
// window (a notification that does not say when it was sent is judged by
// its events alone).
func (g *replayGuard) tooOld(sent time.Time) bool {
	return !sent.IsZero() && g.now().Sub(sent) > g.window
}

// first reports whether e is seen for the first time, and remembers it.
func (g *replayGuard) first(e up.WebhookEvent) bool {
	k := eventKey{user: e.UserXID, event: e.EventXID, typ: e.Type, action: e.Action}
	if !e.Time.IsZero() {
		k.at = e.Time.Unix()
	}
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.order.Len() > 0 {
		oldest := g.order.Front()
		if s := oldest.Value.(seenEvent); g.order.Len() >= g.capacity || now.Sub(s.at) > g.window {
			delete(g.seen, s.key)
			g.order.Remove(oldest)
			continue
		}
		break
	}
	if _, ok := g.seen[k]; ok {
		return false
	}
	g.seen[k] = g.order.PushBack(seenEvent{key: k, at: now})
	return true
}
