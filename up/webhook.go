package up

import (
	"bytes"
	"container/list"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Notification is what UP POSTs to a webhook: one or more changes to users'
// data, not necessarily in time order. See https://jawbone.com/up/developer/pubsub.
type Notification struct {
	// Time is when UP sent the notification; zero when it did not say.
	Time time.Time
	// Events are the changes, each already checked to come from UP.
	Events []WebhookEvent
}

// WebhookEvent is one change in a Notification: a data event (a move,
// workout, meal... was created, updated or deleted) or a band event (the
// band entered or left sleep or stopwatch mode).
type WebhookEvent struct {
	UserXID  string    // the user whose data changed
	EventXID string    // the event that changed; empty for band events
	Type     string    // what changed ("move", "workout", ...); empty for band events
	Action   string    // "creation", "updation", "deletion", or a band action such as "enter_sleep_mode"
	Time     time.Time // when it happened; zero when UP did not say
}

// IsBandEvent reports whether e is a band event rather than a data event.
func (e WebhookEvent) IsBandEvent() bool { return e.EventXID == "" && e.Type == "" }

// Webhook actions for data events.
const (
	ActionCreation = "creation"
	ActionUpdation = "updation"
	ActionDeletion = "deletion"
)

// WebhookSecretHash returns the secret_hash UP puts in every notification
// to the application: the lowercase hex SHA-256 of the client ID followed
// by the client secret.
func WebhookSecretHash(clientID, clientSecret string) string {
	sum := sha256.Sum256([]byte(clientID + clientSecret))
	return hex.EncodeToString(sum[:])
}

// DefaultWebhookMaxBody bounds the body a WebhookHandler reads.
const DefaultWebhookMaxBody = 1 << 20

// WebhookHandler is an http.Handler that receives UP notifications. It
// accepts the JSON notification in the form field "file" (as UP sends it,
// urlencoded or multipart) or as a raw JSON body, checks every event's
// secret_hash in constant time, answers at once, and then hands the
// notification to Handle in its own goroutine.
//
// Forged notifications (a wrong or missing secret_hash, as when another
// application's notification is replayed to this one) get 403, malformed
// ones 400, bodies over MaxBody 413, and Handle is not called. When
// MaxConcurrent notifications are already being handled, it answers 503 so
// that UP tries again later.
//
// A panic in Handle is recovered and reported to Logger, without the client
// secret; since UP has had its answer (200) by then, the notification is
// not sent again. A panic while a notification is read is recovered too,
// and answered 500.
//
// secret_hash is the same in every notification to the application, so a
// notification captured once verifies forever. Set Dedupe to drop events
// already received: replays, and UP's own repeats.
type WebhookHandler struct {
	// ClientID and ClientSecret are the application's credentials, from
	// which UP derives secret_hash.
	ClientID, ClientSecret string
	// Handle receives each verified notification. Its context is not
	// canceled when UP's request ends.
	Handle func(ctx context.Context, n *Notification)
	// MaxBody bounds the request body; zero means DefaultWebhookMaxBody.
	MaxBody int64
	// MaxConcurrent bounds the Handle calls in progress; zero means 16.
	MaxConcurrent int
	// Logger receives an error record for each panic recovered from
	// Handle or from reading a notification: the panic's value and stack,
	// with the client secret removed in any encoding. Nil means
	// slog.Default().
	Logger *slog.Logger
	// Dedupe, when positive, is how many events the handler remembers to
	// drop repeats: an event with the user, event XID, type, action and
	// timestamp of one remembered is left out of the Notification, and a
	// notification of repeats only is answered 200 without calling Handle.
	// The memory is a fixed-capacity cache, under 100 bytes an event, that
	// forgets the least recently seen event first. An event is remembered
	// once it is accepted (not when the handler answers 503, so that UP's
	// retry is handled). Zero keeps no memory and drops nothing.
	Dedupe int

	once sync.Once
	hash []byte
	sem  chan struct{}
	wg   sync.WaitGroup
	seen *eventCache // nil unless Dedupe > 0
}

// NewWebhookHandler returns a WebhookHandler for the application cfg
// describes, calling handle for each verified notification.
func NewWebhookHandler(cfg *Config, handle func(ctx context.Context, n *Notification)) *WebhookHandler {
	return &WebhookHandler{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Handle: handle}
}

func (h *WebhookHandler) init() {
	h.once.Do(func() {
		h.hash = []byte(WebhookSecretHash(h.ClientID, h.ClientSecret))
		h.sem = make(chan struct{}, positiveOr(h.MaxConcurrent, 16))
		if h.Dedupe > 0 {
			h.seen = newEventCache(h.Dedupe)
		}
	})
}

// ServeHTTP receives one notification.
func (h *WebhookHandler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	h.init()
	w := &answerWriter{ResponseWriter: rw}
	defer func() {
		if v := recover(); v != nil {
			h.logPanic(r.Context(), "up: webhook: panic while reading a notification", v)
			if !w.answered {
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}
	}()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if h.ClientID == "" || h.ClientSecret == "" || h.Handle == nil {
		http.Error(w, "webhook not configured", http.StatusInternalServerError)
		return
	}
	// The server's own writer, so that MaxBytesReader can tell it to close
	// the connection after a body too large.
	n, err := h.read(rw, r)
	if err != nil {
		var we *webhookError
		if errors.As(err, &we) {
			http.Error(w, we.msg, we.status)
		} else {
			http.Error(w, "bad notification", http.StatusBadRequest)
		}
		return
	}
	if len(n.Events) == 0 {
		w.WriteHeader(http.StatusOK)
		return
	}
	select {
	case h.sem <- struct{}{}:
	default:
		w.Header().Set("Retry-After", "5")
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	if h.seen != nil {
		if n.Events = h.seen.fresh(n.Events); len(n.Events) == 0 {
			<-h.sem
			w.WriteHeader(http.StatusOK)
			return
		}
	}
	h.wg.Add(1)
	ctx := context.WithoutCancel(r.Context())
	go func() {
		defer func() {
			if v := recover(); v != nil {
				h.logPanic(ctx, "up: webhook: Handle panicked", v)
			}
			<-h.sem
			h.wg.Done()
		}()
		h.Handle(ctx, n)
	}()
	w.WriteHeader(http.StatusOK)
}

// logPanic reports a recovered panic to the Logger, with its stack, the
// client secret removed from both.
func (h *WebhookHandler) logPanic(ctx context.Context, msg string, v any) {
	r := newRedactor(h.ClientSecret)
	logger := h.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.ErrorContext(ctx, msg, "panic", r.text(fmt.Sprint(v)), "stack", r.text(string(debug.Stack())))
}

// answerWriter notes whether an answer was started.
type answerWriter struct {
	http.ResponseWriter
	answered bool
}

func (w *answerWriter) WriteHeader(code int) {
	w.answered = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *answerWriter) Write(b []byte) (int, error) {
	w.answered = true
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the ResponseWriter underneath.
func (w *answerWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// eventCache remembers the most recently seen events, up to a fixed
// number, by a 64-bit hash of what identifies them.
type eventCache struct {
	mu    sync.Mutex
	seed  maphash.Seed
	cap   int
	order *list.List // of uint64, the most recently seen first
	index map[uint64]*list.Element
}

func newEventCache(capacity int) *eventCache {
	return &eventCache{seed: maphash.MakeSeed(), cap: capacity, order: list.New(), index: make(map[uint64]*list.Element)}
}

// fresh returns the events not seen before, in order, and remembers all of
// them as just seen. A repeat within events counts as seen.
func (c *eventCache) fresh(events []WebhookEvent) []WebhookEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := events[:0:0]
	for _, e := range events {
		k := c.key(e)
		if el, ok := c.index[k]; ok {
			c.order.MoveToFront(el)
			continue
		}
		c.index[k] = c.order.PushFront(k)
		if c.order.Len() > c.cap {
			oldest := c.order.Back()
			c.order.Remove(oldest)
			delete(c.index, oldest.Value.(uint64))
		}
		out = append(out, e)
	}
	return out
}

// len returns how many events are remembered.
func (c *eventCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// key hashes what identifies an event: user, event XID, type, action and
// timestamp, each written with its length so that no two differ only in
// where one ends.
func (c *eventCache) key(e WebhookEvent) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	for _, s := range []string{e.UserXID, e.EventXID, e.Type, e.Action} {
		_, _ = h.WriteString(strconv.Itoa(len(s)))
		_ = h.WriteByte(':')
		_, _ = h.WriteString(s)
	}
	_, _ = h.WriteString(strconv.FormatInt(e.Time.Unix(), 10))
	return h.Sum64()
}

// Wait blocks until every Handle call started so far has returned, or ctx
// ends; call it after shutting the HTTP server down.
func (h *WebhookHandler) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// webhookError is a rejection with its HTTP status.
type webhookError struct {
	status int
	msg    string
}

func (e *webhookError) Error() string { return e.msg }

func badNotification(format string, args ...any) error {
	return &webhookError{status: http.StatusBadRequest, msg: "bad notification: " + fmt.Sprintf(format, args...)}
}

// read extracts, decodes and verifies the notification in r.
func (h *WebhookHandler) read(w http.ResponseWriter, r *http.Request) (*Notification, error) {
	limit := positiveOr(h.MaxBody, DefaultWebhookMaxBody)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &webhookError{status: http.StatusRequestEntityTooLarge, msg: "notification too large"}
		}
		return nil, badNotification("reading body")
	}
	doc, err := notificationDocument(r.Header.Get("Content-Type"), body, limit)
	if err != nil {
		return nil, err
	}
	n, hashes, err := parseNotification(doc)
	if err != nil {
		return nil, err
	}
	for _, got := range hashes {
		if subtle.ConstantTimeCompare([]byte(strings.ToLower(got)), h.hash) != 1 {
			return nil, &webhookError{status: http.StatusForbidden, msg: "secret_hash does not match"}
		}
	}
	return n, nil
}

// notificationDocument returns the notification JSON from a request body:
// the form field "file" of a urlencoded or multipart body, or the body
// itself when it is JSON.
func notificationDocument(contentType string, body []byte, limit int64) ([]byte, error) {
	mt, params, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, badNotification("form: %v", err)
		}
		if !form.Has("file") {
			return nil, badNotification(`no "file" field`)
		}
		return []byte(form.Get("file")), nil
	case "multipart/form-data":
		r := multipartReader(body, params["boundary"])
		if r == nil {
			return nil, badNotification("multipart body without a boundary")
		}
		f, err := r.ReadForm(limit)
		if err != nil {
			return nil, badNotification("multipart: %v", err)
		}
		defer func() { _ = f.RemoveAll() }()
		if v := f.Value["file"]; len(v) > 0 {
			return []byte(v[0]), nil
		}
		if fh := f.File["file"]; len(fh) > 0 {
			file, err := fh[0].Open()
			if err != nil {
				return nil, badNotification("multipart file: %v", err)
			}
			defer func() { _ = file.Close() }()
			return io.ReadAll(io.LimitReader(file, limit))
		}
		return nil, badNotification(`no "file" field`)
	case "application/json", "":
		return body, nil
	}
	return nil, &webhookError{status: http.StatusUnsupportedMediaType, msg: "unsupported content type " + mt}
}

