package readmetest

// The Go code of the documentation compiles as pasted, and the program of
// README.md's "Using it" runs.
//
// The rule for a Go block: every fenced block whose info string is go (or
// golang) in README.md and docs/*.md is a whole Go file, beginning with its
// package clause and imports, as a reader would paste it into a file of
// their own module. There are no fragments: a block that is not a whole file
// fails the test, which says so and where, because a fragment compiled inside
// a wrapper the reader never sees proves nothing about the paste. A block is
//
//   - a program when its package is main: built and vetted;
//   - a test file when it imports "testing" and declares a Test, Example,
//     Benchmark or Fuzz function: vetted and run with go test, so the tests
//     the README shows pass against the fake UP server;
//   - a package file otherwise: built and vetted.
//
// Every block must also be gofmt-formatted, and a block of another language
// (sh, or none) that holds a Go file fails: label it go. Each block becomes
// one directory of a single temporary module whose go.mod requires
// github.com/upapi/up-go through a replace to this repository (and reuses its
// go.sum, so nothing is fetched), and one go vet ./..., go build ./... and go
// test run over them all. Errors are reported at their line in the Markdown.
//
// Then the "Using it" program runs against the embedded fake (up/uptest), as
// a new user runs it against `go run ./cmd/upmock`: UP_CLIENT_ID,
// UP_CLIENT_SECRET, UP_BASE_URL, UP_AUTH_URL and UP_TOKEN_URL name the fake,
// and HOME and XDG_CONFIG_HOME a fresh directory. Its first run prints the
// login URL on stderr, which the test follows as a browser would (the fake
// consents at once and sends it back to the program), lists workouts as
// lines starting with their date, logs one and saves the token, readable by
// its owner only, under the user's config directory; the second run logs in
// from that file without asking UP for a token and lists one workout more;
// the third, after the fake expired the access token, refreshes it instead
// of asking the user to log in again.
//
// go test caches a passing result until a file the test opened changes: the
// test reads the Markdown files and every Go source of the module, so a
// change to the SDK that breaks a block is seen at the next run.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/upapi/up-go/up/uptest"
)

// module is the path of the SDK's module, which the blocks import.
const module = "github.com/upapi/up-go"

// usingItSection is the heading of the section whose program runs.
const usingItSection = "Using it"

// kind is what a Go block is.
type kind int

const (
	program kind = iota
	library
	testFile
)

// block is one fenced Go block of a Markdown file.
type block struct {
	doc     string // the Markdown file, relative to the repository
	line    int    // the line of its first line of code, from 1
	section string // the heading it is under
	info    string // the fence's info string
	code    string
	kind    kind
	dir     string // its directory in the temporary module
}

func (b *block) String() string { return fmt.Sprintf("%s:%d", b.doc, b.line) }

// fence matches the opening or closing line of a fenced code block, with
// its indentation, its fence and its info string. Any indentation is
// accepted, so that a block inside a list item is checked too.
var fence = regexp.MustCompile("^( *)(`{3,}|~{3,})\\s*(.*)$")

// heading matches an ATX heading.
var heading = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)

// extract returns the fenced blocks of a Markdown file, whatever their language.
func extract(doc, text string) ([]*block, error) {
	var (
		blocks  []*block
		section string
		open    *block
		marker  string
		indent  int
		lines   []string
	)
	for i, line := range strings.Split(text, "\n") {
		if open == nil {
			if m := heading.FindStringSubmatch(line); m != nil {
				section = m[1]
				continue
			}
			if m := fence.FindStringSubmatch(line); m != nil {
				if m[2][0] == '`' && strings.Contains(m[3], "`") {
					continue // an inline code span, not a fence
				}
				open = &block{doc: doc, line: i + 2, section: section, info: strings.TrimSpace(m[3])}
				marker, indent, lines = m[2], len(m[1]), nil
			}
			continue
		}
		if m := fence.FindStringSubmatch(line); m != nil && m[3] == "" &&
			m[2][0] == marker[0] && len(m[2]) >= len(marker) {
			open.code = strings.Join(lines, "\n") + "\n"
			blocks = append(blocks, open)
			open = nil
			continue
		}
		// Content lines lose up to the fence's indentation.
		n := 0
		for n < indent && n < len(line) && line[n] == ' ' {
			n++
		}
		lines = append(lines, line[n:])
	}
	if open != nil {
		return nil, fmt.Errorf("%s: the code block opened at line %d is never closed", doc, open.line-1)
	}
	return blocks, nil
}

// isGo reports whether a fence's info string names Go.
func isGo(info string) bool {
	lang, _, _ := strings.Cut(info, " ")
	switch strings.ToLower(strings.Trim(lang, "{}.")) {
	case "go", "golang":
		return true
	}
	return false
}

