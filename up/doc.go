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
//
// # Credentials and storage
//
// A token is a *[golang.org/x/oauth2.Token]: an access token, a refresh
// token and an expiry (UP tokens last a year). Make a Client from a token
// ([Config.Client]), from a bare access token ([Config.ClientFromAccessToken]),
// from any [oauth2.TokenSource] ([Config.ClientFromTokenSource]), or from
// storage ([Config.ClientFromStorage]); read the current token back with
// [Client.Token].
//
// Set Config.Storage to a [TokenStorage] to keep the token across runs:
// Exchange saves the first token, every refresh saves the new one, and
// [Client.Disconnect] deletes it. [NewFileStorage] keeps it in a file of
// mode 0600, replaced atomically and locked across processes;
// [NewMemoryStorage] keeps it in memory.
//
// # Refresh
//
// When the API answers 401 Unauthorized, the Client refreshes the token and
// resends the request, at most twice per call; requests whose body cannot be
// sent again are not resent. Concurrent calls that meet the same rejected
// token share one refresh. Before refreshing, the Client reads Storage: if
// another process already stored a newer token, the Client adopts it
// instead, and a storage that implements [Locker] (as FileStorage does) is
// locked from that read to the save, so processes never refresh at once.
// [Client.Refresh] refreshes on demand by the same path.
//
// A refreshed token that cannot be saved is still used. The failure is
// reported to Config.OnSaveError, kept in [Client.PendingSaveError], and
// the save is retried before later requests until it succeeds.
//
// # Resources
//
// A Client has a method for every operation of the API, each a thin layer
// over the client generated from the spec (package gen, whose types this
// package re-exports: [Workout], [Sleep], [Meal] ...). Reads of one object
// return it with a [*Response] holding the envelope's [Meta]:
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
//		fmt.Println(w.XID, *w.Title)
//	}
//
// A [ListQuery] selects by day ([Date], in the user's time zone), by
// [TimeRange], by UpdatedAfter, and sets the page size; a query UP would
// refuse is a [*QueryError] before any request. Next links are resolved
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
// goals. A write UP would refuse is an [*InputError] before any request.
// Writes are never resent, except once after a 401 refresh, when UP did not
// process them, and never redirected: a 3xx answer to a write is an
// [*APIError]. A read follows a redirect on the API's host only under the
// base path, and to another host only without the token.
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
// tests can point a Config at: BaseURL, AuthURL and TokenURL from the
// server, and a token from its MintToken.
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
// user must log in again. A storage failure is a [*StorageError], and a
// missing token is [ErrNoToken].
//
// No error, and no String method, ever contains an access token, a refresh
// token or the client secret, in any encoding a server may quote it in; and
// no value that holds one prints it, whatever the fmt verb, slog handler
// or JSON encoder. Tokens and the client secret are never sent
// over plain HTTP except to a loopback address ([ErrInsecureTransport]).
package up
