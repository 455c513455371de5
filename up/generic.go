package up

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"

	"github.com/upapi/up-go/gen"
)

// GenericEventCreate describes a custom event to write to the user's feed.
// Unlike the generated gen.GenericEventCreate, whose attributes field is a
// JSON document, Attributes is a map that the client encodes for you.
type GenericEventCreate struct {
	Title       string         // the event's title; required
	Verb        string         // what the user did, e.g. "read"; required
	Attributes  map[string]any // the app's own data for the event, sent as one JSON object
	Note        *string        // a note
	ImageURL    *string        // an image for the event, which UP fetches
	PlaceLat    *float64       // latitude where the event happened
	PlaceLon    *float64       // longitude where the event happened
	PlaceAcc    *int           // accuracy of the location, in metres
	PlaceName   *string        // name of the place
	TimeCreated *Epoch         // when the event happened
	TZ          *string        // Olson time-zone name
	Share       *bool          // share to the user's feed
}

// GenericEventUpdate lists the changes to a generic event; nil fields stay
// as they are, and non-nil Attributes replaces them all. The fields mean
// what GenericEventCreate's do.
type GenericEventUpdate struct {
	Title       *string
	Verb        *string
	Attributes  map[string]any // replaces all of the event's attributes
	Note        *string
	ImageURL    *string
	PlaceLat    *float64
	PlaceLon    *float64
	PlaceAcc    *int
	PlaceName   *string
	TimeCreated *Epoch
	TZ          *string
	Share       *bool
}

// GenericEvents iterates over the custom events that q selects, page after
// page. See https://jawbone.com/up/developer/endpoints/custom.
func (c *Client) GenericEvents(ctx context.Context, q ListQuery) iter.Seq2[GenericEvent, error] {
	return all(ctx, func(ctx context.Context) (*Page[GenericEvent], error) { return c.GenericEventsPage(ctx, q) })
}

// GenericEventsPage fetches the first page of the custom events that q
// selects (GET /users/@me/generic_events; scope generic_event_read).
// See https://jawbone.com/up/developer/endpoints/custom.
func (c *Client) GenericEventsPage(ctx context.Context, q ListQuery) (*Page[GenericEvent], error) {
	return listPage[GenericEvent](ctx, c, mePath+"/generic_events", q)
}

// GenericEvent fetches one custom event (GET /generic_events/{xid}; scope
// generic_event_read). See https://jawbone.com/up/developer/endpoints/custom.
func (c *Client) GenericEvent(ctx context.Context, xid string) (*GenericEvent, *Response, error) {
	return getEvent[GenericEvent](ctx, c, "generic_events", xid)
}

// CreateGenericEvent writes a custom event (POST /users/@me/generic_events;
// scope generic_event_write). It is never resent, except once the token is
// refreshed after a 401.
// See https://jawbone.com/up/developer/endpoints/custom.
func (c *Client) CreateGenericEvent(ctx context.Context, e GenericEventCreate) (*GenericEvent, *Response, error) {
	if e.Title == "" || e.Verb == "" {
		return nil, nil, &InputError{Reason: "a generic event needs a title and a verb"}
	}
	attrs, err := encodeAttributes(e.Attributes)
	if err != nil {
		return nil, nil, err
	}
	fields := gen.GenericEventCreate{
		Title: e.Title, Verb: e.Verb, Attributes: attrs, Note: e.Note, ImageURL: e.ImageURL,
		PlaceLat: e.PlaceLat, PlaceLon: e.PlaceLon, PlaceAcc: e.PlaceAcc, PlaceName: e.PlaceName,
		TimeCreated: e.TimeCreated, TZ: e.TZ, Share: e.Share,
	}
	return sendForm[GenericEvent](ctx, c, call{method: http.MethodPost, path: mePath + "/generic_events"}, fields)
}

// UpdateGenericEvent changes what u sets and leaves the rest as it is (POST
// /generic_events/{xid}/partialUpdate; scope generic_event_write).
// See https://jawbone.com/up/developer/endpoints/custom.
func (c *Client) UpdateGenericEvent(ctx context.Context, xid string, u GenericEventUpdate) (*GenericEvent, *Response, error) {
	if err := checkXID(xid); err != nil {
		return nil, nil, err
	}
	if err := checkChanges(u); err != nil {
		return nil, nil, err
	}
	attrs, err := encodeAttributes(u.Attributes)
	if err != nil {
		return nil, nil, err
	}
	fields := gen.GenericEventUpdate{
		Title: u.Title, Verb: u.Verb, Attributes: attrs, Note: u.Note, ImageURL: u.ImageURL,
		PlaceLat: u.PlaceLat, PlaceLon: u.PlaceLon, PlaceAcc: u.PlaceAcc, PlaceName: u.PlaceName,
		TimeCreated: u.TimeCreated, TZ: u.TZ, Share: u.Share,
	}
	return updateEvent[GenericEvent](ctx, c, "generic_events", xid, fields)
}

// DeleteGenericEvent deletes a custom event this application created
// (DELETE /generic_events/{xid}; scope generic_event_write).
// See https://jawbone.com/up/developer/endpoints/custom.
func (c *Client) DeleteGenericEvent(ctx context.Context, xid string) (*Response, error) {
	return deleteEvent(ctx, c, "generic_events", xid)
}

// encodeAttributes encodes a generic event's attributes as the JSON object
// its attributes form field carries; nil means no attributes field.
func encodeAttributes(attrs map[string]any) (*string, error) {
	if attrs == nil {
		return nil, nil
	}
	b, err := json.Marshal(attrs)
	if err != nil {
		return nil, &InputError{Field: "attributes", Reason: err.Error()}
	}
	s := string(b)
	return &s, nil
}
