package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/upapi/up-go/internal/loopback"
	"github.com/upapi/up-go/up"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, the default behavior comes back: a second
	// Ctrl-C ends the process at once.
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return newApp(stdin, stdout, stderr, getenv).run(ctx, args)
}

// app is one run of the command, with everything it touches outside the
// process, so that tests can drive it in-process.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string

	// openBrowser shows url to the user in a browser; it is best effort.
	openBrowser func(ctx context.Context, url string) error
	// httpClient, if set, carries every request to UP.
	httpClient *http.Client
	// now is the clock for relative times and the export's timestamps.
	now func() time.Time
	// loc is the zone in which YYYY-MM-DD times are read.
	loc *time.Location
	// envToken is set once a command uses UP_ACCESS_TOKEN.
	envToken bool
}

func newApp(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *app {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, now: time.Now, loc: time.Local}
	a.openBrowser = a.systemBrowser
	return a
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(a *app, ctx context.Context, args []string) error
}

// commands lists the subcommands in the order help shows them.
func commands() []command {
	return []command{
		{"login", "log in through the browser and save the token", (*app).loginNoting},
		{"logout", "revoke the app's access and delete the saved token", (*app).logout},
		{"whoami", "show the logged-in user's profile", (*app).whoami},
		{"friends", "list the user's friends", (*app).friends},
		{"list", "list one resource: " + strings.Join(resourceNames(), ", "), (*app).list},
		{"get", "GET an API path and print the raw JSON answer", (*app).get},
		{"export", "export everything into a directory, resumable after an interruption", (*app).export},
		{"demo", "walk the whole SDK journey against a built-in fake UP server", (*app).demo},
		{"version", "print the version", (*app).version},
	}
}

// loginNoting runs login and then, when UP_ACCESS_TOKEN is set, notes
// that the other commands use that token rather than the one just saved.
func (a *app) loginNoting(ctx context.Context, args []string) error {
	err := a.login(ctx, args)
	if err == nil && strings.TrimSpace(a.getenv(envAccessToken)) != "" {
		a.printf(a.stderr, "note: %s is set, and the other commands use it rather than the token just saved: unset it to use this login\n", envAccessToken)
	}
	return err
}

const helpText = `up is a command line for the Jawbone UP API v1.1, built on the up-go SDK.

Usage:

  up COMMAND [flags] [arguments]
  up help COMMAND            (or up COMMAND --help) for a command's flags

Commands:

%s
Environment (a flag of the same name overrides its variable):

  UP_CLIENT_ID       --client-id      the application's client ID
  UP_CLIENT_SECRET   --client-secret  the application's client secret (prefer the variable:
                                      command lines are visible to other users)
  UP_REDIRECT_URL    --redirect-url   the registered redirect URL; login listens on its port when it
                                      is http://127.0.0.1:PORT/... or http://localhost:PORT/...
  UP_BASE_URL        --base-url       the API root (default %s)
  UP_AUTH_URL        --auth-url       the login page (default %s)
  UP_TOKEN_URL       --token-url      the token endpoint (default %s)
  UP_TOKEN_FILE      --token-file     where the token is kept, mode 0600
                                      (default <user config dir>/up-go/token.json)
  UP_ACCESS_TOKEN                     an access token to use as it is, such as the one upmock
                                      prints; set, it wins over the token file, which is then
                                      neither read nor written, and no client ID or secret is
                                      needed. It cannot be refreshed: once UP refuses it, commands
                                      exit 3. login ignores it; logout refuses while it is set.

Every URL must be https, except on the loopback interface (127.0.0.1, localhost),
where a fake server such as upmock runs. Jawbone has shut UP down, so the default
URLs no longer answer: set UP_BASE_URL, UP_AUTH_URL and UP_TOKEN_URL to a server
that speaks the UP API, such as upmock (go run ./cmd/upmock in a clone of up-go),
which prints them.

Exit codes:

  0  success
  1  failure (a login that did not complete, a local file, anything else)
  2  usage: an unknown command or flag, a bad argument, missing or unsafe configuration
  3  not logged in, or the UP session has ended: run 'up login'
  4  the UP API or its token endpoint refused the request, failed or could not be reached
  5  interrupted (Ctrl-C); an export can be resumed by running it again

Try it without an account: 'up demo'.
`

