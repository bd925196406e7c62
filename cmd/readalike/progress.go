package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows how far a long job is: a bar with rate and ETA on a
// terminal, a plain line every few seconds otherwise (logs, CI).
type progress struct {
	bar   *progressbar.ProgressBar
	w     io.Writer
	what  string
	total int64
	start time.Time
	last  time.Time
}

// newProgress starts a progress display of total units (-1 if unknown)
// on w.
func newProgress(w io.Writer, what string, total int64) *progress {
	p := &progress{w: w, what: what, total: total, start: time.Now(), last: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString(what),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

// set reports done units.
func (p *progress) set(done int64) {
	if p.bar != nil {
		p.bar.Set64(done)
		return
	}
	if time.Since(p.last) < 2*time.Second {
		return
	}
	p.last = time.Now()
	el := time.Since(p.start).Seconds()
	rate := float64(done) / el
	if p.total > 0 && rate > 0 {
		eta := time.Duration(float64(p.total-done)/rate) * time.Second
		fmt.Fprintf(p.w, "%s: %d of %d (%.0f/s, eta %s)\n", p.what, done, p.total, rate, eta.Round(time.Second))
	} else {
		fmt.Fprintf(p.w, "%s: %d (%.0f/s)\n", p.what, done, rate)
	}
}

// finish ends the display.
func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}
