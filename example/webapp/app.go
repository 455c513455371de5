package main

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/wire"
)

// Paths the app serves that UP must know: the redirect URL registered for
// the application ends in callbackPath, and the webhook URL in webhookPath.
const (
	callbackPath = "/up/callback"
	webhookPath  = "/up/webhook"
)

// Scopes are what the app asks UP for: the profile and goals, moves and
// workouts (read, and write to log a workout), and sleeps.
var Scopes = []up.Scope{up.ScopeBasicRead, up.ScopeMoveRead, up.ScopeMoveWrite, up.ScopeSleepRead}

// Options configure an App.
type Options struct {
	// Config is the UP application: its credentials, RedirectURL (ending in
	// /up/callback on this app), Scopes, and the Store that keeps every
	// user's token under the user's UP XID.
	Config *up.Config
	// PublicURL is the app's root as browsers reach it, such as
	// https://dashboard.example; an https URL makes the session cookie Secure,
	// and a POST from another origin is refused.
	PublicURL string
	// WebhookURL is where UP sends notifications (this app's /up/webhook, as
	// UP reaches it); each user who signs in is subscribed to it. Empty
	// subscribes no one: the dashboards are then refreshed only when their
	// cache expires.
	WebhookURL string
	// SessionKey signs the session cookies: at least 32 random bytes, the
	// same on every instance of the app.
	SessionKey []byte
	// SessionTTL is how long a session lasts; 0 means 7 days.
	SessionTTL time.Duration
	// CacheTTL is how long a user's cached data is shown without a webhook
	// saying it changed, a safety net for notifications that never came;
	// 0 means 15 minutes.
	CacheTTL time.Duration
	// CacheUsers bounds how many users' data the cache holds; 0 means 10,000.
	CacheUsers int
	// MaxNotificationAge bounds how old a notification may be, by its
	// notification_timestamp: an older one is a replay, dropped; 0 means
	// 24 hours. (Recent replays are dropped by the webhook handler's
	// memory of the last events; see webhookMemory.)
	MaxNotificationAge time.Duration
	// Logger receives the app's log; nil means slog.Default().
	Logger *slog.Logger
	// Now is the app's clock; nil means time.Now.
	Now func() time.Time
}

// App is the web app: sign in with UP, a dashboard per user, kept fresh by
// UP's webhooks. It is an http.Handler.
type App struct {
	opts     Options
	cfg      *up.Config
	origin   string // scheme://host of PublicURL
	sessions *sessions
	cache    *cache
	pages    map[string]*template.Template
	webhook  *up.WebhookHandler
	mux      *http.ServeMux
	log      *slog.Logger
	now      func() time.Time
	metrics  metrics
}

// metrics count what the app did, for its log and its tests.
type metrics struct {
	pages   atomic.Int64
	fetches [numResources]atomic.Int64
	applied atomic.Int64 // webhook events that made data stale
	tooOld  atomic.Int64 // webhook events dropped for their notification's age
}

