package main

import (
	"container/list"
	"sync"
	"time"
)

// resource is a part of the dashboard's data that the app fetches from UP,
// caches per user, and fetches again only when a webhook says it changed
// (or it is older than the cache's lifetime).
type resource int

const (
	resProfile  resource = iota // the user's name and time zone
	resMoves                    // the last 30 days of moves (steps)
	resSleeps                   // the last 30 days of sleeps
	resWorkouts                 // the most recent workouts
	resGoals                    // the user's daily goals
	numResources
)

var resourceNames = [numResources]string{"profile", "moves", "sleeps", "workouts", "goals"}

func (r resource) String() string { return resourceNames[r] }

// resourcesOf maps the type of a webhook event to the resources it makes
// stale. A workout changes the day's move too (UP counts a workout's steps
// in the move), so both are fetched again. Kinds the dashboard does not show
// (meals, moods, body events ...) make nothing stale.
func resourcesOf(eventType string) []resource {
	switch eventType {
	case "move":
		return []resource{resMoves}
	case "sleep":
		return []resource{resSleeps}
	case "workout":
		return []resource{resWorkouts, resMoves}
	}
	return nil
}

// slot is one cached resource of a user.
type slot struct {
	val   any
	gen   uint64 // the resource's generation when the fetch started
	at    time.Time
	valid bool
}

// userCache is one user's cached dashboard data. Invalidation bumps a
// resource's generation; a value fetched before the bump is stale even if it
// is stored after it, so a webhook that arrives during a fetch is not lost.
type userCache struct {
	key  string
	elem *list.Element

	fill sync.Mutex // one fill at a time per user: concurrent page loads fetch once

	mu    sync.Mutex
	gen   [numResources]uint64
	slots [numResources]slot
}

// stale returns the resources that must be fetched: never fetched,
// invalidated since, or older than ttl. It also returns the generation each
// fetch starts from.
func (u *userCache) stale(now time.Time, ttl time.Duration) (need []resource, gens [numResources]uint64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for r := range numResources {
		s := u.slots[r]
		if !s.valid || s.gen != u.gen[r] || (ttl > 0 && now.Sub(s.at) >= ttl) {
			need = append(need, r)
		}
	}
	return need, u.gen
}

// store keeps a fetched value, tagged with the generation its fetch started
// from.
func (u *userCache) store(r resource, v any, gen uint64, at time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.slots[r] = slot{val: v, gen: gen, at: at, valid: true}
}

// get returns the cached value of r, fresh or not.
func (u *userCache) get(r resource) any {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.slots[r].val
}

// invalidate makes r stale.
func (u *userCache) invalidate(r resource) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.gen[r]++
}

// cache holds the userCaches of the most recently seen users, at most max
// of them; the least recently used is dropped first.
type cache struct {
	mu    sync.Mutex
	max   int
	users map[string]*userCache
	lru   *list.List // of *userCache, most recently used at the front
}

func newCache(maxUsers int) *cache {
	return &cache{max: max(maxUsers, 1), users: map[string]*userCache{}, lru: list.New()}
}

// user returns key's cache, made if need be.
func (c *cache) user(key string) *userCache {
	c.mu.Lock()
	defer c.mu.Unlock()
	if u, ok := c.users[key]; ok {
		c.lru.MoveToFront(u.elem)
		return u
	}
	u := &userCache{key: key}
	u.elem = c.lru.PushFront(u)
	c.users[key] = u
	for c.lru.Len() > c.max {
		old := c.lru.Remove(c.lru.Back()).(*userCache)
		delete(c.users, old.key)
	}
	return u
}

// lookup returns key's cache if there is one, without making it or
// counting it as a use.
func (c *cache) lookup(key string) (*userCache, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u, ok := c.users[key]
	return u, ok
}

// forget drops key's cache: the user signed out or disconnected.
func (c *cache) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if u, ok := c.users[key]; ok {
		c.lru.Remove(u.elem)
		delete(c.users, key)
	}
}
