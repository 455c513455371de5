package up

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/oauth2"
)

// BenchmarkFileStoreUpdate10000Users times a refresh's save in a FileStore
// whose directory holds the token and lock files of 10,000 users: the cost
// of a write must not grow with the number of users.
func BenchmarkFileStoreUpdate10000Users(b *testing.B) {
	dir := b.TempDir()
	for i := range 10000 {
		name := fileName(fmt.Sprintf("user-%d", i))
		for _, ext := range []string{".json", ".lock"} {
			if err := os.WriteFile(filepath.Join(dir, name+ext), []byte("{}\n"), 0o600); err != nil {
				b.Fatal(err)
			}
		}
	}
	s := NewFileStore(dir)
	tok := storedToken(1)
	b.ReportAllocs()
	for b.Loop() {
		err := s.Update(b.Context(), "user-10000", func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return tok, nil })
		if err != nil {
			b.Fatal(err)
		}
	}
}
