package up_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/uptest"
)

// A program of one user: a Config with the application's credentials and a
// Storage for the token, a login, then a Client from the stored token, as
// the program's next run would make it. The fake UP server of package
// uptest stands in for jawbone.com, and its user allows the app as the
// user would on UP's login page.
func ExampleConfig() {
	fake := uptest.New()
	defer fake.Close()

	cfg := &up.Config{
		ClientID:     fake.ClientID, // the application's, from UP's developer portal
		ClientSecret: fake.ClientSecret,
		RedirectURL:  "http://127.0.0.1:8085/callback", // registered for the application
		Scopes:       up.Scopes{up.ScopeBasicRead, up.ScopeMoveRead},
		Storage:      up.NewMemoryStorage(), // up.NewFileStorage(path) keeps it across runs
		// Empty for UP itself; the fake's endpoints here.
		BaseURL:  fake.URL,
		AuthURL:  fake.AuthURL,
		TokenURL: fake.TokenURL,
	}
	ctx := context.Background()

	state, err := up.NewState()
	if err != nil {
		fmt.Println(err)
		return
	}
	// The user opens AuthCodeURL, signs in and allows the app; UP sends
	// the browser back to RedirectURL with a code and the state.
	back, err := fake.DefaultUser().Allow(cfg.AuthCodeURL(state))
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := cfg.Exchange(ctx, back, state); err != nil { // saved in Storage
		fmt.Println(err)
		return
	}

	client, err := cfg.ClientFromStorage(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	user, _, err := client.User(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(user.First, user.Last)
	// Output: Noah Franklin
}

// An application with many users keeps each user's token in a Store under
// its own ID for the user: ExchangeFor at the login callback, ClientFor on
// every request, Forget at sign-out.
func ExampleConfig_ClientFor() {
	fake := uptest.New()
	defer fake.Close()
	cfg := up.ConfigFor(fake)
	cfg.RedirectURL = "https://myapp.example/up/callback"
	cfg.Store = up.NewMemoryStore() // up.NewFileStore(dir), or package up/sqlstore
	ctx := context.Background()

	// The login callback of the user the application knows as "alice".
	state := "the state kept in alice's session"
	back, err := fake.DefaultUser().Allow(cfg.AuthCodeURL(state))
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := cfg.ExchangeFor(ctx, "alice", back, state); err != nil {
		fmt.Println(err)
		return
	}

	// Each request of alice's makes a Client from the store.
	client, err := cfg.ClientFor(ctx, "alice")
	if err != nil {
		fmt.Println(err)
		return
	}
	goals, _, err := client.Goals(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("alice's step goal:", goals.MoveSteps)

	// Bob never connected UP; an empty ID is a bug of the application.
	_, err = cfg.ClientFor(ctx, "bob")
	fmt.Println("bob:", errors.Is(err, up.ErrNoToken))
	_, err = cfg.ClientFor(ctx, "")
	fmt.Println("no ID:", errors.Is(err, up.ErrEmptyKey))

	// Alice signs out: her token is deleted; UP is not called.
	if err := cfg.Forget(ctx, "alice"); err != nil {
		fmt.Println(err)
		return
	}
	_, err = cfg.ClientFor(ctx, "alice")
	fmt.Println("alice after Forget:", errors.Is(err, up.ErrNoToken))
	// Output:
	// alice's step goal: 10000
	// bob: true
	// no ID: true
	// alice after Forget: true
}

// An application that knows its users by UP's own XID learns the key only
// once UP says who logged in: ExchangeForUser exchanges the code, fetches
// the user and stores the token under the key (the XID, when key is nil).
func ExampleConfig_ExchangeForUser() {
	fake := uptest.New()
	defer fake.Close()
	cfg := up.ConfigFor(fake)
	cfg.RedirectURL = "https://myapp.example/up/callback"
	cfg.Scopes = up.Scopes{up.ScopeBasicRead, up.ScopeMoveRead}
	cfg.Store = up.NewMemoryStore()
	ctx := context.Background()

	state := "the state kept in the browser's session"
	back, err := fake.DefaultUser().Allow(cfg.AuthCodeURL(state))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, user, err := cfg.ExchangeForUser(ctx, back, state, nil) // nil: keyed by XID
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("logged in:", user.First)

	// Later requests find the token under the XID, kept in the session.
	client, err := cfg.ClientFor(ctx, user.XID)
	if err != nil {
		fmt.Println(err)
		return
	}
	moves, err := client.MovesPage(ctx, up.ListQuery{Limit: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(moves.Items), "move")
	// Output:
	// logged in: Noah
	// 1 move
}

// A FileStore keeps a file per user, locked per user across processes, so
// that the processes of one machine share the users' tokens.
func ExampleNewFileStore() {
	dir, err := os.MkdirTemp("", "up-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = os.RemoveAll(dir) }()
	store := up.NewFileStore(filepath.Join(dir, "up-tokens"))
	ctx := context.Background()

	// Config.ExchangeFor stores a token this way, and a refresh its successor.
	err = store.Update(ctx, "alice", func(_ context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
		return &oauth2.Token{AccessToken: "access-1", RefreshToken: "refresh-1"}, nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := store.Load(ctx, "alice")
	fmt.Println(tok.RefreshToken, err)
	_, err = store.Load(ctx, "bob")
	fmt.Println(errors.Is(err, up.ErrNoToken))
	// Output:
	// refresh-1 <nil>
	// true
}
