package uptest

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/wire"
)

// DefaultPassword is the password of every user the server makes, unless
// WithPassword gives one another: the login page (WithLoginPage) signs a
// user in with their email and this password.
const DefaultPassword = "up-password"

// A User is one UP account on the server: a profile, friends, a history,
// tokens and webhook subscriptions of their own. Every API call acts on the
// user whose token it carries. NewServer makes one user, the default user
// (DefaultUser); AddUser, AddUsers and WithUsers make more. The n-th user
// the server makes (from 1, the default user first) has the email
// user<n>@example.com and the password DefaultPassword, and data that
// depends only on the seed, n and the date, different from every other
// user's. A User is safe for concurrent use.
type User struct {
	s *Server
	// n is the user's number on the server, from 1.
	n        int
	email    string
	password string
	// stream names the user's random streams: "" for the first user, so
	// that a one-user server keeps the data it always had.
	stream string
	// today is the day the user was made: the history ends the day before,
	// whenever it is seeded.
	today wire.Date
	days  int

	// st holds the profile from the start and the history once data has
	// seeded it.
	st       *store
	seedOnce sync.Once

	// friends is guarded by s.users.mu.
	friends []string
	// Token bookkeeping, guarded by s.oauth.mu.
	grants        []*grant
	tokenRequests map[string]int
	replays       int
}

// directory holds the server's users.
type directory struct {
	mu      sync.RWMutex
	list    []*User
	byXID   map[string]*User
	byEmail map[string]*User // lowercase
}

// A UserOption configures a user that AddUser makes.
type UserOption func(*userConfig)

type userConfig struct {
	email, password string
}

// WithEmail sets the user's login email in place of user<n>@example.com.
// AddUser panics if another user of the server has it.
func WithEmail(email string) UserOption { return func(c *userConfig) { c.email = email } }

// WithPassword sets the user's login password in place of DefaultPassword.
func WithPassword(password string) UserOption {
	return func(c *userConfig) { c.password = password }
}

// AddUser makes another user, with a profile, three friends outside the
// server, one friend among the users already there, and WithDays days of
// history up to yesterday (by the server's clock now). The history is made
// on its first use, so making thousands of users is cheap. AddUser panics
// if WithEmail names a taken email.
func (s *Server) AddUser(opts ...UserOption) *User {
	var c userConfig
	for _, o := range opts {
		o(&c)
	}
	return s.addUser(c)
}

// AddUsers makes n more users, as AddUser does, and returns them in order.
func (s *Server) AddUsers(n int) []*User {
	out := make([]*User, 0, max(n, 0))
	for range n {
		out = append(out, s.addUser(userConfig{}))
	}
	return out
}

func (s *Server) addUser(c userConfig) *User {
	d := &s.users
	d.mu.Lock()
	defer d.mu.Unlock()
	n := len(d.list) + 1
	u := &User{s: s, n: n, email: c.email, password: c.password, days: s.cfg.days, tokenRequests: map[string]int{}}
	if n > 1 {
		u.stream = fmt.Sprintf("user %d: ", n)
	}
	if u.email == "" {
		u.email = fmt.Sprintf("user%d@example.com", n)
	}
	if u.password == "" {
		u.password = DefaultPassword
	}
	key := strings.ToLower(u.email)
	if _, taken := d.byEmail[key]; taken {
		panic(fmt.Sprintf("uptest: AddUser: a user with the email %q exists", u.email))
	}
	u.st = newStore(s.loc)
	u.today = wire.DateOf(s.now().In(s.loc))
	u.friends = seedProfile(u.st, s.cfg.seed, u.stream, u.days, u.today)
	if n > 1 {
		// One friend among the users already on the server, drawn from the seed.
		other := d.list[rngFor(s.cfg.seed, u.stream+"friend").IntN(n-1)]
		u.friends = append(u.friends, other.XID())
		other.friends = append(other.friends, u.XID())
	}
	d.list = append(d.list, u)
	d.byXID[u.XID()] = u
	d.byEmail[key] = u
	return u
}

// Users returns every user of the server, in the order they were made: the
// default user first.
func (s *Server) Users() []*User {
	s.users.mu.RLock()
	defer s.users.mu.RUnlock()
	return slices.Clone(s.users.list)
}

