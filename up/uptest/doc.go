// Package uptest is a fake Jawbone UP API for tests, in the spirit of
// net/http/httptest: a real HTTP server on a loopback port that speaks the
// UP API v1.1 and Jawbone's OAuth 2.0 as the spec in api/up.yaml describes
// them, with deterministic users and histories behind it.
//
//	s := uptest.NewServer(t)             // closed when the test ends
//	tok := s.MintToken()                 // every scope, no browser needed
//	// call s.URL + "/users/@me" with "Authorization: Bearer " + tok.AccessToken
//
// With package up, up.ConfigFor(s) is an up.Config for the server (a
// Server is an up.TestServer, by its Config and BaseURL methods), so
// up.ConfigFor(s).Client(tok) calls it.
//
// A server has one user, the default user, unless WithUsers, AddUser or
// AddUsers make more (see "Users" below); MintToken, UserXID,
// ExpireAccessTokens, Add, Touch and Delete act for the default user, and
// each User has the same methods for itself.
//
// NewServer ties the server to a test: a response that would break the spec
// fails the test. New makes one for programs (cmd/upmock serves one), which
// must Close it; NewUnstarted and Start let the caller choose the listener.
//
// # What is served
//
// The API is under URL, http://127.0.0.1:PORT/nudge/api/v.1.1, with every
// operation of the spec (package gen's StrictServerInterface, which the fake
// implements, so a spec change it does not follow stops it compiling).
// Every call acts on the user whose access token it carries. Paths that
// name that user by XID, as links.next does, are read as @me:
// /users/<XID>/moves is /users/@me/moves. Another user's XID is refused,
// with 403 for one of the caller's friends and 404 otherwise.
//
// Every answer is the UP envelope {"meta": {...}, "data": ...}, with
// Access-Control-Allow-Origin: * as Jawbone's servers sent it; a failure is
// an envelope whose meta carries code, message (NOT_AUTHORIZED, FORBIDDEN,
// NOT_FOUND, BAD_REQUEST, ...), error_type and error_detail, and no data.
//
// Every request and every answer is checked against the embedded spec
// (gen.GetSpec) with kin-openapi. A request that breaks it is refused
// with 400 BAD_REQUEST and the reason in error_detail; so is a JSON
// document in a form field (meal items, generic-event attributes) that does
// not match the schema its x-up-json-schema extension names. An answer that
// would break it is reported (NewServer: t.Errorf; New: the logger) and
// replaced by a 500 envelope, so the fake never teaches a client something
// the real service did not do.
//
// # Users
//
// The n-th user a server makes (from 1; the default user is the first)
// signs in on the login page as user<n>@example.com with the password
// DefaultPassword (WithEmail and WithPassword give others), and has a
// profile, goals, settings, friends and a history that depend only on the
// seed, n and the date, different from every other user's. Each user has
// three friends who are not on the server, and each user after the first
// is a friend of one user made before (drawn from the seed); Befriend makes
// two users friends. Making a user is cheap (a thousand take about 15 ms):
// the history is made on the first call that reads it. Tokens, codes,
// webhook subscriptions and deliveries are each user's: User.MintToken,
// ExpireAccessTokens, Revoke (every token and webhook of the user, as when
// the user disconnects the app in UP's own app), TokenRequests,
// RefreshTokenReplays and Deliveries; ExpireAllAccessTokens, RevokeAll,
// TokenRequests, RefreshTokenRequests and RefreshTokenReplays of the Server
// cover every user. A Server and its Users are safe for concurrent use.
//
// # The data
//
// Each user has a profile, goals, sharing settings and the time zone
// America/Los_Angeles, in which every date is computed. The history covers
// the WithDays days (30 by default) before the day the user was made, by
// the server's clock; today is empty, as if the band had not synced yet. Each day
// has the night's sleep (dated the day it ends) with its phase changes as
// sleep ticks, a move with hourly totals and a tick every ten minutes of
// wear, zero to two workouts (ticks included), one to three meals with their
// items, a resting heart rate most days, band events for each sleep and each
// stopwatch workout, and now and then a weigh-in (some measurements left
// empty, as real scales did), a mood, a generic event written by another app
// and a cardiac reading. Each day's data depends only on the seed (WithSeed),
// the user and the date, so the same seed on the same day gives the same data. The
// /image endpoints draw the ticks as a PNG chart. Trends are computed from
// the data: each bucket (d, w from Monday, m, y) holds the daily means over
// its days that have data, and body figures as they stood at its end;
// range_duration defaults to 5.
//
// Tests can change the data outside the API: Add stores an event in a
// user's data as if the band had recorded it, Touch marks one updated,
// Delete removes one. Each notifies webhooks like a change through the API.
//
// # Lists and pages
//
// List calls take date (one day in the user's zone; a date that is no day
// is 400), start_time and end_time (end_time defaults to now),
// updated_after (bandevents: created_after) and limit (10 by default). Without a time frame (no date,
// start_time or end_time) a list holds everything, newest first; with one,
// the matching events oldest first, as Jawbone did. (Jawbone's docs say a
// missing date means today; clients paging through history send start_time,
// and listing everything is what lets them page without one.) A page holds
// size items; when more remain, links.next is a path relative to the host
// that names the user by XID and repeats the filters, with page_token (the
// time_created of the page's last item) and limit. The last page, and an
// empty result ({"items":[],"size":0}), have no links. time_created is
// unique within a kind (a new event on a taken second moves on by a
// second), so the cursor never skips or repeats an event.
//
// # Writes
//
// Creates take form fields (a meal also multipart/form-data with its photo
// in the part "photo"), fill the XID, date, title and the rest, and answer
// 201 with the event. partialUpdate changes only the fields sent, and moves
// time_updated forward (by a second at least, so a frozen clock still shows
// the change). An app may update and delete only the events it created;
// anything else is 403 FORBIDDEN, whose error_detail says so. A delete
// answers 200 with {"meta": ..., "data": {}}.
//
// # OAuth
//
// The authorization endpoint (AuthURL) refuses an unknown client_id or a
// missing or unregistered redirect_uri (see WithRedirectPrefixes) with a 400
// page and never redirects then. It sends error=invalid_scope for a scope
// the spec does not declare and error=unsupported_response_type back to the
// app. Otherwise, by default, it asks WithConsent (granting by default) in
// the default user's place and redirects to redirect_uri with code and
// state, or with error=access_denied. Scopes are space-separated; none means
// basic_read. Codes are good once, for 10 minutes by the server's clock.
//
// With WithLoginPage it shows a login page instead, as UP did: the app's
// name (WithAppName), the scopes asked for with the spec's descriptions, a
// form to sign in with a user's email and password, and Allow and Deny
// buttons. Allow with the right password sends the browser back (303) with
// a code for the user who signed in; a wrong one shows the form again with
// an error; Deny sends error=access_denied. The page holds no script and
// loads nothing; each page carries a CSRF token that works once, for 10
// minutes, and a form posted from another origin or without a token the
// server issued is refused with a 403 page. User.Allow and User.Deny answer
// an authorization URL as that user would on the page, without a browser,
// whichever mode the server is in.
//
// The token endpoint (TokenURL) takes a form POST with client_id and
// client_secret in the body (not HTTP Basic: that is 401 invalid_client),
// and also a GET with the same parameters in the query string, as Jawbone's
// own mobile SDKs sent it. grant_type=authorization_code checks the code
// and, when the exchange sends redirect_uri, that it equals the one
// authorized (Jawbone's SDKs sent none). grant_type=refresh_token replaces
// both tokens: the old access and refresh tokens stop working at once.
// Failures are {"error", "error_description"} with 400 (invalid_request,
// invalid_grant, unsupported_grant_type) or 401 (invalid_client); answers
// carry Cache-Control: no-store. Access tokens live a year
// (WithAccessTokenLifetime); refresh tokens do not expire.
//
// # Authentication and scopes
//
// Each API call needs Authorization: Bearer with a token the server issued;
// without one, or with one that is unknown, expired or revoked, the answer
// is 401 NOT_AUTHORIZED with WWW-Authenticate: Bearer. The scopes each
// operation needs are read from its security requirements in the embedded
// spec: any one requirement suffices, and an empty one accepts any valid
// token. A token without them gets 403 FORBIDDEN, error_type
// insufficient_scope, and an error_detail naming the scopes needed and
// those granted. Data is filtered as Jawbone filtered it: place_* fields
// need location_read, the user's weight, height and gender extended_read,
// sleep-mode band events sleep_read and stopwatch ones move_read, trend
// metrics m_* move_read, s_* sleep_read and e_* meal_read (body figures
// extended_read, body_fat weight_read).
//
// DELETE /users/@me/PartnerAppMembership revokes every token of the user for
// the app and removes its webhook. ExpireAccessTokens, RevokeAll and
// MintToken drive token states from a test; TokenRequests counts token
// requests by grant type, RefreshTokenReplays the refresh tokens sent again
// after a refresh exchanged them, and Requests lists every request received
// (method, path, query, form, authorization scheme, content type; secrets
// redacted).
//
// # Webhooks
//
// POST /users/@me/pubsub?webhook=URL registers the app's webhook for the
// token's user, DELETE removes it. Every create, update and delete after that,
// through the API or through Add, Touch and Delete, and every band event
// added, is POSTed to it asynchronously as Jawbone did: a form body whose
// field "file" holds {"notification_timestamp", "events": [{"user_xid",
// "event_xid", "type", "action" (creation, updation, deletion), "timestamp",
// "secret_hash"}]}, timestamps as strings, secret_hash the hex SHA-256 of
// the client ID and secret (SecretHash). Only kinds the registering token
// may read are sent. A notification is tried until the receiver answers
// 200, three times at most, with a short backoff, then dropped.
// WaitNotifications waits for the queue to drain and Deliveries tells what
// happened; Close stops delivery.
//
// # Faults
//
// Inject (or cmd/upmock -fault, parsed by ParseFault) makes the server
// misbehave on matching API calls, or on the token endpoint when the fault's
// Path names it (starts with /auth): an error status with Retry-After,
// latency, a body cut short with the connection closed, JSON that does not
// parse, a dropped connection, an HTML error page from a proxy, or a 401
// whatever the token. A fault can apply to a number of requests, or with a
// probability drawn from the seed. Faults spoil answers after they are
// checked against the spec, so they never fail a test.
package uptest