// classify parses a Go block as a whole file and says what it is.
func classify(b *block) error {
	fset := token.NewFileSet()
	if _, err := parser.ParseFile(fset, "", b.code, parser.PackageClauseOnly); err != nil {
		return fmt.Errorf("%s: this go block is not a whole Go file (it has no package clause), so it cannot be "+
			"pasted into a file and compiled; begin it with `package main` (or its package) and its imports, "+
			"and make it a program, a package file or a test file", b)
	}
	f, err := parser.ParseFile(fset, "", b.code, parser.ParseComments)
	if err != nil {
		return fmt.Errorf("%s: %w", b, remapParse(b, err))
	}
	if formatted, err := format.Source([]byte(b.code)); err == nil && string(formatted) != b.code {
		return fmt.Errorf("%s: the block is not gofmt-formatted; gofmt gives:\n%s", b, formatted)
	}
	switch {
	case f.Name.Name == "main":
		b.kind = program
	case isTestFile(f):
		b.kind = testFile
	default:
		b.kind = library
	}
	return nil
}

// isTestFile reports whether f imports testing and declares a function go
// test runs.
func isTestFile(f *ast.File) bool {
	imports := false
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "testing" {
			imports = true
		}
	}
	if !imports {
		return false
	}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv != nil {
			continue
		}
		for _, prefix := range []string{"Test", "Example", "Benchmark", "Fuzz"} {
			if strings.HasPrefix(fn.Name.Name, prefix) {
				return true
			}
		}
	}
	return false
}

// remapParse reports a parse error at its line in the Markdown file.
func remapParse(b *block, err error) error {
	return fmt.Errorf("%s", lineRef.ReplaceAllStringFunc(err.Error(), func(s string) string {
		m := lineRef.FindStringSubmatch(s)
		n, _ := strconv.Atoi(m[1])
		return fmt.Sprintf("line %d", b.line+n-1)
	}))
}

var lineRef = regexp.MustCompile(`^(\d+):\d+`)

// fileName is the name a block's file gets in its directory.
func fileName(k kind) string {
	switch k {
	case program:
		return "main.go"
	case testFile:
		return "block_test.go"
	}
	return "block.go"
}

// blockRef matches a file of a block's directory in the go command's output.
var blockRef = regexp.MustCompile(`(?:\./)?(b\d+_[a-z0-9_]+)/(main\.go|block\.go|block_test\.go):(\d+)`)

// remap rewrites the go command's output to name lines of the Markdown
// files instead of the temporary module's.
func remap(out string, byDir map[string]*block) string {
	return blockRef.ReplaceAllStringFunc(out, func(s string) string {
		m := blockRef.FindStringSubmatch(s)
		b, ok := byDir[m[1]]
		if !ok {
			return s
		}
		n, _ := strconv.Atoi(m[3])
		return fmt.Sprintf("%s:%d", b.doc, b.line+n-1)
	})
}

// repoRoot is the root of the repository, two levels up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(mod, []byte("module "+module+"\n")) {
		t.Fatalf("%s is not the root of %s", root, module)
	}
	return root
}

// docs returns the Markdown files whose blocks are checked, relative to root.
func docs(t *testing.T, root string) []string {
	t.Helper()
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"README.md"}
	for _, f := range more {
		rel, err := filepath.Rel(root, f)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, filepath.ToSlash(rel))
	}
	return files
}

