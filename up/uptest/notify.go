package uptest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/upapi/up-go/gen"
)

// webhookTries is how many times a notification is sent before it is
// dropped, as on Jawbone: once, then twice more.
const webhookTries = 3

// A Delivery is the fate of one webhook notification.
type Delivery struct {
	URL          string                  // the subscription's webhook URL it was posted to
	Notification gen.WebhookNotification // what was posted, with its secret_hash
	// Attempts is how many times it was sent (at most 3).
	Attempts int
	// Status is the receiver's status on the last attempt; 0 when there was
	// no answer.
	Status int
	// Err is why the last attempt failed, when it did.
	Err error
	// Delivered reports whether the receiver answered 200 to an attempt.
	Delivered bool
}

type webhookJob struct {
	url          string
	notification gen.WebhookNotification
	payload      []byte
}

// notifier sends webhook notifications from one goroutine, started with the
// first notification and stopped by Close.
type notifier struct {
	s *Server

	mu         sync.Mutex
	subs       map[string]map[string]subscription // by user XID, then client ID
	queue      []webhookJob
	pending    int // queued or being sent
	waiters    []chan struct{}
	deliveries []Delivery
	running    bool
	closed     bool

	wake      chan struct{}
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	transport *http.Transport
	client    *http.Client
}

func newNotifier(s *Server) *notifier {
	ctx, cancel := context.WithCancel(context.Background())
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 2, IdleConnTimeout: 30 * time.Second}
	return &notifier{
		s:         s,
		subs:      make(map[string]map[string]subscription),
		wake:      make(chan struct{}, 1),
		ctx:       ctx,
		cancel:    cancel,
		transport: tr,
		client:    &http.Client{Transport: tr, Timeout: 5 * time.Second},
	}
}

// SecretHash is the secret_hash every webhook notification to the server's
// client carries: the lowercase hex SHA-256 of the client ID followed by the
// client secret.
func (s *Server) SecretHash() string { return secretHash(s.ClientID, s.ClientSecret) }

func secretHash(id, secret string) string {
	sum := sha256.Sum256([]byte(id + secret))
	return hex.EncodeToString(sum[:])
}

func (n *notifier) subscribe(clientID, userXID, url string, scopes map[string]bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.subs[userXID] == nil {
		n.subs[userXID] = make(map[string]subscription)
	}
	n.subs[userXID][clientID] = subscription{url: url, scopes: scopes}
}

// unsubscribe removes the webhook of clientID for the user; every app's
// when clientID is "".
func (n *notifier) unsubscribe(clientID, userXID string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if clientID == "" {
		delete(n.subs, userXID)
		return
	}
	delete(n.subs[userXID], clientID)
}

// timestamp writes an epoch as the docs' sample did: a string.
func timestamp(t int64) gen.WebhookTimestamp {
	var ts gen.WebhookTimestamp
	_ = ts.FromWebhookTimestamp0(strconv.FormatInt(t, 10))
	return ts
}

// notify tells every app that registered a webhook for user u, and may
// read kind, that event xid had action. A band event passes kind "" and its
// action as action.
func (s *Server) notify(u *User, kind Kind, xid, action string, at int64) {
	n := s.hooks
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	user := u.XID()
	for clientID, sub := range n.subs[user] {
		if !(view{sub.scopes}).hears(kind, action) {
			continue
		}
		ev := gen.WebhookEvent{UserXID: user, Action: gen.WebhookEventAction(action), Timestamp: timestamp(at)}
		if kind != "" {
			ev.EventXID, ev.Type = xid, string(kind)
		}
		ev.SecretHash = secretHash(clientID, s.clientSecretOf(clientID))
		note := gen.WebhookNotification{NotificationTimestamp: timestamp(s.now().Unix()), Events: []gen.WebhookEvent{ev}}
		payload, err := json.Marshal(note)
		if err == nil {
			err = s.contract.checkSchema("WebhookNotification", payload)
		}
		if err != nil {
			s.specBroken("webhook notification", err)
			continue
		}
		n.queue = append(n.queue, webhookJob{url: sub.url, notification: note, payload: payload})
		n.pending++
		if !n.running {
			n.running = true
			n.wg.Add(1)
			go n.run()
		}
		select {
		case n.wake <- struct{}{}:
		default:
		}
	}
}

// clientSecretOf returns the secret of a registered client.
func (s *Server) clientSecretOf(clientID string) string {
	if clientID == s.ClientID {
		return s.ClientSecret
	}
	return ""
}

func (n *notifier) run() {
	defer n.wg.Done()
	for {
		n.mu.Lock()
		for len(n.queue) == 0 {
			n.mu.Unlock()
			select {
			case <-n.wake:
			case <-n.ctx.Done():
				return
			}
			n.mu.Lock()
		}
		job := n.queue[0]
		n.queue = n.queue[1:]
		n.mu.Unlock()

		d := n.deliver(job)

		n.mu.Lock()
		n.deliveries = append(n.deliveries, d)
		n.pending--
		if n.pending == 0 {
			for _, w := range n.waiters {
				close(w)
			}
			n.waiters = nil
		}
		n.mu.Unlock()
	}
}

// deliver POSTs a notification, in the form field "file", until the
// receiver answers 200 or it was tried three times.
func (n *notifier) deliver(job webhookJob) Delivery {
	d := Delivery{URL: job.url, Notification: job.notification}
	body := url.Values{"file": {string(job.payload)}}.Encode()
	backoff := n.s.cfg.retryBackoff
	for d.Attempts < webhookTries {
		if d.Attempts > 0 {
			select {
			case <-time.After(backoff):
				backoff *= 2
			case <-n.ctx.Done():
				d.Err = n.ctx.Err()
				return d
			}
		}
		d.Attempts++
		d.Status, d.Err = 0, nil
		req, err := http.NewRequestWithContext(n.ctx, http.MethodPost, job.url, strings.NewReader(body))
		if err != nil {
			d.Err = err
			return d
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("User-Agent", "UP-PubSub/1.1 (uptest)")
		resp, err := n.client.Do(req)
		if err != nil {
			d.Err = err
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
		d.Status = resp.StatusCode
		if resp.StatusCode == http.StatusOK {
			d.Delivered = true
			return d
		}
		d.Err = fmt.Errorf("uptest: webhook answered %s", resp.Status)
	}
	return d
}

// Deliveries returns the webhook notifications that were sent or dropped so
// far, in the order they finished.
func (s *Server) Deliveries() []Delivery {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return append([]Delivery(nil), s.hooks.deliveries...)
}

// WaitNotifications waits until every webhook notification queued so far
// was delivered or dropped, or ctx is done.
func (s *Server) WaitNotifications(ctx context.Context) error {
	n := s.hooks
	n.mu.Lock()
	if n.pending == 0 || n.closed {
		n.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	n.waiters = append(n.waiters, ch)
	n.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stops the sender, dropping what is still queued.
func (n *notifier) close() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.cancel()
	n.wg.Wait()
	n.mu.Lock()
	n.queue, n.pending = nil, 0
	for _, w := range n.waiters {
		close(w)
	}
	n.waiters = nil
	n.mu.Unlock()
	n.transport.CloseIdleConnections()
}