func (m *metrics) fetched(rs []resource) {
	for _, r := range rs {
		m.fetches[r].Add(1)
	}
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// New returns the App that opts describe.
func New(opts Options) (*App, error) {
	if opts.Config == nil || opts.Config.Store == nil {
		return nil, errors.New("the UP Config needs a Store")
	}
	if opts.Config.ClientID == "" || opts.Config.ClientSecret == "" {
		return nil, errors.New("the UP Config needs the client ID and secret")
	}
	pub, err := url.Parse(opts.PublicURL)
	if err != nil || (pub.Scheme != "http" && pub.Scheme != "https") || pub.Host == "" {
		return nil, fmt.Errorf("the public URL %q is not an http or https URL", opts.PublicURL)
	}
	redirect, err := url.Parse(opts.Config.RedirectURL)
	if err != nil || redirect.Path != callbackPath {
		return nil, fmt.Errorf("the redirect URL %q must end in %s, which this app serves", opts.Config.RedirectURL, callbackPath)
	}
	opts.SessionTTL = cmp.Or(opts.SessionTTL, 7*24*time.Hour)
	opts.CacheTTL = cmp.Or(opts.CacheTTL, 15*time.Minute)
	opts.CacheUsers = cmp.Or(opts.CacheUsers, 10000)
	opts.MaxNotificationAge = cmp.Or(opts.MaxNotificationAge, 24*time.Hour)
	a := &App{
		opts:   opts,
		cfg:    opts.Config,
		origin: pub.Scheme + "://" + pub.Host,
		cache:  newCache(opts.CacheUsers),
		log:    cmp.Or(opts.Logger, slog.Default()),
		now:    opts.Now,
		mux:    http.NewServeMux(),
	}
	if a.now == nil {
		a.now = time.Now
	}
	if len(a.cfg.Scopes) == 0 {
		cfg := *a.cfg
		cfg.Scopes = Scopes
		a.cfg = &cfg
	}
	a.sessions, err = newSessions(opts.SessionKey, opts.SessionTTL, pub.Scheme == "https", a.now)
	if err != nil {
		return nil, err
	}
	if a.pages, err = parsePages(); err != nil {
		return nil, err
	}
	a.webhook = up.NewWebhookHandler(a.cfg, a.notified)
	a.webhook.Dedupe = webhookMemory
	a.webhook.Logger = a.log
	a.routes()
	return a, nil
}

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{"minus": func(d, v float64) float64 { return v - d }}
	pages := map[string]*template.Template{}
	for _, name := range []string{"home", "dashboard", "workout", "connect", "message"} {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		pages[name] = t
	}
	return pages, nil
}

func (a *App) routes() {
	static, _ := fs.Sub(staticFS, "static")
	a.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	a.mux.HandleFunc("GET /{$}", a.home)
	a.mux.HandleFunc("GET /login", a.login)
	a.mux.HandleFunc("GET "+callbackPath, a.callback)
	a.mux.HandleFunc("GET /dashboard", a.dashboard)
	a.mux.HandleFunc("POST /workouts", a.logWorkout)
	a.mux.HandleFunc("GET /workouts/{xid}", a.workout)
	a.mux.HandleFunc("POST /signout", a.signOut)
	a.mux.HandleFunc("POST /disconnect", a.disconnect)
	a.mux.Handle("POST "+webhookPath, a.webhook)
}

// ServeHTTP serves the app, with headers that keep its pages to themselves:
// nothing loaded from elsewhere, no script, no framing, forms posted only
// to the app.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	if r.Method == http.MethodPost && r.URL.Path != webhookPath && !a.sameOrigin(r) {
		a.message(w, http.StatusForbidden, "Refused", "This form was not sent from this site.", "/", "Home")
		return
	}
	a.mux.ServeHTTP(w, r)
}

// sameOrigin reports whether a POST comes from the app's own pages, by its
// Origin header when the browser sends one (every current browser does on
// a POST), or else by Sec-Fetch-Site.
func (a *App) sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		return o == a.origin
	}
	site := r.Header.Get("Sec-Fetch-Site")
	return site == "" || site == "same-origin" || site == "none"
}

// Wait waits for the webhook notifications being handled; call it after the
// HTTP server has shut down.
func (a *App) Wait(ctx context.Context) error { return a.webhook.Wait(ctx) }

// pageData is what every page template gets.
type pageData struct {
	User   string // the signed-in user's name, for the header
	CSRF   string
	Notice string
}

