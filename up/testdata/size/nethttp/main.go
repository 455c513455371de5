// Command nethttp prints the user with golang.org/x/oauth2 and net/http
// alone: the baseline for the SDK's binary size in BENCHMARKS.md.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"golang.org/x/oauth2"
)

func main() {
	ctx := context.Background()
	cfg := &oauth2.Config{
		ClientID:     os.Getenv("UP_CLIENT_ID"),
		ClientSecret: os.Getenv("UP_CLIENT_SECRET"),
		Endpoint: oauth2.Endpoint{
			AuthURL:  "https://jawbone.com/auth/oauth2/auth",
			TokenURL: "https://jawbone.com/auth/oauth2/token",
		},
	}
	client := cfg.Client(ctx, &oauth2.Token{AccessToken: os.Getenv("UP_ACCESS_TOKEN")})
	resp, err := client.Get("https://jawbone.com/nudge/api/v.1.1/users/@me")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	var env struct {
		Data struct {
			XID   string `json:"xid"`
			First string `json:"first"`
			Last  string `json:"last"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(env.Data.XID, env.Data.First, env.Data.Last)
}
