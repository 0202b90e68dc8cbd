// Package localaws holds what the local AWS services (sqs, sns) share.
package localaws

import (
	"sync"
	"time"
)

// Clock is a local service's time source, so that tests move time instead
// of sleeping.
type Clock interface {
	Now() time.Time
}

// WallClock is the Clock of the real time.
type WallClock struct{}

// Now implements Clock with time.Now.
func (WallClock) Now() time.Time { return time.Now() }

// FakeClock is a Clock that tests move by hand. It is safe for concurrent
// use.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a FakeClock standing at now.
func NewFakeClock(now time.Time) *FakeClock { return &FakeClock{now: now} }

// Now implements Clock.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock d forward.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
