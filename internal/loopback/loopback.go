// Package loopback tells whether a host names the local machine, the one
// place where plain HTTP may carry credentials: package up refuses any other
// http URL for its token and API endpoints, and the up command accepts only
// such a redirect URL for its login.
package loopback

import (
	"net"
	"strings"
)

// Is reports whether host (a URL's Hostname, without port or brackets)
// names the local machine: localhost in any case, 127.0.0.0/8 or ::1.
func Is(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
