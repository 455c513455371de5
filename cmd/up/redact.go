package main

import (
	"fmt"
	"log/slog"
)

// String describes the settings without the client secret.
func (c conn) String() string {
	secret := ""
	if c.clientSecret != "" {
		secret = "[redacted]"
	}
	return fmt.Sprintf("conn{client_id: %q, client_secret: %q, redirect_url: %q, base_url: %q, auth_url: %q, token_url: %q, token_file: %q}",
		c.clientID, secret, c.redirectURL, c.baseURL, c.authURL, c.tokenURL, c.tokenFile)
}

// Format prints the settings as String does, whatever the verb, so that no
// verb prints the client secret.
func (c conn) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q', 'x', 'X':
	default:
		verb = 's'
	}
	_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), c.String())
}

// LogValue logs the settings without the client secret.
func (c conn) LogValue() slog.Value { return slog.StringValue(c.String()) }
