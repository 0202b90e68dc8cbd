// Package cpushare lets requests have the CPU before background work.
//
// Go's scheduler has no priorities: a goroutine that serves an API request
// waits in the same run queue as the goroutines of the jobs running in the
// background. When jobs are started faster than the CPUs can run them,
// every start then waits behind the backlog's tasks, although on AWS an
// API call's latency does not depend on how busy one's functions are.
//
// A Limit lets at most n pieces of background work use the CPU at once;
// requests never take a share, so they find a short run queue. Background
// work gives its share back while it waits for a store's answer
// (Transport): the shares bound CPU, not I/O, and the stores keep as many
// calls in flight as before.
//
// A share held for longer than the lease without waiting on a Transport
// stops counting: its holder is taken to be blocked on something the Limit
// cannot see (a sleep, a lock, an HTTP client of its own), so no one waits
// more than a lease behind it, and a holder that waits on another holder
// cannot deadlock.
package cpushare

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Limit is a number of CPU shares for background work. Its zero value is
// not usable; call New.
type Limit struct {
	lease time.Duration
	now   func() time.Time

	mu      sync.Mutex
	free    int
	waiters []*waiter // first come, first served
	held    []grant   // in the order granted, so the front expires first
	timer   *time.Timer
}

// waiter is an Enter or a resume waiting for a share.
type waiter struct {
	s     *share
	ready chan struct{} // closed when granted
}

// grant is a share as granted at epoch; it is stale once the share has
// given it back or lost it to the lease (s.epoch moved on).
type grant struct {
	s     *share
	epoch uint64
	at    time.Time
}

// New returns a Limit of n shares (at least 1), each counted for at most
// lease (at least 1 ms) between two waits.
func New(n int, lease time.Duration) *Limit {
	return &Limit{free: max(n, 1), lease: max(lease, time.Millisecond), now: time.Now}
}

// Enter waits for a share, then returns ctx carrying it, and leave, which
// gives it back (leave must be called once the work is done). Work under
// the returned ctx gives the share back while it waits on a Transport.
// When ctx ends first, Enter returns without a share; the work then runs
// unbounded, as it is about to end.
func (l *Limit) Enter(ctx context.Context) (_ context.Context, leave func()) {
	s := &share{l: l}
	s.mu.Lock()
	s.take(ctx)
	s.mu.Unlock()
	return context.WithValue(ctx, shareKey{}, s), s.leave
}

type shareKey struct{}

// share is one Enter's hold on a Limit. The calls made under it may wait
// on several goroutines at once: the share is given back while any of
// them waits and taken again when the last answer comes. s.mu orders
// those; l.mu guards the fields marked so, and is taken inside s.mu.
type share struct {
	l       *Limit
	mu      sync.Mutex
	waiting int
	left    bool

	counted bool   // l.mu: the share holds one of l's
	epoch   uint64 // l.mu: moves on at each grant and give-back
}

// take waits for a share until ctx ends. s.mu is held, so a sibling's
// pause cannot give back a share not yet taken.
func (s *share) take(ctx context.Context) {
	l := s.l
	l.mu.Lock()
	l.expireLocked(l.now())
	if l.free > 0 && len(l.waiters) == 0 {
		l.free--
		l.grantLocked(s)
		l.mu.Unlock()
		return
	}
	w := &waiter{s: s, ready: make(chan struct{})}
	l.waiters = append(l.waiters, w)
	l.armLocked()
	l.mu.Unlock()
	select {
	case <-w.ready:
	case <-ctx.Done():
		l.mu.Lock()
		if i := slices.Index(l.waiters, w); i >= 0 {
			l.waiters = slices.Delete(l.waiters, i, i+1)
		}
		l.mu.Unlock()
		// Granted meanwhile or not: s.counted says which.
	}
}

// grantLocked gives s a share that l.free no longer counts.
func (l *Limit) grantLocked(s *share) {
	s.counted = true
	s.epoch++
	l.held = append(l.held, grant{s: s, epoch: s.epoch, at: l.now()})
}

// giveBack ends s's hold, if it still counts.
func (s *share) giveBack() {
	l := s.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if !s.counted {
		return
	}
	s.counted = false
	s.epoch++
	l.releaseLocked()
}

// releaseLocked passes a share freed to the first waiter, or keeps it.
func (l *Limit) releaseLocked() {
	if len(l.waiters) == 0 {
		l.free++
		return
	}
	w := l.waiters[0]
	l.waiters = l.waiters[1:]
	l.grantLocked(w.s)
	close(w.ready)
}

// armLocked starts the timer that ends the oldest grant's lease, when an
// Enter waits.
func (l *Limit) armLocked() {
	if len(l.held) == 0 || len(l.waiters) == 0 {
		return
	}
	d := l.held[0].at.Add(l.lease).Sub(l.now())
	if l.timer == nil {
		l.timer = time.AfterFunc(d, l.expire)
		return
	}
	l.timer.Reset(d)
}

// expire ends the leases that have run out and passes their shares on.
func (l *Limit) expire() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expireLocked(l.now())
	l.armLocked()
}

// expireLocked pops the grants given back from the front of l.held, and
// ends those whose lease has run out by now.
func (l *Limit) expireLocked(now time.Time) {
	for len(l.held) > 0 {
		g := l.held[0]
		if g.s.counted && g.s.epoch == g.epoch {
			if now.Before(g.at.Add(l.lease)) {
				return
			}
			g.s.counted = false
			g.s.epoch++
			l.releaseLocked()
		}
		l.held[0] = grant{}
		l.held = l.held[1:]
	}
}

// pause gives the share back for a wait.
func (s *share) pause() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waiting++
	if s.waiting == 1 {
		s.giveBack()
	}
}

// resume takes a share again when the last wait ends.
func (s *share) resume(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waiting--
	if s.waiting == 0 && !s.left {
		s.take(ctx)
	}
}

func (s *share) leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.left = true
	s.giveBack()
}

// Transport gives the caller's share back while base answers: a store's
// answer is I/O, not CPU. Requests whose context carries no share (the
// API's own) pass through as they are.
func Transport(base http.RoundTripper) http.RoundTripper {
	return transport{base}
}

type transport struct{ base http.RoundTripper }

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	s, ok := req.Context().Value(shareKey{}).(*share)
	if !ok {
		return t.base.RoundTrip(req)
	}
	s.pause()
	defer s.resume(req.Context())
	return t.base.RoundTrip(req)
}

// Size is the number of shares.
func (l *Limit) Size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.free
	for _, g := range l.held {
		if g.s.counted && g.s.epoch == g.epoch {
			n++
		}
	}
	return n
}

// Holds reports whether ctx carries a share that counts now: it is
// Enter's and neither given back nor past its lease.
func Holds(ctx context.Context) bool {
	s, ok := ctx.Value(shareKey{}).(*share)
	if !ok {
		return false
	}
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	return s.counted
}