// usage prints the top-level help to w.
func (a *app) usage(w io.Writer) {
	var b strings.Builder
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(&b, "  %-9s %s\n", "help", "this help, or a command's: up help COMMAND")
	_, _ = fmt.Fprintf(w, helpText, b.String(), up.DefaultBaseURL, up.DefaultAuthURL, up.DefaultTokenURL)
}

// run dispatches args to a command and turns its error into a message on
// stderr and an exit status.
func (a *app) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		a.usage(a.stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			a.usage(a.stdout)
			return exitOK
		}
		name, rest = rest[0], []string{"--help"}
	case "-version", "--version":
		name = "version"
	}
	i := slices.IndexFunc(commands(), func(c command) bool { return c.name == name })
	if i < 0 {
		names := []string{"help"}
		for _, c := range commands() {
			names = append(names, c.name)
		}
		return a.fail(ctx, usageErrorf("unknown command %q%s (see 'up help')", name, didYouMean(name, "up ", names)))
	}
	return a.fail(ctx, commands()[i].run(a, ctx, rest))
}

// fail reports err, if any, on one line and returns the exit status for it.
func (a *app) fail(ctx context.Context, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	msg, code := a.describe(ctx, err)
	_, _ = fmt.Fprintf(a.stderr, "up: %s\n", msg)
	return code
}

func (a *app) version(_ context.Context, args []string) error {
	fs := a.flags("version", "", "Print the version of up and of the up-go SDK.")
	if _, err := a.parse(fs, args, 0); err != nil {
		return err
	}
	_, err := fmt.Fprintf(a.stdout, "up %s (up-go SDK %s)\n", up.Version, up.Version)
	return err
}

// flags returns a FlagSet for command name whose help shows usage and text.
func (a *app) flags(name, usage, text string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		w := fs.Output()
		_, _ = fmt.Fprintf(w, "Usage: up %s %s\n\n%s\n", name, usage, strings.TrimSpace(text))
		var own, connection []*flag.Flag
		fs.VisitAll(func(f *flag.Flag) {
			if slices.ContainsFunc(connSettings, func(s connSetting) bool { return s.flag == f.Name }) {
				connection = append(connection, f)
			} else {
				own = append(own, f)
			}
		})
		printFlags(w, "Flags", own)
		printFlags(w, "Connection flags (each overrides its environment variable)", connection)
	}
	return fs
}

// printFlags lists flags under a heading, as --name ARG and their usage.
func printFlags(w io.Writer, heading string, flags []*flag.Flag) {
	if len(flags) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s:\n\n", heading)
	for _, f := range flags {
		arg, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(&b, "  --%s", f.Name)
		if arg != "" {
			fmt.Fprintf(&b, " %s", arg)
		}
		fmt.Fprintf(&b, "\n        %s", usage)
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
			fmt.Fprintf(&b, " (default %s)", f.DefValue)
		}
		b.WriteString("\n")
	}
	_, _ = io.WriteString(w, b.String())
}

// parse parses args, flags and arguments in any order ("--" ends the
// flags), and returns the arguments; maxArgs < 0 accepts any number. --help
// prints the command's help on stdout and returns flag.ErrHelp.
func (a *app) parse(fs *flag.FlagSet, args []string, maxArgs int) ([]string, error) {
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(a.stdout)
			fs.Usage()
			return nil, flag.ErrHelp
		}
		if err != nil {
			return nil, flagError(fs, err)
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if maxArgs >= 0 && len(pos) > maxArgs {
		return nil, usageErrorf("%s: unexpected argument %q (see 'up %s --help')", fs.Name(), pos[maxArgs], fs.Name())
	}
	return pos, nil
}

