package app

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/crowdcare/crowdcare/internal/testenv"
)

// browserTimeout bounds the life of every headless browser a test starts, so
// a hung Chromium can never hang the suite.
const browserTimeout = 60 * time.Second

// stepTimeout bounds one step (a navigation, a query, a script), so a
// selector that never matches fails in seconds with its name.
const stepTimeout = 15 * time.Second

// findChromium returns the path of a Chromium or Chrome binary, or "".
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browserTab is one tab of a headless Chromium started for one test. It
// records what the page reports: console errors, uncaught exceptions,
// error-level browser log entries and JavaScript dialogs (which it dismisses,
// so a page that opens one never blocks the test).
type browserTab struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu       sync.Mutex
	problems []string
	dialogs  []string
	// ignoreLog, when set, drops browser log entries a test expects (for
	// example failed image loads of external URLs in the XSS corpus).
	ignoreLog func(*log.Entry) bool
}

// ignoreLogEntries sets which browser log entries are expected noise.
func (b *browserTab) ignoreLogEntries(f func(*log.Entry) bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ignoreLog = f
}

// newBrowserTab starts a headless Chromium with a fresh profile, opens one
// tab and returns it; base is prefixed to relative paths. Without a browser
// the test is skipped, except under CI where it fails.
func newBrowserTab(t *testing.T, base string) *browserTab {
	t.Helper()
	path := findChromium()
	if path == "" {
		msg := "no Chromium or Chrome found on PATH (tried chromium, chromium-browser, google-chrome); install it with: apt-get install -y chromium fonts-noto-core"
		if testenv.InCI() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // the suite runs as root in containers
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-US"),
		// Keep the browser off the network: every host but the loopback
		// test server fails to resolve at once, so pages that reference
		// external images (the XSS corpus does) neither leak nor wait.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.WindowSize(1280, 900),
	)
	// No UserDataDir option: chromedp then makes a fresh temporary profile
	// and removes it when the browser exits.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	timeoutCtx, cancelTimeout := context.WithTimeout(allocCtx, browserTimeout)
	b := &browserTab{t: t, base: base}
	ctx, cancelTab := chromedp.NewContext(timeoutCtx, chromedp.WithListener(b.listen))
	b.ctx = ctx
	t.Cleanup(func() {
		cancelTab()
		cancelTimeout()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return b
}

// listen runs in the tab's event loop: it must return fast and send no
// command, so closing a dialog happens on another goroutine.
func (b *browserTab) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		b.record(&b.problems, "uncaught exception: "+exceptionText(ev.ExceptionDetails))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range ev.Args {
				if a.Description != "" {
					parts = append(parts, a.Description)
				} else {
					parts = append(parts, strings.Trim(string(a.Value), `"`))
				}
			}
			b.record(&b.problems, "console."+string(ev.Type)+": "+strings.Join(parts, " "))
		}
	case *log.EventEntryAdded:
		e := ev.Entry
		b.mu.Lock()
		ignore := b.ignoreLog
		b.mu.Unlock()
		if e.Level == log.EntryLevelError && (ignore == nil || !ignore(e)) {
			b.record(&b.problems, fmt.Sprintf("browser log (%s): %s %s", e.Source, e.Text, e.URL))
		}
	case *page.EventJavascriptDialogOpening:
		b.record(&b.dialogs, fmt.Sprintf("%s dialog %q on %s", ev.Type, ev.Message, ev.URL))
		go func() {
			_, _ = chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}()
	}
}

func (b *browserTab) record(list *[]string, s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	*list = append(*list, s)
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "?"
	}
	s := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		s += " " + d.Exception.Description
	}
	return fmt.Sprintf("%s (%s:%d)", s, d.URL, d.LineNumber+1)
}

// Problems returns the console errors, exceptions and error log entries so far.
func (b *browserTab) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

// Dialogs returns the JavaScript dialogs that opened so far.
func (b *browserTab) Dialogs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.dialogs...)
}

// selfCheck proves the listeners work before a test relies on them: the
// page logs a console error, opens an alert and throws, and all three must be
// recorded (and the alert dismissed) within seconds. The records are then
// cleared.
func (b *browserTab) selfCheck() {
	b.t.Helper()
	b.do("raise test errors", chromedp.Evaluate[chromedp.Void](
		`setTimeout(() => { console.error("self-check"); alert("self-check"); throw new Error("self-check"); }, 0)`))
	deadline := time.Now().Add(stepTimeout)
	for {
		b.mu.Lock()
		ok := len(b.problems) >= 2 && len(b.dialogs) >= 1
		if ok {
			b.problems, b.dialogs = nil, nil
		}
		b.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("the browser listeners did not report a console error, an exception and an alert: problems %q, dialogs %q", b.Problems(), b.Dialogs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// reset forgets what was recorded so far.
func (b *browserTab) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems, b.dialogs = nil, nil
}

// assertClean fails the test if the page reported any error or dialog.
func (b *browserTab) assertClean() {
	b.t.Helper()
	for _, p := range b.Problems() {
		b.t.Errorf("JavaScript problem: %s", p)
	}
	for _, d := range b.Dialogs() {
		b.t.Errorf("unexpected JavaScript dialog: %s", d)
	}
}

func (b *browserTab) url(path string) string {
	if strings.HasPrefix(path, "/") {
		return b.base + path
	}
	return path
}

// step returns a context for one step, derived from the tab's.
func (b *browserTab) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, stepTimeout)
}

// do runs steps, failing the test with what was being done.
func (b *browserTab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open loads path and fails unless the document answered want.
func (b *browserTab) open(path string, want int64) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.url(path)))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	if resp.Status != want {
		b.t.Fatalf("open %s: status %d, want %d", path, resp.Status, want)
	}
}

// follow runs steps that navigate (a click on a link or a submit button),
// waits for the new page and fails unless it answered want.
func (b *browserTab) follow(what string, want int64, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	if resp.Status != want {
		b.t.Fatalf("%s: status %d, want %d (%s)", what, resp.Status, want, resp.URL)
	}
}

// text returns the visible text of the first element matching a CSS selector.
func (b *browserTab) text(css string) string {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("text of %s: %v", css, err)
	}
	return strings.TrimSpace(s)
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *browserTab, expr string) T {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// maxScreenshotHeight crops tall pages so the PNGs stay small.
const maxScreenshotHeight = 1800

// viewport is a screen size to capture at.
type viewport struct {
	Name   string // file name suffix, such as "desktop"
	Width  int64
	Mobile bool
}

func (v viewport) emulate(height int64) chromedp.Action[chromedp.Void] {
	if v.Mobile {
		return chromedp.EmulateViewport(v.Width, height, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	return chromedp.EmulateViewport(v.Width, height)
}

// screenshot sets the viewport, runs load (which brings the tab to the page
// to capture) and writes a PNG of the page, as tall as its content but at
// most maxScreenshotHeight, to dir/name.
func (b *browserTab) screenshot(dir, name string, v viewport, load func()) {
	b.t.Helper()
	b.do("set viewport", v.emulate(800))
	load()
	h := eval[int64](b, `Math.ceil(document.documentElement.scrollHeight)`)
	h = min(max(h, 400), maxScreenshotHeight)
	b.do("resize viewport", v.emulate(h))
	ctx, cancel := b.step()
	defer cancel()
	png, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng})
		return r.Data, err
	})
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatalf("write screenshot: %v", err)
	}
	b.t.Logf("wrote %s (%d KB, %dx%d)", path, len(png)/1024, v.Width, h)
}
