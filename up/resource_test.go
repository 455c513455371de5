package up

import (
	"context"
	"errors"
	"io"
	"iter"
	"net/http"
	"sync/atomic"
	"testing"
)

// TestBlankXIDSendsNothing calls every method that names one event with an
// empty or blank XID, which would name the collection instead: each refuses
// it before any request.
func TestBlankXIDSendsNothing(t *testing.T) {
	t.Parallel()
	var sent atomic.Int32
	cfg := &Config{HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent.Add(1)
		return textResponse(r, http.StatusOK, "{}"), nil
	})}}
	c := cfg.ClientFromAccessToken("tok")
	title := "t"
	methods := map[string]func(ctx context.Context, xid string) error{
		"Move":      func(ctx context.Context, xid string) error { _, _, err := c.Move(ctx, xid); return err },
		"MoveImage": func(ctx context.Context, xid string) error { _, _, err := c.MoveImage(ctx, xid); return err },
		"OpenMoveImage": func(ctx context.Context, xid string) error {
			_, _, err := c.OpenMoveImage(ctx, xid)
			return err
		},
		"MoveTicksPage": func(ctx context.Context, xid string) error { _, err := c.MoveTicksPage(ctx, xid); return err },
		"MoveTicks":     func(ctx context.Context, xid string) error { return firstErr(c.MoveTicks(ctx, xid)) },
		"Workout":       func(ctx context.Context, xid string) error { _, _, err := c.Workout(ctx, xid); return err },
		"UpdateWorkout": func(ctx context.Context, xid string) error {
			_, _, err := c.UpdateWorkout(ctx, xid, WorkoutUpdate{Title: &title})
			return err
		},
		"DeleteWorkout": func(ctx context.Context, xid string) error { _, err := c.DeleteWorkout(ctx, xid); return err },
		"WorkoutImage":  func(ctx context.Context, xid string) error { _, _, err := c.WorkoutImage(ctx, xid); return err },
		"OpenWorkoutImage": func(ctx context.Context, xid string) error {
			_, _, err := c.OpenWorkoutImage(ctx, xid)
			return err
		},
		"WorkoutTicks":     func(ctx context.Context, xid string) error { return firstErr(c.WorkoutTicks(ctx, xid)) },
		"WorkoutTicksPage": func(ctx context.Context, xid string) error { _, err := c.WorkoutTicksPage(ctx, xid); return err },
		"Sleep":            func(ctx context.Context, xid string) error { _, _, err := c.Sleep(ctx, xid); return err },
		"DeleteSleep":      func(ctx context.Context, xid string) error { _, err := c.DeleteSleep(ctx, xid); return err },
		"SleepImage":       func(ctx context.Context, xid string) error { _, _, err := c.SleepImage(ctx, xid); return err },
		"OpenSleepImage": func(ctx context.Context, xid string) error {
			_, _, err := c.OpenSleepImage(ctx, xid)
			return err
		},
		"SleepTicks":     func(ctx context.Context, xid string) error { return firstErr(c.SleepTicks(ctx, xid)) },
		"SleepTicksPage": func(ctx context.Context, xid string) error { _, err := c.SleepTicksPage(ctx, xid); return err },
		"Meal":           func(ctx context.Context, xid string) error { _, _, err := c.Meal(ctx, xid); return err },
		"UpdateMeal": func(ctx context.Context, xid string) error {
			_, _, err := c.UpdateMeal(ctx, xid, MealUpdate{Note: &title})
			return err
		},
		"DeleteMeal":      func(ctx context.Context, xid string) error { _, err := c.DeleteMeal(ctx, xid); return err },
		"BodyEvent":       func(ctx context.Context, xid string) error { _, _, err := c.BodyEvent(ctx, xid); return err },
		"DeleteBodyEvent": func(ctx context.Context, xid string) error { _, err := c.DeleteBodyEvent(ctx, xid); return err },
		"CardiacEvent": func(ctx context.Context, xid string) error {
			_, _, err := c.CardiacEvent(ctx, xid) //nolint:staticcheck // deprecated, still served
			return err
		},
		"DeleteCardiacEvent": func(ctx context.Context, xid string) error {
			_, err := c.DeleteCardiacEvent(ctx, xid) //nolint:staticcheck // deprecated, still served
			return err
		},
		"GenericEvent": func(ctx context.Context, xid string) error { _, _, err := c.GenericEvent(ctx, xid); return err },
		"UpdateGenericEvent": func(ctx context.Context, xid string) error {
			_, _, err := c.UpdateGenericEvent(ctx, xid, GenericEventUpdate{Title: &title})
			return err
		},
		"DeleteGenericEvent": func(ctx context.Context, xid string) error { _, err := c.DeleteGenericEvent(ctx, xid); return err },
		"Mood":               func(ctx context.Context, xid string) error { _, _, err := c.Mood(ctx, xid); return err },
		"DeleteMood":         func(ctx context.Context, xid string) error { _, err := c.DeleteMood(ctx, xid); return err },
	}
	for name, call := range methods {
		for _, xid := range []string{"", " \t"} {
			if err := call(t.Context(), xid); !errors.Is(err, errEmptyXID) {
				t.Errorf("%s(%q): error %v, want errEmptyXID", name, xid, err)
			}
		}
	}
	if n := sent.Load(); n != 0 {
		t.Errorf("%d requests sent for blank XIDs", n)
	}
}

// firstErr returns the error of the first pair an iterator yields.
func firstErr[T any](seq iter.Seq2[T, error]) error {
	for _, err := range seq {
		return err
	}
	return nil
}

// TestImageSizeLimit checks that the Image methods read at most
// maxImageBytes into memory, and that the Open…Image streams do not stop
// there.
func TestImageSizeLimit(t *testing.T) {
	t.Parallel()
	for _, size := range []int{maxImageBytes, maxImageBytes + 1} {
		cfg := &Config{HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			resp := textResponse(r, http.StatusOK, "")
			resp.Header.Set("Content-Type", "image/png")
			resp.Body = io.NopCloser(io.LimitReader(zeros{}, int64(size)))
			return resp, nil
		})}}
		c := cfg.ClientFromAccessToken("tok")

		b, _, err := c.MoveImage(t.Context(), "xid")
		switch {
		case size <= maxImageBytes && (err != nil || len(b) != size):
			t.Errorf("MoveImage of %d bytes: %d bytes, error %v", size, len(b), err)
		case size > maxImageBytes && (!errors.As(err, new(*ResponseTooLargeError)) || !errors.Is(err, ErrResponseTooLarge) || b != nil):
			t.Errorf("MoveImage of %d bytes: %d bytes, error %v; want a size error", size, len(b), err)
		}

		rc, _, err := c.OpenMoveImage(t.Context(), "xid")
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, rc)
		if cerr := rc.Close(); err == nil {
			err = cerr
		}
		if err != nil || n != int64(size) {
			t.Errorf("OpenMoveImage of %d bytes: read %d, error %v", size, n, err)
		}
	}
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
