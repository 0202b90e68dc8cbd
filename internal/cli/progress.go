package cli

import (
	"fmt"
	"sync"
	"time"

	"github.com/asyncjobs/stepjobs/client"
)

// progress shows a waiting job on Stderr: on a terminal one status line
// redrawn in place (\r) with the elapsed time, refreshed between polls; else
// a plain line when the status changes, repeated every HeartbeatEvery.
type progress struct {
	m        *Main
	ref      string
	terminal bool
	started  time.Time // local start, until the job's own start date is known

	mu       sync.Mutex
	last     *client.Status
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

// update is Wait's OnStatus.
func (p *progress) update(st *client.Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	changed := p.last == nil || p.last.Status != st.Status
	p.last = st
	if p.terminal {
		p.draw()
		return
	}
	now := p.m.Now()
	if changed || now.Sub(p.lastLine) >= p.m.HeartbeatEvery {
		p.lastLine = now
		fmt.Fprintf(p.m.Stderr, "%s job %s %s (elapsed %s)\n", now.UTC().Format(time.RFC3339), st.JobID, st.Status, formatElapsed(p.elapsed()))
	}
}

// draw rewrites the terminal line; p.mu is held.
func (p *progress) draw() {
	id, status := jobIDOf(p.ref, p.last), "waiting"
	if p.last != nil {
		status = string(p.last.Status)
	}
	// \r back to the line's start, ESC[K clears what a longer line left.
	fmt.Fprintf(p.m.Stderr, "\r\x1b[Kjob %s  %s  %s", id, status, formatElapsed(p.elapsed()))
	p.drawn = true
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
