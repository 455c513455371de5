package up

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"mime/multipart"
	"net/http"
	"net/textproto"

	"github.com/upapi/up-go/gen"
)

// MealCreate describes a meal to log. Unlike the generated gen.MealCreate,
// whose items field is the JSON document UP expects, Items is a slice that
// the client encodes for you.
type MealCreate struct {
	Note        string     // the meal's name; required
	SubType     *MealType  // MealBreakfast, MealLunch or MealDinner
	Items       []MealItem // the foods and drinks; at least one, each named
	ImageURL    *string    // an image UP fetches for the meal
	PlaceLat    *float64   // latitude where the meal was eaten
	PlaceLon    *float64   // longitude where the meal was eaten
	PlaceAcc    *int       // accuracy of the location, in metres
	PlaceName   *string    // name of the place
	TimeCreated *Epoch     // when the meal was eaten
	TZ          *string    // Olson time-zone name
	Share       *bool      // share to the user's feed
	Photo       *Photo     // a photo of the meal; sends the meal as multipart/form-data
}

// MealUpdate lists the changes to a meal; nil fields stay as they are, and
// non-nil Items replaces all of the meal's items. The fields mean what
// MealCreate's do.
type MealUpdate struct {
	Note        *string
	SubType     *MealType
	Items       []MealItem // replaces all of the meal's items
	ImageURL    *string
	PlaceLat    *float64
	PlaceLon    *float64
	PlaceAcc    *int
	PlaceName   *string
	TimeCreated *Epoch
	TZ          *string
	Share       *bool
}

// Photo is an image attached to a meal. Data is held in memory so that the
// request can be resent after a token refresh.
type Photo struct {
	Name        string // file name, e.g. "lunch.jpg"
	ContentType string // image/jpeg or image/png
	Data        []byte // the image's bytes
}

// Meals iterates over the user's meals that q selects, page after page.
// Listed meals carry their totals; Meal fetches one with its items. See
// https://jawbone.com/up/developer/endpoints/meals.
func (c *Client) Meals(ctx context.Context, q ListQuery) iter.Seq2[Meal, error] {
	return all(ctx, func(ctx context.Context) (*Page[Meal], error) { return c.MealsPage(ctx, q) })
}

// MealsPage fetches the first page of the user's meals that q selects (GET
// /users/@me/meals; scope meal_read).
// See https://jawbone.com/up/developer/endpoints/meals.
func (c *Client) MealsPage(ctx context.Context, q ListQuery) (*Page[Meal], error) {
	return listPage[Meal](ctx, c, mePath+"/meals", q)
}

// Meal fetches one meal with its items (GET /meals/{xid}; scope meal_read).
// See https://jawbone.com/up/developer/endpoints/meals.
func (c *Client) Meal(ctx context.Context, xid string) (*Meal, *Response, error) {
	return getEvent[Meal](ctx, c, "meals", xid)
}

// CreateMeal logs a meal (POST /users/@me/meals; scope meal_write), as a
// form, or as multipart/form-data when m has a Photo. It is never resent,
// except once the token is refreshed after a 401.
// See https://jawbone.com/up/developer/endpoints/meals.
func (c *Client) CreateMeal(ctx context.Context, m MealCreate) (*Meal, *Response, error) {
	if m.Note == "" {
		return nil, nil, &InputError{Field: "note", Reason: "empty"}
	}
	items, err := encodeMealItems(m.Items)
	if err != nil {
		return nil, nil, err
	}
	fields := gen.MealCreate{
		Note: m.Note, SubType: m.SubType, Items: items, ImageURL: m.ImageURL,
		PlaceLat: m.PlaceLat, PlaceLon: m.PlaceLon, PlaceAcc: m.PlaceAcc, PlaceName: m.PlaceName,
		TimeCreated: m.TimeCreated, TZ: m.TZ, Share: m.Share,
	}
	cl := call{method: http.MethodPost, path: mePath + "/meals"}
	if m.Photo == nil {
		return sendForm[Meal](ctx, c, cl, fields)
	}
	if cl.body, cl.contentType, err = multipartMeal(fields, m.Photo); err != nil {
		return nil, nil, err
	}
	return send[Meal](ctx, c, cl)
}

