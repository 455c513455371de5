package up

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/upapi/up-go/gen"
)

// API returns the client generated from the spec, sending through the same
// authenticated transport as the Client's own methods (token, refresh on
// 401, User-Agent), so every endpoint in the spec is usable even where this
// package has no method for it. Its responses are not checked: inspect
// StatusCode, JSON200 and JSONDefault yourself. A body longer than
// Config.MaxResponseBytes fails with a *ResponseTooLargeError.
func (c *Client) API() *gen.ClientWithResponses { return c.api() }

// newAPI makes the generated client over the Client's transport, with the
// body of every answer bounded to Config.MaxResponseBytes. The generated
// paths are relative to a server URL ending in a slash.
func (c *Client) newAPI() *gen.ClientWithResponses {
	doer := limitedDoer{c: c, limit: c.cfg.maxResponseBytes()}
	return &gen.ClientWithResponses{ClientInterface: &gen.Client{Server: c.cfg.baseURL() + "/", Client: doer}}
}

// User fetches the profile of the user who owns the token (GET /users/@me;
// scope basic_read, plus extended_read for weight, height and gender). See
// https://jawbone.com/up/developer/endpoints/user.
func (c *Client) User(ctx context.Context) (*User, *Response, error) {
	return send[User](ctx, c, get(mePath, ""))
}

// friendsCache is the user's friends as first fetched.
type friendsCache struct {
	list *FriendList
	resp *Response
}

// Friends returns the user's friends (GET /users/@me/friends; scope
// friends_read). The first successful call fetches them; later calls return
// that list, with the Response it came with, without a request. Use
// ReloadFriends to fetch them again.
// See https://jawbone.com/up/developer/endpoints/user.
func (c *Client) Friends(ctx context.Context) (*FriendList, *Response, error) {
	c.friendsMu.Lock()
	defer c.friendsMu.Unlock()
	if c.friends != nil {
		return c.friends.list, c.friends.resp, nil
	}
	return c.fetchFriends(ctx)
}

// ReloadFriends fetches the user's friends again (GET /users/@me/friends;
// scope friends_read), replacing the list that Friends returns.
// See https://jawbone.com/up/developer/endpoints/user.
func (c *Client) ReloadFriends(ctx context.Context) (*FriendList, *Response, error) {
	c.friendsMu.Lock()
	defer c.friendsMu.Unlock()
	return c.fetchFriends(ctx)
}

// fetchFriends fetches the friends and caches them; c.friendsMu is held.
func (c *Client) fetchFriends(ctx context.Context) (*FriendList, *Response, error) {
	list, resp, err := send[FriendList](ctx, c, get(mePath+"/friends", ""))
	if err != nil {
		return nil, resp, err
	}
	c.friends = &friendsCache{list: list, resp: resp}
	return list, resp, nil
}

// TrendsQuery selects the period and granularity of Trends. Its zero value
// asks for UP's default: daily buckets ending today.
type TrendsQuery struct {
	EndDate       Date      // last day of the period; zero for today
	Range         TrendUnit // unit of RangeDuration; empty for days
	RangeDuration int       // how many Range units the period covers (1 to 100); zero for UP's default
	BucketSize    TrendUnit // one point per bucket of this unit; empty for days
}

// Trends fetches the user's aggregates over a period (GET
// /users/@me/trends; any of move_read, sleep_read, meal_read, which filter
// the metrics). See https://jawbone.com/up/developer/endpoints/trends.
func (c *Client) Trends(ctx context.Context, q TrendsQuery) (*Trends, *Response, error) {
	var p gen.GetTrendsParams
	if q.EndDate != 0 {
		if !q.EndDate.Valid() {
			return nil, nil, &QueryError{Reason: "EndDate is not a day (want YYYYMMDD)"}
		}
		p.EndDate = &q.EndDate
	}
	for _, u := range []struct {
		name string
		unit TrendUnit
		dst  **gen.TrendUnit
	}{{"Range", q.Range, &p.Range}, {"BucketSize", q.BucketSize, &p.BucketSize}} {
		if u.unit == "" {
			continue
		}
		if !u.unit.Valid() {
			return nil, nil, &QueryError{Reason: fmt.Sprintf("%s %q is not d, w, m or y", u.name, u.unit)}
		}
		*u.dst = &u.unit
	}
	switch {
	case q.RangeDuration < 0 || q.RangeDuration > 100:
		return nil, nil, &QueryError{Reason: fmt.Sprintf("RangeDuration %d is not between 1 and 100", q.RangeDuration)}
	case q.RangeDuration > 0:
		p.RangeDuration = &q.RangeDuration
	}
	var qs query
	addInt(&qs, "end_date", p.EndDate)
	addString(&qs, "range", p.Range)
	addInt(&qs, "range_duration", p.RangeDuration)
	addString(&qs, "bucket_size", p.BucketSize)
	return send[Trends](ctx, c, get(mePath+"/trends", qs.String()))
}

