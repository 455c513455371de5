// Package browsertest starts headless Chromium for tests that drive a real
// browser with chromedp (https://github.com/chromedp/chromedp), keeps the
// screenshots they take as test artifacts, and decides what happens when
// Chromium is not installed: as internal/realpart decides for every real
// part, the test is skipped with a message that says so (and listed in the
// NOTICE of make test), unless UP_REQUIRE_CHROMIUM=1 (as CI sets it) makes
// that a failure.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/upapi/up-go/internal/realpart"
)

// Environment variables the package reads.
const (
	// PathEnv names the Chromium binary to run, in place of the first of
	// chromium, chromium-browser, google-chrome and headless-shell on PATH.
	PathEnv = "UP_CHROMIUM"
	// ArtifactsEnv names the directory that keeps each test's screenshots,
	// in a folder named after the test. Unset, they go to the test's
	// temporary directory and are removed with it.
	ArtifactsEnv = "UP_TEST_ARTIFACTS"
)

// Timeout bounds everything a test does with its browser.
const Timeout = 90 * time.Second

// ErrNotFound is returned by Find when no Chromium is installed.
var ErrNotFound = errors.New("no Chromium binary found")

// Find returns the path of the Chromium binary: $UP_CHROMIUM, or the first
// of chromium, chromium-browser, google-chrome and headless-shell on PATH.
func Find(getenv func(string) string) (string, error) {
	if p := getenv(PathEnv); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", PathEnv, p, err)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w on PATH (chromium, chromium-browser, google-chrome, headless-shell)", ErrNotFound)
}

// A Browser is a headless Chromium run for one test.
type Browser struct {
	// Ctx drives the browser's first tab with chromedp.Run; it ends with
	// the test or after Timeout.
	Ctx context.Context

	t     testing.TB
	dir   string
	shots int
}

// New starts headless Chromium for t, with a fresh profile, and stops it
// when t ends. Without Chromium, t is skipped or fails, as Require says.
func New(t testing.TB) *Browser {
	t.Helper()
	path, err := Find(os.Getenv)
	if err != nil {
		realpart.Absent(t, realpart.Chromium, fmt.Sprintf("%v: install Chromium (Debian: apt-get install -y chromium) or set %s", err, PathEnv))
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1000, 900),
	)
	ctx, cancelTimeout := context.WithTimeout(context.Background(), Timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelTimeout()
	})
	if err := chromedp.Do(tabCtx); err != nil {
		t.Fatalf("starting Chromium (%s): %v", path, err)
	}
	return &Browser{Ctx: tabCtx, t: t, dir: Artifacts(t)}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Artifacts returns the directory for t's artifacts:
// $UP_TEST_ARTIFACTS/<test name>, made if needed, or a temporary directory
// of t's when the variable is unset.
func Artifacts(t testing.TB) string {
	t.Helper()
	root := os.Getenv(ArtifactsEnv)
	if root == "" {
		return t.TempDir()
	}
	dir := filepath.Join(root, unsafeName.ReplaceAllString(t.Name(), "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts directory: %v", err)
	}
	return dir
}

// Do runs steps in the browser, in order, and fails the test, after a
// screenshot named failed-<what>, if one fails.
func (b *Browser) Do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.Ctx, steps...); err != nil {
		b.Screenshot("failed-" + what)
		b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// Text returns the visible text of the first element that the CSS
// selector sel matches, failing the test if there is none.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.Screenshot("failed-text")
		b.t.Fatalf("browser: text of %s: %v", sel, err)
	}
	return s
}

// Location returns the URL of the page the browser shows.
func (b *Browser) Location() string {
	b.t.Helper()
	s, err := chromedp.Run(b.Ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("browser: location: %v", err)
	}
	return s
}

// Screenshot saves the whole page as NN-name.png in the test's artifacts
// directory, numbered in the order taken, and returns its path.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	b.shots++
	path := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.shots, unsafeName.ReplaceAllString(name, "_")))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	b.t.Logf("screenshot %s", path)
	return path
}
