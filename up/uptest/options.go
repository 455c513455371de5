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
}

func defaultConfig() config {
	return config{
		seed:          1,
		days:          30,
		clock:         time.Now,
		tokenLifetime: 365 * 24 * time.Hour,
		consent:       func([]string) bool { return true },
		retryBackoff:  100 * time.Millisecond,
	}
}

// WithSeed makes the generated data, IDs, the default client secret and
// fault probabilities follow seed. The same seed on the same calendar day
// (by the server's clock) gives the same data. The default seed is 1.
func WithSeed(seed int64) Option { return func(c *config) { c.seed = seed } }

// WithDays sets how many days of history the user has, counting back from
// yesterday. The default is 30; 0 gives a user with no data.
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

// WithConsent decides, in place of the user, whether to grant the scopes an
// authorization request asks for. Returning false sends the user back with
// error=access_denied. By default every request is granted.
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