// UpdateMeal changes what u sets and leaves the rest as it is (POST
// /meals/{xid}/partialUpdate; scope meal_write).
// See https://jawbone.com/up/developer/endpoints/meals.
func (c *Client) UpdateMeal(ctx context.Context, xid string, u MealUpdate) (*Meal, *Response, error) {
	if err := checkXID(xid); err != nil {
		return nil, nil, err
	}
	if err := checkChanges(u); err != nil {
		return nil, nil, err
	}
	fields := gen.MealUpdate{
		Note: u.Note, SubType: u.SubType, ImageURL: u.ImageURL,
		PlaceLat: u.PlaceLat, PlaceLon: u.PlaceLon, PlaceAcc: u.PlaceAcc, PlaceName: u.PlaceName,
		TimeCreated: u.TimeCreated, TZ: u.TZ, Share: u.Share,
	}
	if u.Items != nil {
		items, err := encodeMealItems(u.Items)
		if err != nil {
			return nil, nil, err
		}
		fields.Items = &items
	}
	return updateEvent[Meal](ctx, c, "meals", xid, fields)
}

// DeleteMeal deletes a meal this application created (DELETE /meals/{xid};
// scope meal_write). See https://jawbone.com/up/developer/endpoints/meals.
func (c *Client) DeleteMeal(ctx context.Context, xid string) (*Response, error) {
	return deleteEvent(ctx, c, "meals", xid)
}

// encodeMealItems checks a meal's items and encodes them as the JSON
// document the items form field carries.
func encodeMealItems(items []MealItem) (string, error) {
	if len(items) == 0 {
		return "", &InputError{Field: "items", Reason: "a meal needs at least one item"}
	}
	for i, it := range items {
		if it.Name == "" {
			return "", &InputError{Field: "items", Reason: fmt.Sprintf("item %d has no name", i)}
		}
		// The item's enumerated fields must hold values the spec lists,
		// as a form's must; zero is unset.
		for _, e := range []struct {
			field string
			value enumerated
			set   bool
		}{{"sub_type", it.SubType, it.SubType != 0}, {"food_type", it.FoodType, it.FoodType != 0}, {"type", it.Type, it.Type != ""}} {
			if e.set && !e.value.Valid() {
				return "", &InputError{Field: "items", Reason: fmt.Sprintf("item %d: %s: %v is not a value the spec lists", i, e.field, e.value)}
			}
		}
	}
	b, err := json.Marshal(items)
	if err != nil {
		return "", &InputError{Field: "items", Reason: err.Error()}
	}
	return string(b), nil
}

// multipartMeal encodes a meal's fields and photo as a multipart/form-data
// body, returning the body and its content type.
func multipartMeal(fields gen.MealCreate, photo *Photo) ([]byte, string, error) {
	switch photo.ContentType {
	case "image/jpeg", "image/png":
	default:
		return nil, "", &InputError{Field: "photo", Reason: fmt.Sprintf("content type %q is not image/jpeg or image/png", photo.ContentType)}
	}
	if len(photo.Data) == 0 {
		return nil, "", &InputError{Field: "photo", Reason: "no data"}
	}
	form, err := encodeForm(fields)
	if err != nil {
		return nil, "", err
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, name := range sortedKeys(form) {
		if err := w.WriteField(name, form.Get(name)); err != nil {
			return nil, "", err
		}
	}
	name := photo.Name
	if name == "" {
		name = "photo"
	}
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", multipart.FileContentDisposition("photo", name))
	h.Set("Content-Type", photo.ContentType)
	part, err := w.CreatePart(h)
	if err != nil {
		return nil, "", err
	}
	if _, err := part.Write(photo.Data); err != nil {
		return nil, "", err
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}