// DefaultUser returns the server's first user, the one that MintToken,
// UserXID, Add and automatic consent act for.
func (s *Server) DefaultUser() *User {
	s.users.mu.RLock()
	defer s.users.mu.RUnlock()
	return s.users.list[0]
}

// User returns the user whose XID or login email (in any case) is key.
func (s *Server) User(key string) (*User, bool) {
	s.users.mu.RLock()
	defer s.users.mu.RUnlock()
	if u, ok := s.users.byXID[key]; ok {
		return u, true
	}
	u, ok := s.users.byEmail[strings.ToLower(key)]
	return u, ok
}

// XID is the user's XID, as /users/@me and meta.user_xid give it.
func (u *User) XID() string { return u.st.user.XID }

// Email is the user's login email on the login page.
func (u *User) Email() string { return u.email }

// Password is the user's login password on the login page.
func (u *User) Password() string { return u.password }

// Name is the user's first and last name, as the profile gives them.
func (u *User) Name() string { return u.st.user.First + " " + u.st.user.Last }

// String names the user for test messages: name, email and XID.
func (u *User) String() string { return fmt.Sprintf("%s <%s> (xid %s)", u.Name(), u.email, u.XID()) }

// Friends returns the XIDs of the user's friends: three UP users who are
// not on the server, then the users of the server the user befriended.
func (u *User) Friends() []string {
	u.s.users.mu.RLock()
	defer u.s.users.mu.RUnlock()
	return slices.Clone(u.friends)
}

// Befriend makes u and other friends of each other, if they are not yet.
func (u *User) Befriend(other *User) {
	if other == u {
		return
	}
	u.s.users.mu.Lock()
	defer u.s.users.mu.Unlock()
	if !slices.Contains(u.friends, other.XID()) {
		u.friends = append(u.friends, other.XID())
	}
	if !slices.Contains(other.friends, u.XID()) {
		other.friends = append(other.friends, u.XID())
	}
}

// isFriend reports whether xid is one of u's friends.
func (u *User) isFriend(xid string) bool {
	u.s.users.mu.RLock()
	defer u.s.users.mu.RUnlock()
	return slices.Contains(u.friends, xid)
}

// data returns the user's store, seeding the history on first use.
func (u *User) data() *store {
	u.seedOnce.Do(func() {
		seedHistory(u.st, u.s.cfg.seed, u.stream, u.days, u.today)
	})
	return u.st
}

// MintToken returns a token for the user and the server's client without
// the authorization flow, holding scopes, or every scope the spec declares
// when none are given. It carries a refresh token and the expiry the token
// endpoint would give. MintToken panics on a scope the spec does not declare.
func (u *User) MintToken(scopes ...string) *oauth2.Token {
	s := u.s
	if len(scopes) == 0 {
		scopes = s.contract.known
	}
	for _, sc := range scopes {
		if !slices.Contains(s.contract.known, sc) {
			panic(fmt.Sprintf("uptest: MintToken: unknown scope %q", sc))
		}
	}
	s.oauth.mu.Lock()
	g := s.newGrantLocked(u, s.ClientID, scopes)
	s.oauth.mu.Unlock()
	return s.oauthToken(g)
}

// ExpireAccessTokens makes every access token issued to the user so far
// expired, as if its lifetime had passed. Refresh tokens keep working.
func (u *User) ExpireAccessTokens() {
	past := u.s.now().Add(-time.Second)
	u.s.oauth.mu.Lock()
	defer u.s.oauth.mu.Unlock()
	for _, g := range u.grants {
		g.expiry = past
	}
}

// Revoke revokes every access and refresh token of the user, and removes
// the webhooks the user's apps registered, as when the user disconnected
// the app in UP's own app: the next call with any of them is 401.
func (u *User) Revoke() {
	u.s.revokeUser(u, "")
	u.s.hooks.unsubscribe("", u.XID())
}

// TokenRequests counts the token endpoint requests that sent one of the
// user's authorization codes or refresh tokens, by grant_type, faulted and
// refused requests included.
func (u *User) TokenRequests() map[string]int {
	u.s.oauth.mu.Lock()
	defer u.s.oauth.mu.Unlock()
	return maps.Clone(u.tokenRequests)
}

// RefreshTokenReplays counts the refresh_token requests the server answered
// that sent one of the user's refresh tokens after an earlier request had
// already exchanged it. A client that keeps the rotated refresh token
// UP returns, even under concurrent refreshes, never makes one.
func (u *User) RefreshTokenReplays() int {
	u.s.oauth.mu.Lock()
	defer u.s.oauth.mu.Unlock()
	return u.replays
}

