package up_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up"
)

// exampleServer stands in for jawbone.com in the examples: a token
// endpoint that accepts the code "abc" and an API that knows one user.
func exampleServer() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("code") != "abc" && r.FormValue("refresh_token") != "refresh-1" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"invalid_grant"}`)
			return
		}
		_, _ = io.WriteString(w, `{"access_token":"access-1","token_type":"Bearer","expires_in":31536000,"refresh_token":"refresh-1"}`)
	})
	mux.HandleFunc("/nudge/api/v.1.1/", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer access-1" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"meta":{"message":"NOT_AUTHORIZED","code":401,"time":1471463170}}`)
			return
		}
		_, _ = io.WriteString(w, `{"meta":{"code":200,"message":"OK"},"data":{"xid":"6xl39CsoVp2KirfHwVq_Fx","first":"James"}}`)
	})
	return httptest.NewServer(mux)
}

// exampleConfig is an application Config pointed at srv.
func exampleConfig(srv *httptest.Server) *up.Config {
	return &up.Config{
		ClientID:     "my-client-id",
		ClientSecret: "my-client-secret",
		RedirectURL:  "https://myapp.example/up/callback",
		Scopes:       []up.Scope{up.ScopeBasicRead, up.ScopeMoveRead},
		BaseURL:      srv.URL + "/nudge/api/v.1.1",
		TokenURL:     srv.URL + "/auth/oauth2/token",
	}
}

func ExampleConfig_AuthCodeURL() {
	cfg := &up.Config{
		ClientID:    "my-client-id",
		RedirectURL: "https://myapp.example/up/callback",
		Scopes:      []up.Scope{up.ScopeBasicRead, up.ScopeSleepRead},
	}
	// In a real program the state comes from up.NewState and is kept in the
	// user's session until the user comes back.
	fmt.Println(cfg.AuthCodeURL("per-login-state"))
	// Output:
	// https://jawbone.com/auth/oauth2/auth?response_type=code&client_id=my-client-id&scope=basic_read+sleep_read&redirect_uri=https%3A%2F%2Fmyapp.example%2Fup%2Fcallback&state=per-login-state
}

func ExampleNewState() {
	state, err := up.NewState()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(state))
	// Output: 43
}

func ExampleConfig_Exchange() {
	srv := exampleServer()
	defer srv.Close()
	cfg := exampleConfig(srv)
	cfg.Storage = up.NewMemoryStorage()
	ctx := context.Background()

	// The URL the user's browser came back to, and the state kept for them.
	callback := "https://myapp.example/up/callback?code=abc&state=per-login-state"
	tok, err := cfg.Exchange(ctx, callback, "per-login-state")
	if err != nil {
		fmt.Println("login failed:", err)
		return
	}
	fmt.Println("token type:", tok.TokenType)

	// A user who declines comes back with an error instead of a code.
	_, err = cfg.Exchange(ctx, "https://myapp.example/up/callback?error=access_denied&state=per-login-state", "per-login-state")
	fmt.Println("declined:", errors.Is(err, up.ErrAccessDenied))
	// Output:
	// token type: Bearer
	// declined: true
}

func ExampleClient_HTTPClient() {
	srv := exampleServer()
	defer srv.Close()
	cl := exampleConfig(srv).Client(&oauth2.Token{AccessToken: "access-1", RefreshToken: "refresh-1"})

	// The *http.Client sends the token and refreshes it like the Client does.
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, cl.BaseURL()+"/users/@me", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, err := cl.HTTPClient().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = resp.Body.Close() }()
	fmt.Println(resp.Status)
	// Output: 200 OK
}

func ExampleClient_Refresh() {
	srv := exampleServer()
	defer srv.Close()
	// A token whose access part was lost: the refresh token is enough.
	cl := exampleConfig(srv).Client(&oauth2.Token{AccessToken: "expired", RefreshToken: "refresh-1"})
	tok, err := cl.Refresh(context.Background())
	var se *up.StorageError
	switch {
	case errors.As(err, &se):
		log.Printf("new token in use but not saved: %v", err) // tok is valid
	case errors.Is(err, up.ErrLoginRequired):
		fmt.Println("the user must log in again")
		return
	case err != nil:
		fmt.Println(err)
		return
	}
	fmt.Println(tok.AccessToken)
	// Output: access-1
}

func ExampleAPIError() {
	srv := exampleServer()
	defer srv.Close()
	// A bare access token cannot be refreshed, so the API's 401 comes back.
	cl := exampleConfig(srv).ClientFromAccessToken("revoked")
	err := cl.Disconnect(context.Background())

	var apiErr *up.APIError
	if errors.As(err, &apiErr) && apiErr.Meta != nil {
		fmt.Println(apiErr.StatusCode, apiErr.Meta.Message)
	}
	fmt.Println("unauthorized:", errors.Is(err, up.ErrUnauthorized))
	// Output:
	// 401 NOT_AUTHORIZED
	// unauthorized: true
}

func ExampleClient_Disconnect() {
	srv := exampleServer()
	defer srv.Close()
	cfg := exampleConfig(srv)
	cfg.Storage = up.NewMemoryStorage()
	ctx := context.Background()
	tok, err := cfg.Exchange(ctx, "https://myapp.example/up/callback?code=abc&state=s", "s")
	if err != nil {
		fmt.Println(err)
		return
	}
	cl := cfg.Client(tok)

	if err := cl.Disconnect(ctx); err != nil {
		fmt.Println("disconnect failed, credentials kept:", err)
		return
	}
	_, err = cl.Token()
	fmt.Println("token forgotten:", errors.Is(err, up.ErrNoToken))
	_, err = cfg.Storage.Load(ctx)
	fmt.Println("storage cleared:", errors.Is(err, up.ErrNoToken))
	// Output:
	// token forgotten: true
	// storage cleared: true
}

func ExampleNewFileStorage() {
	dir, err := os.MkdirTemp("", "up-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = os.RemoveAll(dir) }()

	store := up.NewFileStorage(filepath.Join(dir, "up-token.json"))
	ctx := context.Background()
	if err := store.Save(ctx, &oauth2.Token{AccessToken: "access-1", RefreshToken: "refresh-1"}); err != nil {
		fmt.Println(err)
		return
	}
	tok, err := store.Load(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.RefreshToken)
	// Output: refresh-1
}

func ExampleConfig_ClientFromStorage() {
	srv := exampleServer()
	defer srv.Close()
	cfg := exampleConfig(srv)
	cfg.Storage = up.NewMemoryStorage()
	ctx := context.Background()

	_, err := cfg.ClientFromStorage(ctx)
	fmt.Println("before login:", errors.Is(err, up.ErrNoToken))

	if _, err := cfg.Exchange(ctx, "https://myapp.example/up/callback?code=abc&state=s", "s"); err != nil {
		fmt.Println(err)
		return
	}
	cl, err := cfg.ClientFromStorage(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, _ := cl.Token()
	fmt.Println("after login:", tok.AccessToken)
	// Output:
	// before login: true
	// after login: access-1
}
