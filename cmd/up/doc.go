// Command up is a command line for the Jawbone UP API v1.1, built on the
// up-go SDK (package up): log in, look at the data, export it, and walk the
// whole SDK against a built-in fake server.
//
// Usage:
//
//	up COMMAND [flags] [arguments]
//
// Commands:
//
//	login    [--scope s ...|--scopes a,b] [--timeout 5m|300] [--no-browser]
//	         log in through the browser; the token is saved in the token file
//	logout   [--force]
//	         revoke the app's access (DELETE /users/@me/PartnerAppMembership)
//	         and delete the saved token
//	whoami   [--format table|json]
//	         the user's profile and the answer's meta
//	friends  [--format table|json]
//	         the user's friends
//	list     RESOURCE [--date D | --since T [--until T]] [--updated-after T]
//	         [--limit N] [--max N] [--format table|json|jsonl|csv]
//	         the items of a resource, printed as they arrive
//	get      PATH [--raw]
//	         GET an API path and print the JSON answer, indented
//	export   DIR [--since T] [--until T] [--resources a,b] [--no-ticks]
//	         [--limit N] [--concurrency N] [--restart]
//	         everything into DIR, one JSONL file per resource and per tick
//	         series and a manifest, resumable after an interruption
//	demo     the whole SDK journey against a fake UP server in the process
//	version  the version
//	help     [COMMAND]
//
// RESOURCE is one of moves, workouts, sleeps, meals, body_events, heartrates,
// generic_events, bandevents and cardiac_events (deprecated, API v1.0). A
// time T is RFC 3339, a day YYYY-MM-DD or YYYYMMDD (midnight, local time),
// or a span back from now such as 7d or 36h. A duration (login --timeout)
// is a Go duration such as 90s or 5m, or a number of seconds. Every command
// has --help. A mistyped command, flag, resource or format gets a "did you
// mean" with the closest name.
//
// Data goes to stdout and everything else (counts such as "(3 friends)",
// notes, confirmations, progress, errors) to stderr, so that
// 'up COMMAND > FILE' holds only data; nothing reaches stdout before UP has
// answered.
//
// # Configuration
//
// Each setting comes from a flag or else from an environment variable:
//
//	UP_CLIENT_ID      --client-id      the application's client ID
//	UP_CLIENT_SECRET  --client-secret  the application's client secret
//	UP_REDIRECT_URL   --redirect-url   the registered redirect URL
//	UP_BASE_URL       --base-url       the API root
//	UP_AUTH_URL       --auth-url       the login page
//	UP_TOKEN_URL      --token-url      the token endpoint
//	UP_TOKEN_FILE     --token-file     the token file (default <user config dir>/up-go/token.json)
//	UP_ACCESS_TOKEN                    an access token to use instead of the token file
//
// Every command that talks to UP needs the client ID and secret (the secret
// refreshes the token), unless UP_ACCESS_TOKEN is set: then that token is
// used as it is, whether or not a token file exists (the variable wins, and
// the file is neither read nor written), and it cannot be refreshed, so a
// 401 ends the command with exit status 3. login ignores it; logout refuses
// while it is set, as it has nothing of it to delete. URLs must be https,
// except to 127.0.0.1 or localhost, so that every command also works against
// package up/uptest or cmd/upmock. Jawbone has shut UP down, and the default
// URLs (jawbone.com) no longer answer, so the URLs are set to such a server:
//
//	upmock -addr 127.0.0.1:8080 &
//	export UP_BASE_URL=http://127.0.0.1:8080/nudge/api/v.1.1
//	export UP_ACCESS_TOKEN=...                            # the token upmock prints
//	up list workouts --since 7d
//
// or, to log in through the browser (upmock prints these as one line, with
// UP_BASE_URL):
//
//	export UP_CLIENT_ID=... UP_CLIENT_SECRET=...          # as upmock prints them
//	export UP_AUTH_URL=http://127.0.0.1:8080/auth/oauth2/auth
//	export UP_TOKEN_URL=http://127.0.0.1:8080/auth/oauth2/token
//	up login && up list workouts --since 7d
//
// # Login
//
// login listens on 127.0.0.1 for UP's answer: on the port of UP_REDIRECT_URL
// when it is http://127.0.0.1:PORT/... or http://localhost:PORT/..., else on
// a free port with the redirect URL http://127.0.0.1:PORT/callback, which
// must then be registered for the application. It first asks for the login
// page once without following it, so that a refused client ID or redirect URL
// is reported at once; then it prints the login URL, opens a browser when
// there is one, exchanges the code of the first answer that carries the
// login's state (answers with a wrong or missing state, which could be
// forged, and later answers get an error page and are ignored, so a forged
// refusal cannot end the login), saves the token, prints who logged in,
// and shuts its server down, also on Ctrl-C and after --timeout. The scopes
// default to every read scope; the CLI writes nothing. "--scopes all" adds
// the write scopes; basic_read is always asked for.
//
// # Export
//
// export writes RESOURCE.jsonl for each list resource (each item as UP sent
// it), move_ticks.jsonl, sleep_ticks.jsonl and workout_ticks.jsonl (a line
// {"xid": EVENT, "ticks": [...]} per event, in the order of the events'
// file; --no-ticks leaves them out), user.json, friends.json, goals.json,
// settings.json and manifest.json.
//
// Its requests run concurrently, at most --concurrency (default 4) at a
// time: each resource's pages one after another, as links.next demands, the
// ticks of each event as soon as its page has arrived, and always the
// request with the longest chain of requests behind it first, so that an
// export takes about max(longest chain, requests ÷ 4) round trips. A 429
// Too Many Requests pauses every request for its Retry-After and halves the
// concurrency, which grows back while UP answers without complaint.
//
// Files grow only by whole pages (ticks: by whole events, in order). After
// each batch of answers the files are synced, then DIR/.export-state.json
// is atomically rewritten with each file's committed length and each
// resource's next page; run again with the same parameters, export
// truncates each file to its committed length and goes on from there, so
// an interrupted and resumed export holds, byte for byte, what an
// uninterrupted one would. With other parameters it refuses unless
// --restart, and so it does in a DIR that holds a finished export (a
// manifest): --restart removes that export's files and starts anew. A
// resource the token may not read is skipped and noted in the manifest.
//
// # Exit codes
//
//	0  success
//	1  failure: a login that did not complete, a local file, anything else
//	2  usage: an unknown command or flag, a bad argument, missing or unsafe
//	   configuration (client ID or secret missing, plain http to another host)
//	3  not logged in, or the UP session has ended: run 'up login'
//	4  the UP API or its token endpoint refused the request (such as a wrong
//	   client secret), failed, or could not be reached
//	5  interrupted (Ctrl-C); run an export again to resume it
//
// Errors are one line on stderr, and never show a token or the secret.
package main
