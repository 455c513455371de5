package up

import (
	"context"
	"iter"
	"net/http"
)

// BodyEvents iterates over the user's body measurements that q selects,
// page after page. See https://jawbone.com/up/developer/endpoints/body.
func (c *Client) BodyEvents(ctx context.Context, q ListQuery) iter.Seq2[BodyEvent, error] {
	return all(ctx, func(ctx context.Context) (*Page[BodyEvent], error) { return c.BodyEventsPage(ctx, q) })
}

// BodyEventsPage fetches the first page of the user's body measurements
// that q selects (GET /users/@me/body_events; scope weight_read).
// See https://jawbone.com/up/developer/endpoints/body.
func (c *Client) BodyEventsPage(ctx context.Context, q ListQuery) (*Page[BodyEvent], error) {
	return listPage[BodyEvent](ctx, c, mePath+"/body_events", q)
}

// BodyEvent fetches one body measurement (GET /body_events/{xid}; scope
// weight_read). See https://jawbone.com/up/developer/endpoints/body.
func (c *Client) BodyEvent(ctx context.Context, xid string) (*BodyEvent, *Response, error) {
	return getEvent[BodyEvent](ctx, c, "body_events", xid)
}

// CreateBodyEvent logs a body measurement (POST /users/@me/body_events;
// scope weight_write); b must carry at least one measurement. It is never
// resent, except once the token is refreshed after a 401.
// See https://jawbone.com/up/developer/endpoints/body.
func (c *Client) CreateBodyEvent(ctx context.Context, b BodyEventCreate) (*BodyEvent, *Response, error) {
	if b.Title == "" {
		return nil, nil, &InputError{Field: "title", Reason: "empty"}
	}
	if b.Weight == nil && b.BodyFat == nil && b.LeanMass == nil && b.BMI == nil {
		return nil, nil, &InputError{Reason: "a body event needs weight, body_fat, lean_mass or bmi"}
	}
	return sendForm[BodyEvent](ctx, c, call{method: http.MethodPost, path: mePath + "/body_events"}, b)
}

// DeleteBodyEvent deletes a body measurement this application created
// (DELETE /body_events/{xid}; scope weight_write).
// See https://jawbone.com/up/developer/endpoints/body.
func (c *Client) DeleteBodyEvent(ctx context.Context, xid string) (*Response, error) {
	return deleteEvent(ctx, c, "body_events", xid)
}

// HeartRates iterates over the user's resting heart rates (one per day)
// that q selects, page after page. See
// https://jawbone.com/up/developer/endpoints/heartrate.
func (c *Client) HeartRates(ctx context.Context, q ListQuery) iter.Seq2[HeartRate, error] {
	return all(ctx, func(ctx context.Context) (*Page[HeartRate], error) { return c.HeartRatesPage(ctx, q) })
}

// HeartRatesPage fetches the first page of the user's resting heart rates
// that q selects (GET /users/@me/heartrates; scope heartrate_read).
// See https://jawbone.com/up/developer/endpoints/heartrate.
func (c *Client) HeartRatesPage(ctx context.Context, q ListQuery) (*Page[HeartRate], error) {
	return listPage[HeartRate](ctx, c, mePath+"/heartrates", q)
}

// CardiacEvents iterates over the user's cardiac events that q selects.
// See https://jawbone.com/up/developer/archive/version1_0/cardiac.
//
// Deprecated: cardiac events are API v1.0; use HeartRates.
func (c *Client) CardiacEvents(ctx context.Context, q ListQuery) iter.Seq2[CardiacEvent, error] {
	return all(ctx, func(ctx context.Context) (*Page[CardiacEvent], error) { return c.CardiacEventsPage(ctx, q) })
}

// CardiacEventsPage fetches the first page of the user's cardiac events
// (GET /users/@me/cardiac_events; scope cardiac_read).
// See https://jawbone.com/up/developer/archive/version1_0/cardiac.
//
// Deprecated: cardiac events are API v1.0; use HeartRatesPage.
func (c *Client) CardiacEventsPage(ctx context.Context, q ListQuery) (*Page[CardiacEvent], error) {
	return listPage[CardiacEvent](ctx, c, mePath+"/cardiac_events", q)
}

// CardiacEvent fetches one cardiac event (GET /cardiac_events/{xid}; scope
// cardiac_read).
// See https://jawbone.com/up/developer/archive/version1_0/cardiac.
//
// Deprecated: cardiac events are API v1.0.
func (c *Client) CardiacEvent(ctx context.Context, xid string) (*CardiacEvent, *Response, error) {
	return getEvent[CardiacEvent](ctx, c, "cardiac_events", xid)
}

// CreateCardiacEvent logs a heart rate and blood pressure reading (POST
// /users/@me/cardiac_events; scope cardiac_write).
// See https://jawbone.com/up/developer/archive/version1_0/cardiac.
//
// Deprecated: cardiac events are API v1.0.
func (c *Client) CreateCardiacEvent(ctx context.Context, e CardiacEventCreate) (*CardiacEvent, *Response, error) {
	if e.HeartRate <= 0 {
		return nil, nil, &InputError{Field: "heart_rate", Reason: "must be positive"}
	}
	return sendForm[CardiacEvent](ctx, c, call{method: http.MethodPost, path: mePath + "/cardiac_events"}, e)
}

// DeleteCardiacEvent deletes a cardiac event this application created
// (DELETE /cardiac_events/{xid}; scope cardiac_write).
// See https://jawbone.com/up/developer/archive/version1_0/cardiac.
//
// Deprecated: cardiac events are API v1.0.
func (c *Client) DeleteCardiacEvent(ctx context.Context, xid string) (*Response, error) {
	return deleteEvent(ctx, c, "cardiac_events", xid)
}
