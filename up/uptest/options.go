package uptest

import (
	"log/slog"
	"testing"
	"time"
)

// An Option configures a Server.
type Option func(*config)

type config struct {
	seed             int64
	days             int
	clock            func() time.Time
	tokenLifetime    time.Duration
	clientID         string
	clientSecret     string
	consent          func(scopes []string) bool
	redirectPrefixes []string
	logger           *slog.Logger
	tb               testing.TB
	retryBackoff     time.Duration
	users            int
	loginPage        bool
	appName          string
}

func defaultConfig() config {
	return config{
		seed:          1,
		days:          30,
		clock:         time.Now,
		tokenLifetime: 365 * 24 * time.Hour,
		consent:       func([]string) bool { return true },
		retryBackoff:  100 * time.Millisecond,
		appName:       "uptest app",
	}
}

// WithSeed makes the generated data, IDs, the default client secret and
// fault probabilities follow seed. The same seed on the same calendar day
// (by the server's clock) gives the same data. The default seed is 1.
func WithSeed(seed int64) Option { return func(c *config) { c.seed = seed } }

// WithDays sets how many days of history each user has, counting back from
// the day before the user was made. The default is 30; 0 gives users with
// no data.
func WithDays(n int) Option {
	return func(c *config) { c.days = max(n, 0) }
}

// WithClock sets the server's clock. It dates the history, stamps
// meta.time and new events, and decides when codes and tokens expire.
// The default is time.Now.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithAccessTokenLifetime sets how long access tokens live, and so the
// token endpoint's expires_in. The default is a year, as on Jawbone.
// Refresh tokens never expire.
func WithAccessTokenLifetime(d time.Duration) Option {
	return func(c *config) { c.tokenLifetime = d }
}

// WithClient sets the registered application's client ID and secret. By
// default both are derived from the seed.
func WithClient(id, secret string) Option {
	return func(c *config) { c.clientID, c.clientSecret = id, secret }
}

// WithConsent decides, in place of the default user, whether to grant the
// scopes an authorization request asks for. Returning false sends the user
// back with error=access_denied. By default every request is granted. With
// WithLoginPage the person at the page decides, and consent is not asked.
func WithConsent(consent func(scopes []string) bool) Option {
	return func(c *config) { c.consent = consent }
}

// WithRedirectPrefixes registers the redirect URI prefixes of the
// application: the authorization endpoint refuses any redirect_uri that
// starts with none of them. By default every absolute URI is accepted.
func WithRedirectPrefixes(prefixes ...string) Option {
	return func(c *config) { c.redirectPrefixes = append([]string(nil), prefixes...) }
}

// WithLogger sets where a server made by New reports responses and webhook
// payloads that break the spec. The default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithUsers makes the server start with n users (at least one): the
// default user and n-1 more, as AddUsers makes them.
func WithUsers(n int) Option { return func(c *config) { c.users = n } }

// WithLoginPage makes the authorization endpoint show a login page, as
// UP's did, in place of consenting at once as the default user: the app's
// name, the scopes it asks for, a sign-in form (email and password of a
// user of the server) and Allow and Deny buttons. Allow sends the browser
// back with a code for the user who signed in; Deny with
// error=access_denied. WithConsent is then not asked.
func WithLoginPage() Option { return func(c *config) { c.loginPage = true } }

// WithAppName sets the name of the registered application, which the login
// page shows. The default is "uptest app".
func WithAppName(name string) Option { return func(c *config) { c.appName = name } }