func (a *App) render(w http.ResponseWriter, status int, page string, data any) {
	var buf bytes.Buffer
	if err := a.pages[page].ExecuteTemplate(&buf, "layout", data); err != nil {
		a.log.Error("rendering a page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	a.metrics.pages.Add(1)
}

type messageData struct {
	pageData
	Heading, Text, Link, LinkText string
}

func (a *App) message(w http.ResponseWriter, status int, heading, text, link, linkText string) {
	a.render(w, status, "message", messageData{Heading: heading, Text: text, Link: link, LinkText: linkText})
}

func (a *App) home(w http.ResponseWriter, r *http.Request) {
	if sess, err := a.sessions.read(r); err == nil && sess.User != "" {
		if _, err := a.cfg.Store.Load(r.Context(), sess.User); err == nil {
			http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
			return
		}
	}
	var notice string
	switch r.URL.Query().Get("bye") {
	case "signed-out":
		notice = "You are signed out."
	case "disconnected":
		notice = "This app no longer has access to your UP account, and has deleted its token."
	case "ended":
		notice = "Your session ended: sign in again."
	}
	a.render(w, http.StatusOK, "home", pageData{Notice: notice})
}

// login sends the browser to UP's login page with a fresh state, kept in the
// session until UP sends the browser back.
func (a *App) login(w http.ResponseWriter, r *http.Request) {
	sess, err := a.sessions.read(r)
	if err != nil {
		sess = a.sessions.fresh()
	}
	state, err := up.NewState()
	if err != nil {
		a.message(w, http.StatusInternalServerError, "Try again", "The app could not start the sign-in.", "/", "Home")
		return
	}
	sess.State, sess.StateExpires = state, a.now().Add(loginTimeout).Unix()
	if err := a.sessions.write(w, sess); err != nil {
		a.message(w, http.StatusInternalServerError, "Try again", "The app could not start the sign-in.", "/", "Home")
		return
	}
	http.Redirect(w, r, a.cfg.AuthCodeURL(state), http.StatusFound)
}

// callback completes a sign-in: it checks the state against the session's,
// trades the code for a token, asks UP who the user is, stores the token
// under the user's XID, subscribes the user to the webhook and starts a new
// session for the user.
func (a *App) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess, err := a.sessions.read(r)
	if err != nil || sess.State == "" || a.now().Unix() >= sess.StateExpires {
		a.message(w, http.StatusBadRequest, "Sign-in refused",
			"This sign-in was not started from this browser, or took too long. Start again.", "/login", "Sign in with UP")
		return
	}
	state := sess.State
	// The state works once: forget it whatever happens next.
	sess.State, sess.StateExpires = "", 0
	_ = a.sessions.write(w, sess)

	// The app keys each user by UP's XID, the same on every sign-in from any
	// browser, which UP tells only once the code is exchanged.
	c, u, err := a.cfg.ExchangeForUser(ctx, r.URL.String(), state, func(u *up.User) (string, error) {
		if !validXID(u.XID) {
			return "", fmt.Errorf("UP named the user %q, which is no XID", u.XID)
		}
		return u.XID, nil
	})
	switch {
	case errors.Is(err, up.ErrAccessDenied):
		a.message(w, http.StatusForbidden, "Not connected",
			"You chose not to let this app read your UP data, so there is nothing to show.", "/login", "Sign in with UP")
		return
	case errors.Is(err, up.ErrStateMismatch), errors.Is(err, up.ErrMissingCode):
		a.log.Warn("sign-in refused", "err", err)
		a.message(w, http.StatusBadRequest, "Sign-in refused",
			"UP's answer does not belong to the sign-in this browser started. Start again.", "/login", "Sign in with UP")
		return
	case err != nil:
		a.log.Error("sign-in: exchanging the code", "err", err)
		a.message(w, http.StatusBadGateway, "UP did not answer",
			"The sign-in could not be completed. Try again in a moment.", "/login", "Sign in with UP")
		return
	}
	xid, name := u.XID, u.First
	a.cache.forget(xid) // a new sign-in: fetch everything again
	a.subscribe(ctx, c, xid)
	// A new session, with a new CSRF token, for the signed-in user.
	next := a.sessions.fresh()
	next.User, next.Name = xid, name
	if err := a.sessions.write(w, next); err != nil {
		a.message(w, http.StatusInternalServerError, "Try again", "The app could not start your session.", "/", "Home")
		return
	}
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}

// subscribe registers the app's webhook for the user; a failure is logged,
// and the dashboard is then kept fresh by the cache's lifetime alone.
func (a *App) subscribe(ctx context.Context, c *up.Client, xid string) {
	if a.opts.WebhookURL == "" {
		return
	}
	_, err := c.Subscribe(ctx, a.opts.WebhookURL)
	if err != nil {
		a.log.Warn("subscribing a user to the webhook", "user", xid, "err", err)
	}
}

// xidPattern is what the app accepts as a UP XID: UP's are 22 characters of
// base64url; the app allows any 1 to 64 of them.
var xidPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func validXID(s string) bool { return xidPattern.MatchString(s) }

// signedIn returns the request's session and a Client for its user, or
// answers the request itself and returns false: a browser without a session
// goes to the home page, and so does one whose user's token is gone (the
// user signed out or disconnected elsewhere), after its cookie is cleared.
func (a *App) signedIn(w http.ResponseWriter, r *http.Request) (*session, *up.Client, bool) {
	sess, err := a.sessions.read(r)
	if err != nil || sess.User == "" {
		if r.Method != http.MethodGet {
			a.message(w, http.StatusForbidden, "Sign in first", "Your session has ended. Sign in again.", "/", "Home")
		} else {
			http.Redirect(w, r, "/", http.StatusSeeOther)
		}
		return nil, nil, false
	}
	if r.Method != http.MethodGet && !checkCSRF(sess, r) {
		a.message(w, http.StatusForbidden, "Refused", "This form has expired. Go back, reload the page and try again.", "/dashboard", "Dashboard")
		return nil, nil, false
	}
	c, err := a.cfg.ClientFor(r.Context(), sess.User)
	if err != nil {
		a.upError(w, r, sess, err)
		return nil, nil, false
	}
	return sess, c, true
}

// upError answers a request whose call to UP failed.
func (a *App) upError(w http.ResponseWriter, r *http.Request, sess *session, err error) {
	switch {
	case errors.Is(err, up.ErrLoginRequired):
		// UP no longer accepts the token: the user revoked the app, or UP
		// did. The cached data goes too, so that every page says so until
		// the user connects again.
		a.cache.forget(sess.User)
		a.render(w, http.StatusOK, "connect", pageData{User: sess.Name, CSRF: sess.CSRF})
	case errors.Is(err, up.ErrNoToken):
		a.cache.forget(sess.User)
		a.sessions.clear(w)
		http.Redirect(w, r, "/?bye=ended", http.StatusSeeOther)
	case errors.Is(err, up.ErrNotFound), errors.Is(err, up.ErrForbidden):
		a.message(w, http.StatusNotFound, "Not found", "There is nothing of yours here.", "/dashboard", "Dashboard")
	case errors.Is(err, context.Canceled):
		// The browser went away.
	default:
		a.log.Error("calling UP", "user", sess.User, "path", r.URL.Path, "err", err)
		a.message(w, http.StatusBadGateway, "UP did not answer",
			"UP did not answer as expected. Try again in a moment.", r.URL.Path, "Try again")
	}
}

// dashboardView is what the dashboard template gets.
type dashboardView struct {
	pageData
	Name                  string
	Today                 string
	StepsToday, StepsGoal string
	StepsTodayValue       int
	StepsGoalValue        int
	SleepLastNight        string
	SleepGoal             string
	SleepLastNightValue   int
	SleepGoalValue        int
	Steps, Sleep          chart
	Workouts              []workoutView
	Form                  workoutForm
	FormError             string
	Kinds, Intensities    []option
}

func (a *App) dashboard(w http.ResponseWriter, r *http.Request) {
	sess, c, ok := a.signedIn(w, r)
	if !ok {
		return
	}
	d, err := a.load(r.Context(), sess.User, c)
	if err != nil {
		a.upError(w, r, sess, err)
		return
	}
	v := a.dashboardView(sess, d, defaultWorkoutForm(a.now(), d.Profile.location()))
	if r.URL.Query().Get("logged") != "" {
		v.Notice = "Workout logged."
	}
	a.render(w, http.StatusOK, "dashboard", v)
}

func (a *App) dashboardView(sess *session, d *dashboardData, form workoutForm) dashboardView {
	loc := d.Profile.location()
	today := wire.DateOf(a.now().In(loc))
	stepsGoal, sleepGoal := d.Goals.MoveSteps, d.Goals.SleepTotal
	v := dashboardView{
		pageData: pageData{User: sess.Name, CSRF: sess.CSRF},
		Name:     strings.TrimSpace(d.Profile.First + " " + d.Profile.Last),
		Today:    today.In(time.UTC).Format("Monday 2 January"),
		Steps:    newChart("steps", "Steps", d.Steps, today, stepsGoal, 1, formatSteps, axisSteps),
		Sleep:    newChart("sleep", "Sleep", d.Sleep, today, sleepGoal, 3600, formatSleep, axisHours),
		Form:     form, Kinds: workoutKinds(), Intensities: intensities(),
		StepsTodayValue: d.Steps[today], StepsGoalValue: max(stepsGoal, 1),
		SleepLastNightValue: d.Sleep[today], SleepGoalValue: max(sleepGoal, 1),
	}
	v.StepsToday, v.StepsGoal = formatSteps(v.StepsTodayValue), formatSteps(stepsGoal)
	v.SleepLastNight, v.SleepGoal = formatSleep(v.SleepLastNightValue), formatSleep(sleepGoal)
	for _, wo := range d.Workouts {
		v.Workouts = append(v.Workouts, viewWorkout(wo, loc))
	}
	return v
}

// maxFormBytes bounds a form's body.
const maxFormBytes = 64 << 10

func (a *App) logWorkout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		a.message(w, http.StatusBadRequest, "Refused", "The form could not be read.", "/dashboard", "Dashboard")
		return
	}
	sess, c, ok := a.signedIn(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	d, err := a.load(ctx, sess.User, c)
	if err != nil {
		a.upError(w, r, sess, err)
		return
	}
	form, create := parseWorkoutForm(r.PostForm, a.now(), d.Profile.location())
	if create == nil {
		a.render(w, http.StatusUnprocessableEntity, "dashboard", a.dashboardView(sess, d, form))
		return
	}
	_, _, err = c.CreateWorkout(ctx, *create)
	var inputErr *up.InputError
	switch {
	case errors.As(err, &inputErr):
		v := a.dashboardView(sess, d, form)
		v.FormError = "UP would not accept this workout: " + inputErr.Reason
		a.render(w, http.StatusUnprocessableEntity, "dashboard", v)
		return
	case err != nil:
		a.upError(w, r, sess, err)
		return
	}
	// Fetch what the workout changed on the next load, without waiting for
	// UP's notification.
	uc := a.cache.user(sess.User)
	for _, res := range resourcesOf("workout") {
		uc.invalidate(res)
	}
	http.Redirect(w, r, "/dashboard?logged=1", http.StatusSeeOther)
}

