package up_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/uptest"
)

// images are the two ways of reading each PNG graph.
var images = []struct {
	name string
	path string // the collection, e.g. "/moves/"
	read func(*up.Client, context.Context, string) ([]byte, *up.Response, error)
	open func(*up.Client, context.Context, string) (io.ReadCloser, *up.Response, error)
}{
	{"Move", "/moves/", (*up.Client).MoveImage, (*up.Client).OpenMoveImage},
	{"Workout", "/workouts/", (*up.Client).WorkoutImage, (*up.Client).OpenWorkoutImage},
	{"Sleep", "/sleeps/", (*up.Client).SleepImage, (*up.Client).OpenSleepImage},
}

// imageXIDs returns an event of each kind that has a graph.
func imageXIDs(t *testing.T, c *up.Client) map[string]string {
	t.Helper()
	ctx := t.Context()
	return map[string]string{
		"Move":    first(t, c.Moves(ctx, up.ListQuery{})).XID,
		"Workout": first(t, c.Workouts(ctx, up.ListQuery{})).XID,
		"Sleep":   first(t, c.Sleeps(ctx, up.ListQuery{})).XID,
	}
}

// TestImageStreamMatchesBytes reads every graph as bytes and as a stream:
// both ask for the event's image and carry the same PNG.
func TestImageStreamMatchesBytes(t *testing.T) {
	t.Parallel()
	s, c := fakeClient(t, nil)
	xids := imageXIDs(t, c)
	for _, m := range images {
		t.Run(m.name, func(t *testing.T) {
			xid := xids[m.name]
			b, resp, err := m.read(c, t.Context(), xid)
			if err != nil {
				t.Fatal(err)
			}
			wantPNG(t, b)
			wantImageResponse(t, "bytes", resp, http.StatusOK)
			streamed, resp, err := streamImage(m.open, c, t.Context(), xid)
			if err != nil {
				t.Fatal(err)
			}
			wantImageResponse(t, "stream", resp, http.StatusOK)
			if got := lastRequest(t, s); got.Method != http.MethodGet || !strings.HasSuffix(got.Path, m.path+xid+"/image") {
				t.Errorf("request %s %s, want GET …%s%s/image", got.Method, got.Path, m.path, xid)
			}
			if !bytes.Equal(streamed, b) {
				t.Errorf("the stream carries %d bytes, unlike the %d of %sImage", len(streamed), len(b), m.name)
			}
		})
	}
}

// wantImageResponse checks the Response of an image call: the answer's
// status, and for a 200 its PNG content type.
func wantImageResponse(t *testing.T, form string, resp *up.Response, status int) {
	t.Helper()
	switch {
	case resp == nil:
		t.Errorf("%s: no Response, want one of status %d", form, status)
	case resp.StatusCode != status:
		t.Errorf("%s: Response status %d, want %d", form, resp.StatusCode, status)
	case status == http.StatusOK && resp.Header.Get("Content-Type") != "image/png":
		t.Errorf("%s: Response Content-Type %q", form, resp.Header.Get("Content-Type"))
	}
}

// streamImage reads a whole graph through open, as a caller of the Open…Image
// methods would; it returns no bytes with an error.
func streamImage(open func(*up.Client, context.Context, string) (io.ReadCloser, *up.Response, error), c *up.Client, ctx context.Context, xid string) ([]byte, *up.Response, error) {
	rc, resp, err := open(c, ctx, xid)
	if err != nil {
		if rc != nil {
			return nil, resp, errors.New("a reader returned with an error")
		}
		return nil, resp, err
	}
	b, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, resp, err
	}
	return b, resp, nil
}

// TestImageErrors checks that both forms of every image method report a
// missing event, a missing scope, an answer that is not a PNG and a body
// cut off halfway with their typed errors.
func TestImageErrors(t *testing.T) {
	t.Parallel()
	s, c := fakeClient(t, nil)
	xids := imageXIDs(t, c)
	basic := fakeConfig(s).Client(s.MintToken("basic_read"))
	for _, m := range images {
		t.Run(m.name, func(t *testing.T) {
			xid := xids[m.name]
			cases := []struct {
				name   string
				c      *up.Client
				xid    string
				fault  uptest.FaultKind // applied to the request, when set
				want   error            // matched with errors.Is, or nil for a *up.DecodeError
				status int              // of the Response returned with the error
			}{
				{"unknown event", c, "nosuchevent00000000000", 0, up.ErrNotFound, http.StatusNotFound},
				{"missing scope", basic, xid, 0, up.ErrForbidden, http.StatusForbidden},
				{"HTML page with 200", c, xid, uptest.FaultHTMLError, nil, http.StatusOK},
				{"body cut off", c, xid, uptest.FaultTruncatedBody, io.ErrUnexpectedEOF, http.StatusOK},
			}
			for _, tc := range cases {
				for form, call := range map[string]func() ([]byte, *up.Response, error){
					"bytes":  func() ([]byte, *up.Response, error) { return m.read(tc.c, t.Context(), tc.xid) },
					"stream": func() ([]byte, *up.Response, error) { return streamImage(m.open, tc.c, t.Context(), tc.xid) },
				} {
					if tc.fault != 0 {
						s.Inject(uptest.Fault{Path: strings.TrimSuffix(m.path, "/") + "/*", Kind: tc.fault, Status: http.StatusOK, Count: 1})
					}
					b, resp, err := call()
					if resp == nil || resp.StatusCode != tc.status {
						t.Errorf("%s, %s: Response %+v, want one of status %d", tc.name, form, resp, tc.status)
					}
					var de *up.DecodeError
					if ok := (tc.want == nil && errors.As(err, &de)) || (tc.want != nil && errors.Is(err, tc.want)); !ok || b != nil {
						want := "a *up.DecodeError"
						if tc.want != nil {
							want = tc.want.Error()
						}
						t.Errorf("%s, %s: %d bytes, error %v; want %s and no bytes", tc.name, form, len(b), err, want)
					}
				}
			}
		})
	}
}
