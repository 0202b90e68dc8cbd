package sfn

import (
	"slices"
	"sort"
	"sync"
	"time"
)

// Clock is the engine's source of time. Waits, retry backoffs and timeouts
// are timers on it, never sleeping goroutines, so tests can use FakeClock.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f once d has elapsed: RealClock on a goroutine of
	// its own, FakeClock on the goroutine that moves it forward.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop prevents the call; it reports whether the call was still pending.
	Stop() bool
	// Reset schedules the call d from now, whether or not it was still
	// pending or already made (as time.Timer.Reset does for AfterFunc);
	// it reports whether it was pending.
	Reset(d time.Duration) bool
}

// RealClock is the wall clock.
type RealClock struct{}

// Now implements Clock.
func (RealClock) Now() time.Time { return time.Now() }

// AfterFunc implements Clock with time.AfterFunc.
func (RealClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// FakeClock is a manual clock for tests: time moves only when the test calls
// Advance or FireNext, and due timers then run on their own goroutines.
type FakeClock struct {
	mu     sync.Mutex
	now    time.Time
	seq    int
	timers []*fakeTimer
}

type fakeTimer struct {
	c   *FakeClock
	due time.Time
	seq int
	f   func()
}

// NewFakeClock returns a FakeClock reading start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start} }

// Now implements Clock.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc implements Clock.
func (c *FakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &fakeTimer{c: c, due: c.now.Add(d), seq: c.seq, f: f}
	c.insert(t)
	return t
}

// insert adds t to the pending list, kept sorted by due time, ties in
// scheduling order; c.mu is held.
func (c *FakeClock) insert(t *fakeTimer) {
	i := sort.Search(len(c.timers), func(i int) bool { return c.timers[i].due.After(t.due) })
	c.timers = slices.Insert(c.timers, i, t)
}

// Stop implements Timer.
func (t *fakeTimer) Stop() bool {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.remove(t)
}

// Reset implements Timer: the timer is due d from the clock's now, after
// the timers already due then.
func (t *fakeTimer) Reset(d time.Duration) bool {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	pending := c.remove(t)
	c.seq++
	t.due, t.seq = c.now.Add(d), c.seq
	c.insert(t)
	return pending
}

// remove takes t off the pending list; c.mu is held.
func (c *FakeClock) remove(t *fakeTimer) bool {
	for i, x := range c.timers {
		if x == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			return true
		}
	}
	return false
}

// Pending returns the number of timers not yet fired.
func (c *FakeClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// FireNext moves the clock to the earliest pending timer and fires it (and any
// other timer due at that instant). It reports whether a timer was pending.
// The callbacks run synchronously, on the caller's goroutine, in due order.
func (c *FakeClock) FireNext() bool {
	c.mu.Lock()
	if len(c.timers) == 0 {
		c.mu.Unlock()
		return false
	}
	due := c.timers[0].due
	c.mu.Unlock()
	c.advanceTo(due)
	return true
}

// Advance moves the clock forward by d, firing every timer that falls due.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	to := c.now.Add(d)
	c.mu.Unlock()
	c.advanceTo(to)
}

func (c *FakeClock) advanceTo(to time.Time) {
	for {
		c.mu.Lock()
		if len(c.timers) == 0 || c.timers[0].due.After(to) {
			if to.After(c.now) {
				c.now = to
			}
			c.mu.Unlock()
			return
		}
		t := c.timers[0]
		c.timers = c.timers[1:]
		if t.due.After(c.now) {
			c.now = t.due
		}
		c.mu.Unlock()
		t.f()
	}
}
