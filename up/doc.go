// Package up is a client for the Jawbone UP API v1.1: OAuth 2.0 login,
// credentials that refresh themselves, token storage, and typed errors.
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
// # Errors
//
// API calls fail with an [*APIError] for any non-2xx status, carrying the
// UP envelope's meta; errors.Is matches it against [ErrUnauthorized],
// [ErrForbidden], [ErrNotFound] and [ErrRateLimited]. The token endpoint
// fails with a [*TokenError], which matches [ErrLoginRequired] when the
// user must log in again. A storage failure is a [*StorageError], and a
// missing token is [ErrNoToken].
//
// No error, and no String method, ever contains an access token, a refresh
// token or the client secret. Tokens and the client secret are never sent
// over plain HTTP except to a loopback address ([ErrInsecureTransport]).
package up