// readSources reads every Go file and go.mod of the module, so that go
// test's cache of this test's result ends when one of them changes.
func readSources(t *testing.T, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules" ||
				name == "example" || name == "build") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") || name == "go.mod" || name == "go.sum" {
			_, err = os.ReadFile(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// goEnv is the environment of the go commands run on the temporary module:
// this one's (its GOPROXY, GOFLAGS and module cache), with go.mod completed
// as needed, outside any workspace, with this toolchain.
func goEnv() []string {
	flags := strings.TrimSpace(os.Getenv("GOFLAGS") + " -mod=mod")
	return append(os.Environ(), "GOFLAGS="+flags, "GOWORK=off", "GOTOOLCHAIN=local")
}

// goCmd runs the go command in dir and fails the test with its output,
// pointed back at the Markdown.
func goCmd(t *testing.T, dir string, byDir map[string]*block, args ...string) {
	t.Helper()
	// go test puts the go command that runs it first in PATH.
	cmd := exec.CommandContext(t.Context(), "go", args...)
	cmd.Dir = dir
	cmd.Env = goEnv()
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("go %s: %s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, remap(string(out), byDir))
	}
}

func TestReadme(t *testing.T) {
	root := repoRoot(t)
	readSources(t, root)

	var blocks []*block
	for _, doc := range docs(t, root) {
		text, err := os.ReadFile(filepath.Join(root, doc))
		if err != nil {
			t.Fatal(err)
		}
		all, err := extract(doc, string(text))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range all {
			if isGo(b.info) {
				blocks = append(blocks, b)
				continue
			}
			if _, err := parser.ParseFile(token.NewFileSet(), "", b.code, parser.PackageClauseOnly); err == nil {
				t.Errorf("%s: a block labeled %q holds a Go file: label it go, so that it is checked", b, b.info)
			}
		}
	}
	if len(blocks) == 0 {
		t.Fatal("README.md has no go block")
	}

	mod := t.TempDir()
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	gomod := fmt.Sprintf("module readme.example\n\ngo 1.26.0\n\nrequire %s v0.0.0\n\nreplace %s => %s\n",
		module, module, root)
	for name, data := range map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum} {
		if err := os.WriteFile(filepath.Join(mod, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	byDir := map[string]*block{}
	var usingIt *block
	tests := false
	for i, b := range blocks {
		if err := classify(b); err != nil {
			t.Error(err)
			continue
		}
		b.dir = fmt.Sprintf("b%02d_%s_l%d", i+1,
			strings.NewReplacer("/", "_", ".", "_", "-", "_").Replace(strings.ToLower(b.doc)), b.line)
		byDir[b.dir] = b
		if err := os.Mkdir(filepath.Join(mod, b.dir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(mod, b.dir, fileName(b.kind)), []byte(b.code), 0o644); err != nil {
			t.Fatal(err)
		}
		tests = tests || b.kind == testFile
		if b.doc == "README.md" && b.section == usingItSection && b.kind == program {
			usingIt = b
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d go blocks: %s", len(blocks), describe(blocks))

	bin := filepath.Join(mod, "bin")
	goCmd(t, mod, byDir, "vet", "./...")
	goCmd(t, mod, byDir, "build", "-o", bin+string(filepath.Separator), "./...")
	if tests {
		goCmd(t, mod, byDir, "test", "-count=1", "./...")
	}

	if usingIt == nil {
		t.Fatalf("README.md has no program (package main) under the heading %q", usingItSection)
	}
	t.Run("UsingItRunsAgainstTheFake", func(t *testing.T) {
		testUsingIt(t, usingIt, filepath.Join(bin, usingIt.dir))
	})
}

// describe lists the blocks and what each is.
func describe(blocks []*block) string {
	names := map[kind]string{program: "program", library: "package file", testFile: "test file"}
	var parts []string
	for _, b := range blocks {
		parts = append(parts, fmt.Sprintf("%s %s", b, names[b.kind]))
	}
	return strings.Join(parts, ", ")
}

// run is what a run of the program did.
type run struct {
	stdout, stderr string
	loggedIn       bool // it printed the login URL, which was followed
}

// workoutLine matches a line of the program's output that lists a workout.
var workoutLine = regexp.MustCompile(`(?m)^\d{4}-\d{2}-\d{2} `)

func testUsingIt(t *testing.T, b *block, bin string) {
	s := uptest.NewServer(t)
	home := t.TempDir()
	config := filepath.Join(home, "config")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "UP_") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "XDG_") {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+config,
		"UP_CLIENT_ID="+s.ClientID, "UP_CLIENT_SECRET="+s.ClientSecret,
		"UP_BASE_URL="+s.URL, "UP_AUTH_URL="+s.AuthURL, "UP_TOKEN_URL="+s.TokenURL)
	tokenRequests := func() int {
		n := 0
		for _, r := range s.Requests() {
			if strings.HasSuffix(r.Path, "/auth/oauth2/token") {
				n++
			}
		}
		return n
	}

	first := runProgram(t, b, bin, env, s.AuthURL)
	if !first.loggedIn {
		t.Fatalf("%s: the first run did not print the login URL (%s?...) on stderr:\n%s", b, s.AuthURL, first.stderr)
	}
	listed := len(workoutLine.FindAllString(first.stdout, -1))
	if listed == 0 {
		t.Errorf("%s: the first run listed no workout (a line starting with its date):\n%s", b, first.stdout)
	}
	created := 0
	for _, r := range s.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/users/@me/workouts") {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%s: the first run sent %d requests creating a workout, want 1", b, created)
	}
	saved := tokenFiles(t, config)
	if len(saved) == 0 {
		t.Fatalf("%s: the first run saved no file under the user's config directory", b)
	}

	before := tokenRequests()
	second := runProgram(t, b, bin, env, s.AuthURL)
	if second.loggedIn {
		t.Errorf("%s: the second run asked the user to log in again, instead of using the saved token", b)
	}
	if n := tokenRequests() - before; n != 0 {
		t.Errorf("%s: the second run sent %d token requests, want none", b, n)
	}
	if n := len(workoutLine.FindAllString(second.stdout, -1)); n != listed+1 {
		t.Errorf("%s: the second run listed %d workouts, want %d: the first's and the one it logged:\n%s",
			b, n, listed+1, second.stdout)
	}

	s.ExpireAccessTokens()
	before = tokenRequests()
	third := runProgram(t, b, bin, env, s.AuthURL)
	if third.loggedIn {
		t.Errorf("%s: with its access token expired, the program asked the user to log in again instead of refreshing", b)
	}
	if n := tokenRequests() - before; n != 1 {
		t.Errorf("%s: with its access token expired, the program sent %d token requests, want 1 refresh", b, n)
	}
	changed := false
	for path, data := range tokenFiles(t, config) {
		changed = changed || saved[path] != data
	}
	if !changed {
		t.Errorf("%s: the refreshed token was not saved under %s", b, config)
	}
}

// tokenFiles returns the contents of the non-empty files under dir by
// path, and fails the test if one is readable by others than its owner.
func tokenFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() == 0 {
			return nil // a lock file
		}
		if info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v: a token file must be readable by its owner only", path, info.Mode().Perm())
		}
		data, err := os.ReadFile(path)
		files[path] = string(data)
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return files
}