type workoutPage struct {
	pageData
	Workout workoutView
}

// workout shows one workout. It asks UP with the signed-in user's token, so
// UP refuses another user's workout, which the app answers as not found.
func (a *App) workout(w http.ResponseWriter, r *http.Request) {
	sess, c, ok := a.signedIn(w, r)
	if !ok {
		return
	}
	xid := r.PathValue("xid")
	if !validXID(xid) {
		a.message(w, http.StatusNotFound, "Not found", "There is nothing of yours here.", "/dashboard", "Dashboard")
		return
	}
	ctx := r.Context()
	d, err := a.load(ctx, sess.User, c)
	if err == nil {
		var wo *up.Workout
		if wo, _, err = c.Workout(ctx, xid); err == nil {
			a.render(w, http.StatusOK, "workout", workoutPage{
				pageData: pageData{User: sess.Name, CSRF: sess.CSRF},
				Workout:  viewWorkout(*wo, d.Profile.location()),
			})
			return
		}
	}
	a.upError(w, r, sess, err)
}

// signOut ends the session and deletes the user's stored token, so that the
// app keeps no UP credential of a user who is not signed in, and a copy of
// the session cookie leads nowhere. The app's access on UP stays granted:
// the next sign-in does not ask again.
func (a *App) signOut(w http.ResponseWriter, r *http.Request) {
	sess, err := a.sessions.read(r)
	if err != nil || sess.User == "" {
		a.sessions.clear(w)
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if !checkCSRF(sess, r) {
		a.message(w, http.StatusForbidden, "Refused", "This form has expired. Go back, reload the page and try again.", "/dashboard", "Dashboard")
		return
	}
	if err := a.cfg.Forget(r.Context(), sess.User); err != nil {
		a.log.Error("signing out: deleting the token", "user", sess.User, "err", err)
		a.message(w, http.StatusInternalServerError, "Try again", "You could not be signed out.", "/dashboard", "Dashboard")
		return
	}
	a.cache.forget(sess.User)
	a.sessions.clear(w)
	http.Redirect(w, r, "/?bye=signed-out", http.StatusSeeOther)
}

// disconnect revokes the app's access to the user's UP account (which also
// ends UP's notifications about the user), deletes the stored token and
// ends the session. A token UP already refuses is deleted all the same.
func (a *App) disconnect(w http.ResponseWriter, r *http.Request) {
	sess, err := a.sessions.read(r)
	if err != nil || sess.User == "" {
		a.message(w, http.StatusForbidden, "Sign in first", "Your session has ended. Sign in again.", "/", "Home")
		return
	}
	if !checkCSRF(sess, r) {
		a.message(w, http.StatusForbidden, "Refused", "This form has expired. Go back, reload the page and try again.", "/dashboard", "Dashboard")
		return
	}
	ctx := r.Context()
	c, err := a.cfg.ClientFor(ctx, sess.User)
	if err == nil {
		err = c.Disconnect(ctx)
	}
	if errors.Is(err, up.ErrLoginRequired) {
		// UP already let go of the user: only the token is left to delete.
		err = a.cfg.Forget(ctx, sess.User)
	}
	if err != nil && !errors.Is(err, up.ErrNoToken) {
		a.log.Error("disconnecting", "user", sess.User, "err", err)
		a.message(w, http.StatusBadGateway, "Not disconnected",
			"UP did not answer, so the app still has access. Try again in a moment.", "/dashboard", "Dashboard")
		return
	}
	a.cache.forget(sess.User)
	a.sessions.clear(w)
	http.Redirect(w, r, "/?bye=disconnected", http.StatusSeeOther)
}

// webhookMemory is how many webhook events the handler remembers, to drop
// those it receives again (Dedupe): under 100 bytes each, about 10 MB.
//
// Every notification UP sends the app carries the same secret_hash, so one
// that was captured verifies forever; replayed, it would make the app fetch
// the user's data again and again. The handler drops an event it remembers,
// and the app drops a notification sent longer ago than MaxNotificationAge,
// which the handler may have forgotten.
const webhookMemory = 100_000

// notified applies a verified notification that the handler did not drop as
// a repeat: each event about a user whose data the app holds makes the
// resources it changed stale, to be fetched on the user's next page load.
// A notification older than MaxNotificationAge changes nothing.
func (a *App) notified(_ context.Context, n *up.Notification) {
	if !n.Time.IsZero() && a.now().Sub(n.Time) > a.opts.MaxNotificationAge {
		a.metrics.tooOld.Add(int64(len(n.Events)))
		a.log.Warn("webhook: notification too old, dropped", "sent", n.Time, "events", len(n.Events))
		return
	}
	for _, e := range n.Events {
		if e.IsBandEvent() {
			continue
		}
		uc, ok := a.cache.lookup(e.UserXID)
		if !ok {
			continue // nothing cached for the user: the next load fetches it all
		}
		for _, r := range resourcesOf(e.Type) {
			uc.invalidate(r)
		}
		a.metrics.applied.Add(1)
	}
}
