// Package localaws holds what the local AWS services (sqs, sns, the Lambda
// runtime pool) share.
package localaws

import (
	"log/slog"
	"strings"
	"sync"
	"time"
)

// The region and account a local service plays when it is given none: the
// local runtime's.
const (
	DefaultRegion    = "us-east-1"
	DefaultAccountID = "000000000000"
)

// Endpoint fills in what a local service's configuration left empty: the
// default region and account, and http://localhost as the base URL, which
// loses its trailing slashes (the service appends paths to it).
func Endpoint(region, accountID, baseURL string) (string, string, string) {
	if region == "" {
		region = DefaultRegion
	}
	if accountID == "" {
		accountID = DefaultAccountID
	}
	if baseURL == "" {
		baseURL = "http://localhost"
	}
	return region, accountID, strings.TrimRight(baseURL, "/")
}

// Defaults is c, or the wall clock when c is nil, and log, or a logger that
// discards when log is nil.
func Defaults(c Clock, log *slog.Logger) (Clock, *slog.Logger) {
	if c == nil {
		c = WallClock{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return c, log
}

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