// Deliveries returns the webhook notifications about the user that were
// sent or dropped so far, in the order they finished.
func (u *User) Deliveries() []Delivery {
	var out []Delivery
	for _, d := range u.s.Deliveries() {
		if len(d.Notification.Events) > 0 && d.Notification.Events[0].UserXID == u.XID() {
			out = append(out, d)
		}
	}
	return out
}

// Touch marks the user's event xid of kind as updated, as Server.Touch
// does for the default user.
func (u *User) Touch(kind Kind, xid string) error { return u.s.touch(u, kind, xid) }

// Delete removes the user's event xid of kind, as Server.Delete does for
// the default user.
func (u *User) Delete(kind Kind, xid string) error { return u.s.delete(u, kind, xid) }

// Allow does what the user would do on the login page of authURL, a URL
// an app made for the server's authorization endpoint: sign in and allow.
// It returns the URL the browser would then be sent to, the app's
// redirect_uri with code and state (or with an error the authorization
// request itself earns, such as invalid_scope), for the test to GET. It
// works whether or not the server shows a login page, and fails as the
// endpoint would refuse to redirect: for an unknown client or redirect_uri.
func (u *User) Allow(authURL string) (string, error) { return u.s.decide(authURL, u, true) }

// Deny does what the user would do on the login page of authURL: deny.
// It returns the app's redirect_uri with error=access_denied and the state.
func (u *User) Deny(authURL string) (string, error) { return u.s.decide(authURL, u, false) }

// target makes a User the place where Add stores an event.
func (u *User) target() *User { return u }

// Target is where Add stores an event: a *User, or a *Server for its
// default user.
type Target interface{ target() *User }

// userOf returns the user whose token made the call; the default user for
// an operation that needs no token.
func (s *Server) userOf(ctx context.Context) *User {
	if g := grantOf(ctx); g != nil {
		return g.user
	}
	return s.DefaultUser()
}

// pathUser decides what a path that names the user who by XID reads as:
// the caller's own XID is /users/@me; a friend's is 403 and anyone else's
// 404. Without a valid token, a user of the server is read as @me, so that
// the call fails authentication as the @me form would.
func (s *Server) pathUser(r *http.Request, who string) *apiError {
	g, _ := s.authenticate(r)
	if g == nil {
		if _, ok := s.User(who); ok {
			return nil
		}
	} else {
		if who == g.user.XID() {
			return nil
		}
		if g.user.isFriend(who) {
			return &apiError{status: http.StatusForbidden, errType: "forbidden",
				detail: "an app can read only the data of the user who owns the access token"}
		}
	}
	return &apiError{status: http.StatusNotFound, errType: "not_found", detail: fmt.Sprintf("no user %q", who)}
}

// friendsOf lists the user's friends as the API does.
func friendsOf(u *User) gen.FriendList {
	xids := u.Friends()
	items := make([]gen.Friend, 0, len(xids))
	for _, f := range xids {
		items = append(items, gen.Friend{XID: f})
	}
	return gen.FriendList{Items: items, Size: len(items)}
}

// target makes a Server, for its default user, a place where Add stores an event.
func (s *Server) target() *User { return s.DefaultUser() }

// ticksOf returns the ticks of the user's move or workout xid.
func (u *User) ticksOf(xid string) []gen.Tick {
	return keptOrMade(u, xid, func(st *store) map[string][]gen.Tick { return st.ticks })
}

// sleepTicksOf returns the phase changes of the user's sleep xid.
func (u *User) sleepTicksOf(xid string) []gen.SleepTick {
	return keptOrMade(u, xid, func(st *store) map[string][]gen.SleepTick { return st.sleepTicks })
}

// keptOrMade returns what of the map of st that in names is kept for the
// user's event xid: kept for the events made after seeding, made again from
// the day's seed for seeded ones, empty otherwise.
func keptOrMade[T any](u *User, xid string, in func(st *store) map[string][]T) []T {
	st := u.data()
	st.mu.Lock()
	kept, ok := in(st)[xid]
	day, seeded := st.seeded[xid]
	st.mu.Unlock()
	if !ok && seeded {
		kept = in(replayDay(st, u.s.cfg.seed, u.stream, day))[xid]
	}
	return append([]T{}, kept...)
}