// Goals fetches the user's daily goals (GET /users/@me/goals; scope
// basic_read). See https://jawbone.com/up/developer/endpoints/goals.
func (c *Client) Goals(ctx context.Context) (*Goals, *Response, error) {
	return send[Goals](ctx, c, get(mePath+"/goals", ""))
}

// UpdateGoals sets the goals g names and leaves the others as they are
// (POST /users/@me/goals).
// See https://jawbone.com/up/developer/endpoints/goals.
func (c *Client) UpdateGoals(ctx context.Context, g GoalsUpdate) (*Goals, *Response, error) {
	if err := checkChanges(g); err != nil {
		return nil, nil, err
	}
	return sendForm[Goals](ctx, c, call{method: http.MethodPost, path: mePath + "/goals"}, g)
}

// Settings fetches what the user shares with friends (GET
// /users/@me/settings; scope basic_read).
// See https://jawbone.com/up/developer/endpoints/settings.
func (c *Client) Settings(ctx context.Context) (*Settings, *Response, error) {
	return send[Settings](ctx, c, get(mePath+"/settings", ""))
}

// TimeZoneQuery selects the period of TimeZones: a day, a range, or one
// moment; the zero value asks for the zone in effect now.
type TimeZoneQuery struct {
	Date  Date      // the zones in effect on this day
	Range TimeRange // the zones in effect over this range
	At    time.Time // the zone in effect at this moment
}

// TimeZones fetches the time zones the user was in over the period q
// selects, oldest first (GET /users/@me/timezone; scope basic_read).
// See https://jawbone.com/up/developer/endpoints/timezone.
func (c *Client) TimeZones(ctx context.Context, q TimeZoneQuery) ([]TimeZone, *Response, error) {
	date, start, end, _, err := commonParams(q.Date, q.Range, 0)
	if err != nil {
		return nil, nil, err
	}
	p := gen.GetTimeZoneParams{Date: date, StartTime: start, EndTime: end}
	if !q.At.IsZero() {
		if date != nil || start != nil {
			return nil, nil, &QueryError{Reason: "At cannot be combined with Date or Range"}
		}
		p.Timestamp = Ptr(EpochOf(q.At))
	}
	var qs query
	addInt(&qs, "date", p.Date)
	addInt(&qs, "start_time", p.StartTime)
	addInt(&qs, "end_time", p.EndTime)
	addInt(&qs, "timestamp", p.Timestamp)
	list, resp, err := send[gen.TimeZoneList](ctx, c, get(mePath+"/timezone", qs.String()))
	if err != nil {
		return nil, resp, err
	}
	return list.Items, resp, nil
}

// RetrieveRefreshToken asks UP for the refresh token that belongs to the
// Client's access token, proving the application's identity with its
// client secret (POST /users/@me/refreshToken). It serves applications
// that kept only an access token; the token is not stored.
// See https://jawbone.com/up/developer/endpoints/refreshtoken.
func (c *Client) RetrieveRefreshToken(ctx context.Context) (string, error) {
	if c.cfg.ClientSecret == "" {
		return "", errors.New("up: RetrieveRefreshToken needs Config.ClientSecret")
	}
	data, _, err := sendForm[gen.RefreshToken](ctx, c, call{method: http.MethodPost, path: mePath + "/refreshToken"}, gen.RefreshTokenRequest{Secret: c.cfg.ClientSecret})
	if err != nil {
		return "", err
	}
	return data.RefreshToken, nil
}