// wireNotification is the notification's JSON, with timestamps that UP
// wrote as strings or as numbers.
type wireNotification struct {
	NotificationTimestamp json.RawMessage `json:"notification_timestamp"`
	Events                []struct {
		UserXID    string          `json:"user_xid"`
		EventXID   string          `json:"event_xid"`
		Type       string          `json:"type"`
		Action     string          `json:"action"`
		Timestamp  json.RawMessage `json:"timestamp"`
		SecretHash string          `json:"secret_hash"`
	} `json:"events"`
}

// parseNotification decodes a notification document, returning it with the
// secret_hash of each event for the caller to check.
func parseNotification(doc []byte) (*Notification, []string, error) {
	var raw wireNotification
	dec := json.NewDecoder(bytes.NewReader(doc))
	if err := dec.Decode(&raw); err != nil {
		return nil, nil, badNotification("JSON: %v", err)
	}
	if len(bytes.TrimSpace(doc[dec.InputOffset():])) > 0 {
		return nil, nil, badNotification("trailing data after the JSON document")
	}
	if raw.Events == nil {
		return nil, nil, badNotification(`no "events"`)
	}
	n := &Notification{Events: make([]WebhookEvent, 0, len(raw.Events))}
	var err error
	if n.Time, err = epochField(raw.NotificationTimestamp); err != nil {
		return nil, nil, badNotification("notification_timestamp: %v", err)
	}
	hashes := make([]string, 0, len(raw.Events))
	for i, e := range raw.Events {
		if e.SecretHash == "" {
			return nil, nil, &webhookError{status: http.StatusForbidden, msg: fmt.Sprintf("event %d has no secret_hash", i)}
		}
		if e.UserXID == "" || e.Action == "" {
			return nil, nil, badNotification("event %d lacks user_xid or action", i)
		}
		ev := WebhookEvent{UserXID: e.UserXID, EventXID: e.EventXID, Type: e.Type, Action: e.Action}
		if ev.Time, err = epochField(e.Timestamp); err != nil {
			return nil, nil, badNotification("event %d timestamp: %v", i, err)
		}
		n.Events = append(n.Events, ev)
		hashes = append(hashes, e.SecretHash)
	}
	return n, hashes, nil
}

// epochField reads epoch seconds written as a JSON number or a numeric
// string; absent or null is the zero time.
func epochField(raw json.RawMessage) (time.Time, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return time.Time{}, nil
	}
	if unq, err := strconv.Unquote(s); err == nil {
		s = unq
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil || sec < 0 {
		return time.Time{}, fmt.Errorf("%.40q is not epoch seconds", s)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// multipartReader returns a reader over a multipart body, or nil without a
// boundary.
func multipartReader(body []byte, boundary string) *multipart.Reader {
	if boundary == "" {
		return nil
	}
	return multipart.NewReader(bytes.NewReader(body), boundary)
}
