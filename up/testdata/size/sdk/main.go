// Command sdk prints the user with package up: the smallest program an app
// would write with the SDK. BENCHMARKS.md compares its stripped size with
// the same program written on golang.org/x/oauth2 and net/http alone
// (../nethttp).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/upapi/up-go/up"
)

func main() {
	cfg := &up.Config{ClientID: os.Getenv("UP_CLIENT_ID"), ClientSecret: os.Getenv("UP_CLIENT_SECRET")}
	client := cfg.ClientFromAccessToken(os.Getenv("UP_ACCESS_TOKEN"))
	user, _, err := client.User(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(user.XID, *user.First, *user.Last)
}
