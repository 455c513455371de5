// Package up is a client for the Jawbone UP API v1.1: OAuth 2.0 login,
// credentials that refresh themselves, token storage, typed errors, and a
// typed method for every endpoint of the API.
//
// Everything hangs off two values. A [Config] describes one registered
// application and serves any number of users; a [Client] holds one user's
// credentials and makes calls for that user. There is no package-level
// state, so many applications and users share one process safely.
//
// # Login
//
// UP uses the OAuth 2.0 authorization-code flow. Send the user to the URL
// from [Config.AuthCodeURL], with a fresh state from [NewState] that you keep
// for the user. UP sends the user back to Config.RedirectURL; pass that whole
// URL, and the state you kept, to [Config.Exchange]:
//
//	state, err := up.NewState()
//	// ... keep state in the user's session, redirect to cfg.AuthCodeURL(state)
//	tok, err := cfg.Exchange(ctx, callbackURL, state)
//	client := cfg.Client(tok)
//
// Exchange checks the state, reports a user who declined as an error
// matching [ErrAccessDenied], and trades the code for an [oauth2.Token].
// An application with many users calls [Config.ExchangeFor] instead, which
// names the user; see Serving many users.
//
// # Credentials and storage
//
// A token is a *[golang.org/x/oauth2.Token]: an access token, a refresh
// token and an expiry (UP tokens last a year). Make a Client from a token
// ([Config.Client]), from a bare access token ([Config.ClientFromAccessToken]),
// from any [oauth2.TokenSource] ([Config.ClientFromTokenSource]), or from
// storage ([Config.ClientFromStorage], [Config.ClientFor]); read the
// current token back with [Client.Token].
//
// A program of one user (a command-line tool, say) sets Config.Storage to a
// [TokenStorage] to keep the token across runs: Exchange saves the first
// token, every refresh saves the new one, and [Client.Disconnect] deletes
// it. [NewFileStorage] keeps it in a file of mode 0600, replaced atomically
// and locked across processes; [NewMemoryStorage] keeps it in memory.
//
// # Serving many users
//
// A web application sets Config.Store to a [Store], which keeps every
// user's token under the application's own key for the user (its user ID,
// say), and uses one Config for all of them:
//
//	cfg.Store = up.NewFileStore("/var/lib/myapp/up-tokens")
//
//	// The login handler: a fresh state, kept in the user's session.
//	state, err := up.NewState()
//	http.Redirect(w, r, cfg.AuthCodeURL(state), http.StatusFound)
//
//	// The callback: the token is stored under the user's key.
//	_, err = cfg.ExchangeFor(ctx, userID, r.URL.String(), state)
//	// Or, when the key is UP's XID, known only once the code is
//	// exchanged: nil keys the user by XID.
//	client, user, err := cfg.ExchangeForUser(ctx, r.URL.String(), state, nil)
//
//	// Any request: a Client from the store, made for this request.
//	client, err := cfg.ClientFor(ctx, userID)
//	user, _, err := client.User(ctx)
//	if errors.Is(err, up.ErrNoToken) || errors.Is(err, up.ErrLoginRequired) {
//		// not connected, or UP no longer accepts the token: log in again
//	}
//
//	// Disconnect: UP revokes the app's access and the token is deleted.
//	err = client.Disconnect(ctx)
//	// Sign out: the token is deleted, and UP is not called.
//	err = cfg.Forget(ctx, userID)
//
// Every change to a user's token goes through [Store.Update], which holds
// the user's lock: the token stored at login, each refresh (from reading
// the stored token to storing its successor), and the delete of Forget and
// Disconnect, which therefore cannot be undone by a refresh under way. The
// lock matters because UP rotates refresh tokens: of two requests that
// refresh one user's token at once, UP accepts the first and refuses the
// second (invalid_grant) with the refresh token already spent. Under the
// lock the second finds the first's token stored and uses it, and each
// expired token costs one refresh however many requests, processes or
// machines meet it. A store without a lock loses a round trip, not the
// user: a refused refresh re-reads the store for a while (a second, longer
// on a slow network, ten at most), and uses the token the winner stores; only when the stored token is still the
// refused one is the user told to log in again ([ErrLoginRequired]).
//
// [NewMemoryStore] keeps tokens for one process; [NewFileStore] keeps a
// file per user (named by a hash of the key) in a directory, with
// FileStorage's guarantees and a lock per user across processes. A store
// over a database shared by several machines implements the two methods
// of Store with a per-user lock that holds across them.
//
// # Refresh
//
// A Client refreshes its token before sending a request when the token's
// expiry is known to have passed (or it has only a refresh token), and
// after the API answers 401 Unauthorized, for a token whose expiry is
// unknown or wrong; then it resends the request, at most twice per call
// for reads and deletes and once for a create or update, and never a
// request whose body cannot be sent again. Concurrent calls on a Client
// that meet the same expired token share one refresh. The refresh reads
// the stored token first, under the store's lock (a [Locker]'s, for a
// TokenStorage): if another request or process already stored a newer
// token, the Client adopts it instead. [Client.Refresh] refreshes on
// demand by the same path.
//
// A token answer's lifetime (expires_in) is read leniently and clamped to
// between a minute and ten years; a missing, zero, negative or unreadable
// one means an unknown expiry. A token type other than bearer is refused
// with a [*TokenTypeError] (RFC 6749 §7.1); an absent one means bearer.
//
// A refreshed token that cannot be saved is still used. UP has spent the
// old refresh token, so the refresh itself tries the save again, with a
// growing pause, for up to 30 seconds (or until its context ends) before
// the call goes on. If the save still fails, the failure is reported to
// Config.OnSaveError, kept in [Client.PendingSaveError], and the save is
// retried before later requests until it succeeds (or the stored token
// changes, by a new login or a disconnect, which then stands).
//
// # Resources
//
// A Client has a method for every operation of the API, each a thin layer
// that sends the request the spec describes and decodes the answer into the
// types generated from the spec, which this package re-exports with their
// fields in their doc comments: [Workout], [Sleep], [Meal] ... A field UP
// may leave out is a plain value where absent and zero mean the same (a
// null from the server reads as zero), a pointer where they differ (a body
// measurement not taken). Kinds of workout, meal, mood and the like are
// named values ([WorkoutRun], [MealBreakfast], [MoodGood] ...) with String
// and Valid. Reads of one object return it with a [*Response] holding the
// envelope's [Meta]:
//
//	user, resp, err := client.User(ctx)
//	fmt.Println(user.XID, resp.Meta.Time)
//
// Lists come two ways: an iterator that follows UP's links.next page after
// page, holding one page at a time, and a page-at-a-time call whose [Page]
// has Next:
//
//	week := up.ListQuery{Range: up.Since(time.Now().AddDate(0, 0, -7))}
//	for w, err := range client.Workouts(ctx, week) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(w.XID, w.Title, w.SubType)
//	}
//
// A [ListQuery] selects by day ([Date], in the user's time zone), by
// [TimeRange], by UpdatedAfter, and sets the page size ([DefaultPageSize],
// 1,000 items, unless it says otherwise; UP's own default is 10); a query UP
// would refuse is a [*QueryError] before any request. Next links are resolved
// against the base URL, compared in RFC 3986 normal form (so %2e%2e is a
// dot segment), and refused ([*NextLinkError]) if they lead to another
// scheme, host or path, so the token never leaves the API; a link
// that repeats stops the walk with [ErrPaginationLoop]. [ResumePage] goes on
// from a saved [Page.NextURL].
//
// Writes send form fields as UP expects: CreateWorkout, UpdateWorkout
// (partialUpdate: only the fields set change), DeleteWorkout, and the same
// for sleeps, meals (items encoded as JSON for you; a [Photo] sends
// multipart), body events, generic events (attributes as JSON), moods and
// goals. A write UP would refuse, a workout type the spec does not list
// among them, is an [*InputError] before any request.
// A create or update (a POST) is never resent, except once after a 401
// refresh, when UP did not process it; a delete, which is idempotent, is
// resent after a 401 like a read. Writes are never redirected: a 3xx answer
// to a write is an [*APIError]. A read follows a redirect on the API's host
// only under the base path, and to another host only without the token.
//
// Config.Retry sets a [RetryPolicy] for reads: GET and DELETE requests
// answered 429, 502, 503 or 504 are retried with jittered backoff that
// honors Retry-After (capped at [MaxRetryAfter]) and the context's deadline.
//
// [Client.Subscribe] registers a webhook, and a [WebhookHandler] receives
// the notifications: it checks each event's secret_hash in constant time,
// answers at once, and hands the verified [Notification] to your code,
// recovering (and logging) a panic there; with Dedupe set it drops replayed
// events.
//
// [Client.API] returns the generated client over the same authenticated
// transport, and [Client.HTTPClient] a plain *http.Client, for anything
// not covered here.
//
// # Testing
//
// Package up/uptest is a fake UP server, driven by the same spec, that
// tests point a Config at: ConfigFor returns a Config with the server's
// client credentials, BaseURL, AuthURL and TokenURL, and the server's
// MintToken gives a token without a login:
//
//	s := uptest.NewServer(t)
//	client := up.ConfigFor(s).Client(s.MintToken())
//
// A test of a login asks a user of the server to allow the app
// (uptest.User.Allow) and passes the URL it returns to Exchange.
//
// # Errors
//
// API calls fail with an [*APIError] for any non-2xx status, carrying the
// UP envelope's meta; errors.Is matches it against [ErrUnauthorized],
// [ErrForbidden], [ErrNotFound] and [ErrRateLimited], and a 429 comes as a
// [*RateLimitError] saying how long to wait. A 2xx answer that is not the
// JSON the spec promises is a [*DecodeError], and one longer than
// Config.MaxResponseBytes a [*ResponseTooLargeError]. The token endpoint
// fails with a [*TokenError], which matches [ErrLoginRequired] when the
// user must log in again. A storage failure is a [*StorageError], a
// missing token is [ErrNoToken], and an empty user key is [ErrEmptyKey].
//
// No error, and no String method, ever contains an access token, a refresh
// token or the client secret, in any encoding a server may quote it in; and
// no value that holds one prints it, whatever the fmt verb, slog handler
// or JSON encoder. Tokens and the client secret are never sent
// over plain HTTP except to a loopback address ([ErrInsecureTransport]).
package up
