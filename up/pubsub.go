package up

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/upapi/up-go/gen"
)

// Subscribe asks UP to POST a notification to webhookURL whenever the
// user's data that the token may read changes (POST /users/@me/pubsub).
// Receive them with a WebhookHandler. See https://jawbone.com/up/developer/pubsub.
func (c *Client) Subscribe(ctx context.Context, webhookURL string) (*Response, error) {
	u, err := url.Parse(webhookURL)
	if err != nil || !u.IsAbs() || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, &InputError{Field: "webhook", Reason: fmt.Sprintf("%q is not an absolute http(s) URL", webhookURL)}
	}
	p := gen.SubscribePubSubParams{Webhook: webhookURL}
	var qs query
	addString(&qs, "webhook", &p.Webhook)
	return sendEmpty(ctx, c, call{method: http.MethodPost, path: mePath + "/pubsub", query: qs.String()})
}

// Unsubscribe stops UP's notifications about the user (DELETE
// /users/@me/pubsub). See https://jawbone.com/up/developer/pubsub.
func (c *Client) Unsubscribe(ctx context.Context) (*Response, error) {
	return sendEmpty(ctx, c, call{method: http.MethodDelete, path: mePath + "/pubsub"})
}
