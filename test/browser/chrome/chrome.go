// Package chrome starts a headless Chromium for the browser tests and wraps
// the chromedp calls they use, each bounded so a broken page fails the test
// instead of hanging it.
package chrome

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// stepLimit bounds one browser step: a guard against a hang, not a timing assertion.
const stepLimit = 60 * time.Second

// Path finds Chromium ($CHROMIUM, chromium, chromium-browser or
// google-chrome), or skips the test; under BROWSER_TESTS=1 (make
// test-browser) a missing browser fails it instead.
func Path(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "browser tests need Chromium: apt-get install -y chromium (or set CHROMIUM=/path/to/chrome); make test-browser runs them"
	if os.Getenv("BROWSER_TESTS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Start starts a headless Chromium with a fresh profile, quiet (no
// background networking, component updates or sync), at 1280x800, and
// returns its chromedp context; the browser stops with the test.
func Start(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Path(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	// The first Run starts the browser; it lives as long as ctx.
	_, err := chromedp.Run(ctx, chromedp.EmulateViewport(1280, 800))
	require.NoError(t, err, "start chromium")
	return ctx
}

// Do runs browser steps.
func Do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, stepLimit)
	defer cancel()
	require.NoError(t, chromedp.Do(c, steps...))
}

// Eval evaluates JavaScript in the page.
func Eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, stepLimit)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](js))
	require.NoError(t, err, js)
	return v
}

// WaitFor polls a JavaScript condition in the page until it holds.
func WaitFor(t *testing.T, ctx context.Context, js string) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, stepLimit)
	defer cancel()
	_, err := chromedp.Run(c, chromedp.Poll[bool](js, chromedp.WithPollingInterval(50*time.Millisecond)))
	require.NoError(t, err, "waiting for %s", js)
}

// Screenshot saves the viewport as dir/name.png and returns the PNG.
func Screenshot(t *testing.T, ctx context.Context, dir, name string) []byte {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, stepLimit)
	defer cancel()
	png, err := chromedp.Run(c, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
	return png
}
