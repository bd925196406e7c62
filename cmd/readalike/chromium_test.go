package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Driving headless Chromium for TestBrowser with chromedp: one browser with a
// fresh profile, tabs whose page errors fail the test, and small typed
// helpers to evaluate, wait and take screenshots.

// chromiumPath returns the Chromium (or Chrome) to drive, or "".
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser is one headless Chromium with a fresh profile, closed when the
// test ends; errors collects the page's uncaught exceptions and
// console.error calls, which fail the test.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T, chrome string) *browser {
	t.Helper()
	profile := t.TempDir()
	// As root, in a container: no sandbox, no GPU, and none of the
	// background connections (updates, sync, QUIC), which are refused here.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(desktopWidth, desktopHeight),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc) // runs before the profile's TempDir is removed
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chrome, err)
	}
	return &browser{ctx: ctx}
}

// tab opens a new tab, listening for the page's errors.
func (b *browser) tab(t *testing.T) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithListener(func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = "exception: " + ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				msg += " " + ev.ExceptionDetails.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type != runtime.ConsoleAPICalledTypeError {
				return
			}
			msg = "console.error:"
			for _, a := range ev.Args {
				msg += " " + string(a.Value) + a.Description
			}
		default:
			return
		}
		b.mu.Lock()
		b.errors = append(b.errors, msg)
		b.mu.Unlock()
	}))
	t.Cleanup(cancel)
	// The first run opens the tab, on this context itself: a tab opened
	// under a context with a deadline closes when that context ends.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return &tab{t: t, ctx: ctx}
}

func (b *browser) checkErrors(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		t.Errorf("the page: %s", e)
	}
}

// tab is one browser tab; its methods fail the test on any error.
type tab struct {
	t   *testing.T
	ctx context.Context
}

func (p *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("browser: %v\npage:\n%s", err, p.mainText())
	}
}

func evaluate[T any](p *tab, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserWait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func (p *tab) eval(expr string)                 { p.t.Helper(); evaluate[chromedp.Void](p, expr) }
func (p *tab) evalString(expr string) string    { p.t.Helper(); return evaluate[string](p, expr) }
func (p *tab) evalStrings(expr string) []string { p.t.Helper(); return evaluate[[]string](p, expr) }
func (p *tab) evalInt(expr string) int          { p.t.Helper(); return evaluate[int](p, expr) }
func (p *tab) neighbors(items string) []neighborOut {
	p.t.Helper()
	return evaluate[[]neighborOut](p, `[...document.querySelectorAll('`+items+`')].map(li => ({id: li.dataset.id, score: Number(li.querySelector('.score').dataset.score)}))`)
}

// wait polls a JavaScript condition until it holds, failing the test with
// what it waited for and the page's text when it never does.
func (p *tab) wait(cond, what string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserWait+5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(browserWait), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		p.t.Fatalf("waiting for %s: %v\npage:\n%s", what, err, p.mainText())
	}
}

// mainText is the page's main and status text, for failure messages.
func (p *tab) mainText() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('main')?.innerText ?? '') + '\n[status] ' + (document.querySelector('#status')?.textContent ?? '')`))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return s
}

// markResults marks the results as stale, so resultsState waits for the
// answer of the next action rather than reading the last one.
func (p *tab) markResults() {
	p.t.Helper()
	p.eval(`(() => { const s = document.querySelector('#results-section'); if (s) s.dataset.state = 'stale'; })()`)
}

// resultsState waits until the Articles view has answered and returns its
// state: list, search, unavailable or error.
func (p *tab) resultsState() string {
	p.t.Helper()
	p.wait(`['list', 'search', 'unavailable', 'error'].includes(document.querySelector('#results-section')?.dataset.state)`, "the Articles view's results")
	return p.evalString(`document.querySelector('#results-section').dataset.state`)
}

func (p *tab) screenshot(dir, name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, time.Minute)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}