// runProgram runs the program once and returns its output. When it prints
// a URL of the fake's authorization endpoint on stderr, runProgram follows
// it as a browser would: the fake consents and redirects to the program's
// redirect URL.
func runProgram(t *testing.T, b *block, bin string, env []string, authURL string) run {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var r run
	followed := make(chan error, 1)
	lines := bufio.NewScanner(pipe)
	for lines.Scan() {
		line := lines.Text()
		stderr.WriteString(line + "\n")
		if i := strings.Index(line, authURL+"?"); i >= 0 && !r.loggedIn {
			r.loggedIn = true
			u, _, _ := strings.Cut(line[i:], " ")
			go func() {
				err := follow(ctx, u)
				if err != nil {
					cancel() // the program would wait for the browser in vain
				}
				followed <- err
			}()
		}
	}
	_, _ = io.Copy(&stderr, pipe)
	err = cmd.Wait()
	r.stdout, r.stderr = stdout.String(), stderr.String()
	if r.loggedIn {
		if err := <-followed; err != nil {
			t.Fatalf("%s: following the login URL: %v\nstderr:\n%s", b, err, r.stderr)
		}
	}
	if err != nil {
		t.Fatalf("%s: the program failed: %v\nstdout:\n%s\nstderr:\n%s", b, err, r.stdout, r.stderr)
	}
	return r
}

// follow gets url and the redirects it leads to, and checks that the last
// answer is 200 OK.
func follow(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s: %s", resp.Request.URL, resp.Status, body)
	}
	return nil
}

// TestExtract checks that every form of fenced block is found, so that none
// escapes the checks above.
func TestExtract(t *testing.T) {
	t.Parallel()
	text := "# Title\n" +
		"Run `go test` and ```inline``` code.\n" +
		"## One\n" +
		"```go\npackage a\n```\n" +
		"- a list item:\n\n" +
		"    ```golang\n    package b\n\n      x\n    ```\n" +
		"~~~~ go\npackage c\n```\n~~~~\n" +
		"```\nno language\n```\n"
	blocks, err := extract("X.md", text)
	if err != nil {
		t.Fatal(err)
	}
	want := []block{
		{line: 5, section: "One", info: "go", code: "package a\n"},
		{line: 10, section: "One", info: "golang", code: "package b\n\n  x\n"},
		{line: 15, section: "One", info: "go", code: "package c\n```\n"},
		{line: 19, section: "One", info: "", code: "no language\n"},
	}
	if len(blocks) != len(want) {
		t.Fatalf("%d blocks, want %d: %+v", len(blocks), len(want), blocks)
	}
	for i, b := range blocks {
		w := want[i]
		if b.line != w.line || b.section != w.section || b.info != w.info || b.code != w.code {
			t.Errorf("block %d: %+v, want %+v", i, *b, w)
		}
	}
	if _, err := extract("X.md", "```go\npackage a\n"); err == nil {
		t.Error("an unclosed block was accepted")
	}
	for info, want := range map[string]bool{"go": true, "Go": true, "golang": true, "go title=x": true, "{.go}": true,
		"sh": false, "": false, "gomod": false} {
		if isGo(info) != want {
			t.Errorf("isGo(%q) = %v", info, !want)
		}
	}
}
