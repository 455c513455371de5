package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/upapi/up-go/up"
)

func (a *app) get(ctx context.Context, args []string) error {
	fs := a.flags("get", "PATH [--raw]", `
GET an API path with the saved token and print UP's answer, for endpoints
list does not cover:

  up get /users/@me/goals
  up get /users/@me/trends
  up get '/moves/XID/ticks?limit=5'

A JSON answer is printed indented, as every --format json of up is; --raw
prints it byte for byte as UP sent it (so does any answer that is not JSON,
such as an image).

PATH is relative to the API root (UP_BASE_URL); a links.next path, which
starts with the root's path, or a full URL under the root are accepted too.
The token is never sent anywhere else. A status that is not 2xx prints the
body on stderr and exits 4 (3 for 401).
`)
	c := connFlags(fs)
	raw := fs.Bool("raw", false, "print the answer as UP sent it, without indenting")
	pos, err := a.parse(fs, args, 1)
	if err != nil {
		return err
	}
	a.resolve(fs, c)
	if len(pos) == 0 {
		return usageErrorf("get: name a path, such as /users/@me")
	}
	client, _, err := a.client(ctx, c)
	if err != nil {
		return err
	}
	target, err := apiURL(client.BaseURL(), pos[0])
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return usageErrorf("get: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.HTTPClient().Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if *raw {
			_, err := io.Copy(a.stdout, resp.Body)
			return err
		}
		return copyIndented(a.stdout, resp.Body)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	body = redactTokens(client, body)
	if len(body) > 0 {
		if body[len(body)-1] != '\n' {
			body = append(body, '\n')
		}
		_, _ = a.stderr.Write(body)
	}
	code := exitAPI
	if resp.StatusCode == http.StatusUnauthorized {
		code = exitLogin
	}
	return failf(code, nil, "GET %s: %d %s", strings.TrimPrefix(target, client.BaseURL()), resp.StatusCode, http.StatusText(resp.StatusCode))
}

// maxIndented bounds the answer get reads to indent it; a longer one is
// printed as it comes.
const maxIndented = 64 << 20

// copyIndented copies a JSON answer from r to w indented as writeJSON
// indents, and anything else as it is.
func copyIndented(w io.Writer, r io.Reader) error {
	body, err := io.ReadAll(io.LimitReader(r, maxIndented))
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if len(body) < maxIndented && json.Indent(&b, bytes.TrimRight(body, " \t\r\n"), "", "  ") == nil {
		b.WriteByte('\n')
		_, err = w.Write(b.Bytes())
		return err
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	return err
}

// plainPath refuses an escaped path that a server could read as leaving
// where it seems to lead: a dot segment, plain or percent-encoded (%2e), or
// an encoded slash or a backslash, which some servers take for a separator.
func plainPath(escaped string) error {
	dec, err := url.PathUnescape(escaped)
	if err != nil {
		return err
	}
	if strings.ContainsAny(dec, `\`) || strings.Count(dec, "/") != strings.Count(escaped, "/") {
		return errors.New("the path has an encoded slash or a backslash")
	}
	for seg := range strings.SplitSeq(dec, "/") {
		if name, _, _ := strings.Cut(seg, ";"); name == "." || name == ".." {
			return errors.New("the path has a dot segment")
		}
	}
	return nil
}

// apiURL resolves p against the API root base, refusing anything that
// leads elsewhere: the token must not leave the API.
func apiURL(base, p string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", usageErrorf("invalid base URL %q", base)
	}
	root := strings.TrimSuffix(b.Path, "/")
	ref, err := url.Parse(p)
	if err != nil {
		return "", usageErrorf("get: %q is not a path: %v", p, err)
	}
	if err := plainPath(ref.EscapedPath()); err != nil {
		return "", usageErrorf("get: refusing to send the token to %q: %v; give a path under the API root %s", p, err, base)
	}
	if ref.Scheme != "" || ref.Host != "" {
		u := b.ResolveReference(ref)
		if u.Scheme != b.Scheme || !strings.EqualFold(u.Host, b.Host) || u.User != nil ||
			(u.Path != root && !strings.HasPrefix(u.Path, root+"/")) {
			return "", usageErrorf("get: refusing to send the token to %s: give a path under the API root %s", redactURL(u), base)
		}
		return u.String(), nil
	}
	path := ref.EscapedPath()
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if root != "" && (path == root || strings.HasPrefix(path, root+"/")) {
		path = strings.TrimPrefix(path, root) // a links.next path names the root already
	}
	u := strings.TrimSuffix(base, "/") + path
	if ref.RawQuery != "" {
		u += "?" + ref.RawQuery
	}
	return u, nil
}

// redactURL shows u without its query, which might carry a credential.
func redactURL(u *url.URL) string {
	c := *u
	c.RawQuery, c.User, c.Fragment = "", nil, ""
	return c.String()
}

// redactTokens removes the client's tokens from body, should UP echo one.
func redactTokens(c *up.Client, body []byte) []byte {
	tok, err := c.Token()
	if err != nil {
		return body
	}
	for _, s := range []string{tok.AccessToken, tok.RefreshToken} {
		if s != "" {
			body = bytes.ReplaceAll(body, []byte(s), []byte("[redacted]"))
		}
	}
	return body
}
