package up

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// Every type that holds a secret redacts itself however it is printed.
var (
	_ fmt.Formatter  = Config{}
	_ slog.LogValuer = Config{}
	_ json.Marshaler = Config{}
	_ fmt.Formatter  = (*Client)(nil)
	_ slog.LogValuer = (*Client)(nil)
	_ fmt.Formatter  = (*WebhookHandler)(nil)
	_ slog.LogValuer = (*WebhookHandler)(nil)
	_ json.Marshaler = (*WebhookHandler)(nil)
	_ fmt.Formatter  = (*MemoryStorage)(nil)
	_ slog.LogValuer = (*MemoryStorage)(nil)
)

// secretHolders returns, for every exported type of this package that holds
// a secret (TestSecretHoldersListed finds them in the source), values of it
// holding the tests' secrets. A new type that holds a token or a secret
// must be added here, with a value in each form a caller could print it.
func secretHolders(t *testing.T) map[string][]any {
	t.Helper()
	tok := &oauth2.Token{AccessToken: leakAccess, RefreshToken: leakRefresh, TokenType: "Bearer"}
	cfg := Config{
		ClientID: testClientID, ClientSecret: leakClientSecret, RedirectURL: testRedirectURL,
		Scopes: []Scope{ScopeMoveRead}, Storage: NewMemoryStorage(),
	}
	cl := cfg.Client(tok)
	st := NewMemoryStorage()
	if err := st.Save(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	ms := NewMemoryStore()
	if err := ms.Update(t.Context(), "user-1", func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return tok, nil }); err != nil {
		t.Fatal(err)
	}
	wh := NewWebhookHandler(&cfg, func(context.Context, *Notification) {})
	page := &Page[Workout]{Items: []Workout{{XID: "w"}}, c: cl, cursor: newCursor()}
	return map[string][]any{
		"Config":         {cfg, &cfg},
		"Client":         {cl},
		"WebhookHandler": {wh},
		"MemoryStorage":  {st},
		"MemoryStore":    {ms},
		"Page":           {page, *page},
	}
}

// secretField matches the names of fields that hold a secret.
var secretField = regexp.MustCompile(`(?i)secret|token|password|passwd|credential|bearer|^tok$|^access$|^refresh$`)

// secretTypes are the types of other packages that are secrets.
var secretTypes = map[string]bool{"oauth2.Token": true, "oauth2.TokenSource": true}

// TestSecretHoldersListed reads the package's source and checks that every
// exported struct type holding a secret, directly (a field named like one,
// of a string type, or an oauth2.Token) or through the fields of its
// fields, is listed in secretHolders.
func TestSecretHoldersListed(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	structs := map[string]*ast.StructType{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if ts, ok := n.(*ast.TypeSpec); ok {
				if st, ok := ts.Type.(*ast.StructType); ok {
					structs[ts.Name.Name] = st
				}
			}
			return true
		})
	}
	// holds reports whether a type expression holds a secret, given which
	// of the package's types are known to.
	var holds func(e ast.Expr, known map[string]bool) bool
	holds = func(e ast.Expr, known map[string]bool) bool {
		switch e := e.(type) {
		case *ast.Ident:
			return known[e.Name]
		case *ast.SelectorExpr:
			if x, ok := e.X.(*ast.Ident); ok {
				return secretTypes[x.Name+"."+e.Sel.Name]
			}
		case *ast.StarExpr:
			return holds(e.X, known)
		case *ast.ArrayType:
			return holds(e.Elt, known)
		case *ast.MapType:
			return holds(e.Key, known) || holds(e.Value, known)
		case *ast.ChanType:
			return holds(e.Value, known)
		case *ast.IndexExpr:
			return holds(e.X, known) || holds(e.Index, known)
		case *ast.IndexListExpr:
			return holds(e.X, known) || slices.ContainsFunc(e.Indices, func(i ast.Expr) bool { return holds(i, known) })
		case *ast.StructType:
			return structHolds(e, known, holds)
		}
		return false
	}
	known := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for name, st := range structs {
			if !known[name] && structHolds(st, known, holds) {
				known[name], changed = true, true
			}
		}
	}
	listed := secretHolders(t)
	var found []string
	for name := range known {
		if ast.IsExported(name) {
			found = append(found, name)
			if _, ok := listed[name]; !ok {
				t.Errorf("type %s holds a secret but is not in secretHolders: give it Format, LogValue (and MarshalJSON if it has exported secret fields) and list it", name)
			}
		}
	}
	for name := range listed {
		if !known[name] {
			t.Errorf("secretHolders lists %s, which holds no secret", name)
		}
	}
	slices.Sort(found)
	t.Logf("exported types holding a secret: %v", found)
	if len(found) < 4 {
		t.Errorf("found only %v: the scan is broken", found)
	}
}