// flagError explains a flag the command line got wrong, suggesting the
// flag meant when one was mistyped.
func flagError(fs *flag.FlagSet, err error) error {
	// The flag package words an unknown flag this way since Go 1.0.
	if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
		var known []string
		fs.VisitAll(func(f *flag.Flag) { known = append(known, f.Name) })
		return usageErrorf("%s: unknown flag --%s%s (see 'up %s --help')", fs.Name(), name, didYouMean(name, "--", known), fs.Name())
	}
	return usageErrorf("%s: %v (see 'up %s --help')", fs.Name(), err, fs.Name())
}

// durationFlag is a flag.Value for a duration written as Go writes one
// (90s, 5m, 1h30m) or as a bare number of seconds (300, 2.5).
type durationFlag time.Duration

func (d *durationFlag) String() string { return time.Duration(*d).String() }

func (d *durationFlag) Set(s string) error {
	s = strings.TrimSpace(s)
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(secs) || math.IsInf(secs, 0) || math.Abs(secs) > math.MaxInt64/float64(time.Second) {
			return fmt.Errorf("%q is not a duration", s)
		}
		*d = durationFlag(secs * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration: use a number of seconds (300) or a Go duration (90s, 5m, 1h30m)", s)
	}
	*d = durationFlag(v)
	return nil
}

// durationVar defines a durationFlag on fs and returns where it is kept.
func durationVar(fs *flag.FlagSet, name string, value time.Duration, usage string) *time.Duration {
	d := new(time.Duration)
	*d = value
	fs.Var((*durationFlag)(d), name, usage)
	return d
}

// conn holds the settings that say how to reach UP and where the token is,
// from flags or else from the environment.
type conn struct {
	clientID, clientSecret, redirectURL string
	baseURL, authURL, tokenURL          string
	tokenFile                           string
	// accessToken is UP_ACCESS_TOKEN, which has no flag: command lines
	// are visible to other users.
	accessToken string
}

// envAccessToken is the variable of an access token used instead of the
// token file.
const envAccessToken = "UP_ACCESS_TOKEN"

// connSetting ties a flag to its environment variable.
type connSetting struct {
	flag, env, help string
	field           func(*conn) *string
}

var connSettings = []connSetting{
	{"client-id", "UP_CLIENT_ID", "the application's client `ID`", func(c *conn) *string { return &c.clientID }},
	{"client-secret", "UP_CLIENT_SECRET", "the application's client `secret` (prefer the variable)", func(c *conn) *string { return &c.clientSecret }},
	{"redirect-url", "UP_REDIRECT_URL", "the registered redirect `URL`", func(c *conn) *string { return &c.redirectURL }},
	{"base-url", "UP_BASE_URL", "the API root `URL`", func(c *conn) *string { return &c.baseURL }},
	{"auth-url", "UP_AUTH_URL", "the login page `URL`", func(c *conn) *string { return &c.authURL }},
	{"token-url", "UP_TOKEN_URL", "the token endpoint `URL`", func(c *conn) *string { return &c.tokenURL }},
	{"token-file", "UP_TOKEN_FILE", "the token `file` (default <user config dir>/up-go/token.json)", func(c *conn) *string { return &c.tokenFile }},
}

// connFlags registers the connection flags on fs; call resolve after parsing.
func connFlags(fs *flag.FlagSet) *conn {
	c := &conn{}
	for _, s := range connSettings {
		fs.StringVar(s.field(c), s.flag, "", s.help+"; or $"+s.env)
	}
	return c
}

// resolve fills each setting whose flag was not given from the environment.
func (a *app) resolve(fs *flag.FlagSet, c *conn) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, s := range connSettings {
		if !set[s.flag] {
			*s.field(c) = strings.TrimSpace(a.getenv(s.env))
		}
	}
	c.accessToken = strings.TrimSpace(a.getenv(envAccessToken))
}

// tokenPath returns the token file's path.
func (c *conn) tokenPath() (string, error) {
	if c.tokenFile != "" {
		return c.tokenFile, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", usageErrorf("no user config directory to keep the token in (%v): set UP_TOKEN_FILE", err)
	}
	return filepath.Join(dir, "up-go", "token.json"), nil
}

