package cli

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/asyncjobs/stepjobs/client"
)

// progress shows a waiting job on Stderr: on a terminal one status line
// redrawn in place (\r) with a bar of the job's progress (records generated
// out of all, from its record) and the elapsed time, refreshed between
// polls; else a plain line when the status or the progress's tenth
// changes, repeated every HeartbeatEvery.
type progress struct {
	m        *Main
	ref      string
	terminal bool
	started  time.Time // local start, until the job's own start date is known

	mu       sync.Mutex
	last     *client.Status
	records  *client.Progress // the record's last progress; nil before the first
	lastLine time.Time
	drawn    bool
	stopped  bool
	done     chan struct{}
	finished chan struct{}
}

func newProgress(m *Main, ref string) *progress {
	p := &progress{m: m, ref: ref, terminal: m.Terminal(), started: m.Now(),
		done: make(chan struct{}), finished: make(chan struct{})}
	if p.terminal {
		go p.refresh()
	} else {
		close(p.finished)
	}
	return p
}

// refresh redraws the line so the elapsed time moves between polls.
func (p *progress) refresh() {
	defer close(p.finished)
	t := time.NewTicker(p.m.RefreshEvery)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
			p.mu.Lock()
			if !p.stopped {
				p.draw()
			}
			p.mu.Unlock()
		}
	}
}

// update is Wait's OnStatus, with the job record's progress when it was
// read (nil: unknown yet, or not read).
func (p *progress) update(st *client.Status, records *client.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	changed := p.last == nil || p.last.Status != st.Status
	if records != nil {
		changed = changed || p.records == nil || p.records.Percent/10 != records.Percent/10
		p.records = records
	}
	p.last = st
	if p.terminal {
		p.draw()
		return
	}
	now := p.m.Now()
	if changed || now.Sub(p.lastLine) >= p.m.HeartbeatEvery {
		p.lastLine = now
		fmt.Fprintf(p.m.Stderr, "%s job %s %s%s (elapsed %s)\n", now.UTC().Format(time.RFC3339), st.JobID, st.Status,
			p.recordsText(" "), formatElapsed(p.elapsed()))
	}
}

// draw rewrites the terminal line; p.mu is held.
func (p *progress) draw() {
	id, status := jobIDOf(p.ref, p.last), "waiting"
	if p.last != nil {
		status = string(p.last.Status)
	}
	// \r back to the line's start, ESC[K clears what a longer line left.
	bar := ""
	if p.records != nil {
		bar = "  " + progressBar(p.records.Percent, barWidth) + p.recordsText("  ")
	}
	fmt.Fprintf(p.m.Stderr, "\r\x1b[Kjob %s  %s%s  %s", id, status, bar, formatElapsed(p.elapsed()))
	p.drawn = true
}

// barWidth is the number of cells of the terminal's progress bar.
const barWidth = 20

// progressBar draws percent (clamped to 0..100) as width cells: [#####-----].
func progressBar(percent, width int) string {
	filled := min(max(percent, 0), 100) * width / 100
	return "[" + strings.Repeat("#", filled) + strings.Repeat("-", width-filled) + "]"
}

// recordsText is " 40% 40000/100000 records" after sep, or "" without
// progress; p.mu is held.
func (p *progress) recordsText(sep string) string {
	if p.records == nil {
		return ""
	}
	r := p.records
	return fmt.Sprintf("%s%3d%% %d/%d records", sep, r.Percent, r.RecordsGenerated, r.RecordsTotal)
}

func (p *progress) elapsed() time.Duration {
	if p.last != nil && !p.last.StartDate.IsZero() {
		return p.last.Elapsed(p.m.Now())
	}
	return max(p.m.Now().Sub(p.started), 0)
}

// stop ends the display, leaving the last line in place; it may be called
// more than once.
func (p *progress) stop() {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.stopped = true
	if p.drawn {
		fmt.Fprintln(p.m.Stderr)
	}
	p.mu.Unlock()
	close(p.done)
	<-p.finished
}

// formatElapsed rounds to what a person reads: 0.4s, 12.3s, 2m05s, 1h02m.
func formatElapsed(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}
