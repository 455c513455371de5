package up

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzParseTokenResponse decodes any token endpoint answer. What it
// accepts is a bearer token with an access token and a lifetime that is
// unknown or within [minTokenLifetime, maxTokenLifetime], never born
// expired; what it refuses is a *TokenError or a *TokenTypeError that
// quotes neither the client secret nor the grant's secret.
func FuzzParseTokenResponse(f *testing.F) {
	for _, body := range []string{
		`{"access_token":"a","token_type":"Bearer","expires_in":31536000,"refresh_token":"r"}`,
		`{"access_token":"a","token_type":"bearer","expires_in":"3600"}`,
		`{"access_token":"a","expires_in":31536000000}`,
		`{"access_token":"a","expires_in":-1}`,
		`{"access_token":"a","expires_in":0.5}`,
		`{"access_token":"a","expires_in":"soon"}`,
		`{"access_token":"a","token_type":"mac"}`,
		`{"error":"invalid_grant","error_description":"client-secret-x grant-secret-y"}`,
		`not json client-secret-x`,
	} {
		f.Add(200, []byte(body))
		f.Add(400, []byte(body))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		tok, err := parseTokenResponse(status, body, "client-secret-x", "grant-secret-y")
		if err != nil {
			var te *TokenError
			var tt *TokenTypeError
			if !errors.As(err, &te) && !errors.As(err, &tt) {
				t.Fatalf("error %T %v is neither a *TokenError nor a *TokenTypeError", err, err)
			}
			if msg := err.Error(); strings.Contains(msg, "client-secret-x") || strings.Contains(msg, "grant-secret-y") {
				t.Fatalf("error %q quotes a secret", msg)
			}
			return
		}
		if status < 200 || status > 299 || tok.AccessToken == "" || tok.TokenType != "Bearer" {
			t.Fatalf("status %d accepted as %+v", status, tok)
		}
		life := time.Duration(tok.ExpiresIn) * time.Second
		switch {
		case tok.ExpiresIn == 0 && tok.Expiry.IsZero():
		case tok.ExpiresIn == 0 || tok.Expiry.IsZero():
			t.Fatalf("ExpiresIn %d with Expiry %v", tok.ExpiresIn, tok.Expiry)
		case life < minTokenLifetime || life > maxTokenLifetime:
			t.Fatalf("lifetime %v outside [%v, %v]", life, minTokenLifetime, maxTokenLifetime)
		case expired(tok):
			t.Fatalf("born expired: %v", tok.Expiry)
		}
	})
}