// config checks the settings and returns the SDK configuration, with the
// token file as its storage.
func (a *app) config(c *conn) (*up.Config, *up.FileStorage, error) {
	if err := checkEndpoints(c); err != nil {
		return nil, nil, err
	}
	switch {
	case c.clientID == "" && c.clientSecret == "":
		return nil, nil, usageErrorf("missing client ID and secret: set UP_CLIENT_ID and UP_CLIENT_SECRET (or pass --client-id and --client-secret)")
	case c.clientID == "":
		return nil, nil, usageErrorf("missing client ID: set UP_CLIENT_ID (or pass --client-id)")
	case c.clientSecret == "":
		return nil, nil, usageErrorf("missing client secret: set UP_CLIENT_SECRET (or pass --client-secret)")
	}
	path, err := c.tokenPath()
	if err != nil {
		return nil, nil, err
	}
	st := up.NewFileStorage(path)
	cfg := &up.Config{
		ClientID:     c.clientID,
		ClientSecret: c.clientSecret,
		RedirectURL:  c.redirectURL,
		BaseURL:      c.baseURL,
		AuthURL:      c.authURL,
		TokenURL:     c.tokenURL,
		Storage:      st,
		HTTPClient:   a.httpClient,
		UserAgent:    userAgent,
		Retry:        &up.RetryPolicy{},
	}
	return cfg, st, nil
}

// checkEndpoints checks the URLs of c.
func checkEndpoints(c *conn) error {
	for _, u := range []struct{ name, value string }{
		{"UP_BASE_URL", c.baseURL}, {"UP_AUTH_URL", c.authURL}, {"UP_TOKEN_URL", c.tokenURL},
	} {
		if err := checkEndpoint(u.name, u.value); err != nil {
			return err
		}
	}
	return nil
}

// checkEndpoint refuses a URL that is not absolute http(s), or that is plain
// http to a host other than the loopback interface.
func checkEndpoint(name, raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return usageErrorf("%s %q is not an absolute http(s) URL", name, raw)
	}
	if u.Scheme == "http" && !loopback.Is(u.Hostname()) {
		return usageErrorf("%s: refusing to send credentials over plain http to %s: use https (plain http is only for 127.0.0.1 and localhost)", name, u.Host)
	}
	return nil
}

// client returns a Client for the token saved in the token file, or for
// UP_ACCESS_TOKEN when it is set; the storage is nil then.
func (a *app) client(ctx context.Context, c *conn) (*up.Client, *up.FileStorage, error) {
	return a.clientWith(ctx, c, a.httpClient)
}

// clientWith is client with hc carrying the requests.
func (a *app) clientWith(ctx context.Context, c *conn, hc *http.Client) (*up.Client, *up.FileStorage, error) {
	if err := checkEndpoints(c); err != nil {
		return nil, nil, err
	}
	if c.accessToken != "" {
		cfg := &up.Config{
			ClientID: c.clientID, ClientSecret: c.clientSecret,
			BaseURL: c.baseURL, AuthURL: c.authURL, TokenURL: c.tokenURL,
			HTTPClient: hc, UserAgent: userAgent, Retry: &up.RetryPolicy{},
		}
		a.envToken = true
		return cfg.ClientFromAccessToken(c.accessToken), nil, nil
	}
	if c.clientID == "" && c.clientSecret == "" {
		return nil, nil, usageErrorf("missing client ID and secret: set UP_CLIENT_ID and UP_CLIENT_SECRET (or pass --client-id and --client-secret) and run 'up login', or set %s to an access token to use as it is (upmock prints one)", envAccessToken)
	}
	cfg, st, err := a.config(c)
	if err != nil {
		return nil, nil, err
	}
	cfg.HTTPClient = hc
	cl, err := cfg.ClientFromStorage(ctx)
	if err != nil {
		return nil, nil, err
	}
	return cl, st, nil
}

// userAgent is the product the CLI's requests name.
const userAgent = "up-cli/" + up.Version

// stringsFlag collects a repeated string flag.
type stringsFlag []string

func (s *stringsFlag) String() string { return strings.Join(*s, ",") }

func (s *stringsFlag) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// printf writes to w, ignoring errors: a closed terminal ends nothing.
func (a *app) printf(w io.Writer, format string, args ...any) {
	_, _ = fmt.Fprintf(w, format, args...)
}
