package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// sessionCookie is the name of the cookie that holds a browser's session.
const sessionCookie = "webapp_session"

// loginTimeout is how long a browser has to come back from UP's login page
// before the state it was given no longer counts.
const loginTimeout = 15 * time.Minute

// session is what the app keeps about one browser, in a cookie it signs:
// the signed-in user, the state of a login under way, and the token that
// the browser's forms must send back (CSRF). It holds no UP token: those
// stay in the store.
type session struct {
	// User is the signed-in user's UP XID, the app's key for the user;
	// empty before sign-in.
	User string `json:"u,omitempty"`
	// Name is the user's first name, for the page header.
	Name string `json:"n,omitempty"`
	// State is the OAuth state of a login under way, and StateExpires when
	// it stops counting (Unix seconds).
	State        string `json:"s,omitempty"`
	StateExpires int64  `json:"se,omitempty"`
	// CSRF is the token every form of the session sends back.
	CSRF string `json:"c"`
	// Expires is when the session ends (Unix seconds).
	Expires int64 `json:"e"`
}

// errBadSession reports a session cookie that is missing, altered, signed
// with another key, or expired: the browser starts a new session.
var errBadSession = errors.New("no valid session")

// sessions signs and reads session cookies with an HMAC-SHA256 key. A
// session cannot be forged or altered without the key; it can be copied,
// which is why it holds no UP token and why signing out also deletes the
// user's stored UP token (see App.signOut).
type sessions struct {
	key    []byte
	ttl    time.Duration
	secure bool // Secure cookies: the app is served over HTTPS
	now    func() time.Time
}

// minSessionKey is the shortest session key accepted: 256 bits.
const minSessionKey = 32

// newSessions returns a signer for sessions that last ttl.
func newSessions(key []byte, ttl time.Duration, secure bool, now func() time.Time) (*sessions, error) {
	if len(key) < minSessionKey {
		return nil, fmt.Errorf("the session key has %d bytes; it needs at least %d random bytes", len(key), minSessionKey)
	}
	return &sessions{key: append([]byte(nil), key...), ttl: ttl, secure: secure, now: now}, nil
}

// randomToken returns 32 random bytes, base64url encoded.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// fresh returns a new, empty session with a CSRF token of its own.
func (s *sessions) fresh() *session {
	return &session{CSRF: randomToken(), Expires: s.now().Add(s.ttl).Unix()}
}

// sign returns the cookie value of sess: payload "." signature, both
// base64url.
func (s *sessions) sign(sess *session) (string, error) {
	payload, err := json.Marshal(sess)
	if err != nil {
		return "", err
	}
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(s.mac(p)), nil
}

func (s *sessions) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("webapp session v1\x00"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// parse checks a cookie value's signature and expiry and returns its
// session.
func (s *sessions) parse(value string) (*session, error) {
	p, sig, ok := strings.Cut(value, ".")
	if !ok {
		return nil, errBadSession
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(p)) {
		return nil, errBadSession
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return nil, errBadSession
	}
	var sess session
	if err := json.Unmarshal(payload, &sess); err != nil || sess.CSRF == "" {
		return nil, errBadSession
	}
	if s.now().Unix() >= sess.Expires {
		return nil, errBadSession
	}
	return &sess, nil
}

// read returns the request's session, or errBadSession.
func (s *sessions) read(r *http.Request) (*session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, errBadSession
	}
	return s.parse(c.Value)
}

// write sets the session cookie: HttpOnly, so no script reads it;
// SameSite=Lax, so another site's forms do not carry it (and UP's redirect
// back, a top-level GET, does); Secure when the app is served over HTTPS.
func (s *sessions) write(w http.ResponseWriter, sess *session) error {
	v, err := s.sign(sess)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: v, Path: "/", Expires: time.Unix(sess.Expires, 0),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// clear removes the session cookie.
func (s *sessions) clear(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

// checkCSRF reports whether the form's csrf field is the session's token.
func checkCSRF(sess *session, r *http.Request) bool {
	got := r.PostFormValue("csrf")
	return sess != nil && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) == 1
}
