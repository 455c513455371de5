package up

import (
	"context"
	"io"
	"iter"
	"net/http"
)

// Workouts iterates over the user's workouts that q selects, page after
// page. See https://jawbone.com/up/developer/endpoints/workouts.
func (c *Client) Workouts(ctx context.Context, q ListQuery) iter.Seq2[Workout, error] {
	return all(ctx, func(ctx context.Context) (*Page[Workout], error) { return c.WorkoutsPage(ctx, q) })
}

// WorkoutsPage fetches the first page of the user's workouts that q selects
// (GET /users/@me/workouts; scope move_read).
// See https://jawbone.com/up/developer/endpoints/workouts.
func (c *Client) WorkoutsPage(ctx context.Context, q ListQuery) (*Page[Workout], error) {
	return listPage[Workout](ctx, c, mePath+"/workouts", q)
}

// Workout fetches one workout (GET /workouts/{xid}; scope move_read).
// See https://jawbone.com/up/developer/endpoints/workouts.
func (c *Client) Workout(ctx context.Context, xid string) (*Workout, *Response, error) {
	return getEvent[Workout](ctx, c, "workouts", xid)
}

// CreateWorkout logs a workout (POST /users/@me/workouts; scope
// move_write). It is never resent, except once the token is refreshed
// after a 401, when UP did not process it.
// See https://jawbone.com/up/developer/endpoints/workouts.
func (c *Client) CreateWorkout(ctx context.Context, w WorkoutCreate) (*Workout, *Response, error) {
	if err := checkSpan(w.TimeCreated, w.TimeCompleted); err != nil {
		return nil, nil, err
	}
	return sendForm[Workout](ctx, c, call{method: http.MethodPost, path: mePath + "/workouts"}, w)
}

// UpdateWorkout changes the fields set in u and leaves the others as they
// are (POST /workouts/{xid}/partialUpdate; scope move_write).
// See https://jawbone.com/up/developer/endpoints/workouts.
func (c *Client) UpdateWorkout(ctx context.Context, xid string, u WorkoutUpdate) (*Workout, *Response, error) {
	if err := checkXID(xid); err != nil {
		return nil, nil, err
	}
	if err := checkChanges(u); err != nil {
		return nil, nil, err
	}
	return updateEvent[Workout](ctx, c, "workouts", xid, u)
}

// DeleteWorkout deletes a workout this application created (DELETE
// /workouts/{xid}; scope move_write).
// See https://jawbone.com/up/developer/endpoints/workouts.
func (c *Client) DeleteWorkout(ctx context.Context, xid string) (*Response, error) {
	return deleteEvent(ctx, c, "workouts", xid)
}

// WorkoutImage fetches the workout's intensity graph as PNG bytes (GET
// /workouts/{xid}/image; scope move_read).
// See https://jawbone.com/up/developer/endpoints/workouts.
func (c *Client) WorkoutImage(ctx context.Context, xid string) ([]byte, *Response, error) {
	return eventImage(ctx, c, "workouts", xid)
}

// OpenWorkoutImage streams the workout's intensity graph (GET
// /workouts/{xid}/image; scope move_read) for the caller to read and close. It
// reads nothing into memory itself, so unlike WorkoutImage it sets no size
// limit. See https://jawbone.com/up/developer/endpoints/workouts.
func (c *Client) OpenWorkoutImage(ctx context.Context, xid string) (io.ReadCloser, *Response, error) {
	return openEventImage(ctx, c, "workouts", xid)
}

// WorkoutTicks iterates over the workout's intraday series, oldest first
// (GET /workouts/{xid}/ticks; scope move_read).
// See https://jawbone.com/up/developer/endpoints/workouts.
func (c *Client) WorkoutTicks(ctx context.Context, xid string) iter.Seq2[Tick, error] {
	return all(ctx, func(ctx context.Context) (*Page[Tick], error) { return c.WorkoutTicksPage(ctx, xid) })
}

// WorkoutTicksPage fetches the first page of the workout's intraday series
// (GET /workouts/{xid}/ticks; scope move_read).
// See https://jawbone.com/up/developer/endpoints/workouts.
func (c *Client) WorkoutTicksPage(ctx context.Context, xid string) (*Page[Tick], error) {
	return ticksPage[Tick](ctx, c, "workouts", xid)
}