// structHolds reports whether a struct has a field that is a secret or
// holds one.
func structHolds(st *ast.StructType, known map[string]bool, holds func(ast.Expr, map[string]bool) bool) bool {
	for _, field := range st.Fields.List {
		if holds(field.Type, known) {
			return true
		}
		if id, ok := field.Type.(*ast.Ident); ok && id.Name == "string" {
			for _, n := range field.Names {
				if secretField.MatchString(n.Name) {
					return true
				}
			}
		}
	}
	return false
}

// printings renders v every way a program might log it: each fmt verb with
// and without flags, slog's text and JSON handlers (as a value and inside
// a group), json.Marshal, and v as a field of a caller's struct.
func printings(v any) map[string]string {
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%40v", "%-40s", "%#q", "%+q", "%.3s"} {
		out[verb] = fmt.Sprintf(verb, v)
	}
	out["Sprint"] = fmt.Sprint(v)
	out["Sprintln"] = fmt.Sprintln(v)
	for _, verb := range []string{"%v", "%+v", "%#v"} {
		out["in a struct "+verb] = fmt.Sprintf(verb, struct{ V any }{v})
		out["in a slice "+verb] = fmt.Sprintf(verb, []any{v})
		out["in a map "+verb] = fmt.Sprintf(verb, map[string]any{"v": v})
	}
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"JSON": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var b bytes.Buffer
		l := slog.New(h(&b))
		l.Info("value", "v", v)
		l.Info("group", slog.Group("g", "v", v))
		l.With("w", v).Info("with")
		l.Info("any", slog.Any("v", v))
		out["slog "+name] = b.String()
	}
	if b, err := json.Marshal(v); err == nil {
		out["json.Marshal"] = string(b)
	}
	if b, err := json.Marshal(struct{ V any }{v}); err == nil {
		out["json.Marshal in a struct"] = string(b)
	}
	return out
}

// printLeaks returns how text shows secret, in any encoding or in hex.
func printLeaks(text, secret string) []string {
	found := leaks(text, secret)
	for _, h := range []string{hex.EncodeToString([]byte(secret)), strings.ToUpper(hex.EncodeToString([]byte(secret)))} {
		if strings.Contains(text, h) {
			found = append(found, "hex")
		}
	}
	return found
}

// TestSecretHoldersNeverPrintSecrets prints every secret holder, and errors
// made from servers' answers that quoted the secrets, every way, and finds
// no secret in any of it.
func TestSecretHoldersNeverPrintSecrets(t *testing.T) {
	values := secretHolders(t)
	// Errors that carried server text quoting the secrets.
	s := newLeakServer(t)
	for _, place := range leakPlaces(t) {
		if place.inURL || place.secrets != nil {
			continue
		}
		var quoted []string
		for _, sec := range []string{leakClientSecret, leakAccess, leakRefresh} {
			quoted = append(quoted, url.QueryEscape(sec), sec)
		}
		err := place.run(t, s, strings.Join(quoted, " "))
		values["error: "+place.name] = []any{err}
	}
	secrets := []string{leakClientSecret, leakAccess, leakRefresh}
	for name, vs := range values {
		for i, v := range vs {
			for how, text := range printings(v) {
				for _, sec := range secrets {
					if found := printLeaks(text, sec); len(found) > 0 {
						t.Errorf("%s (form %d, %T) printed with %s shows %s as %v: %s", name, i, v, how, sec, found, text)
					}
				}
			}
		}
	}
}
