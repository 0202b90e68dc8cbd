// Package localaws holds what the local AWS services (sqs, sns) share.
package localaws

import "time"

// Clock is a local service's time source, so that tests move time instead
// of sleeping.
type Clock interface {
	Now() time.Time
}

// WallClock is the Clock of the real time.
type WallClock struct{}

// Now implements Clock with time.Now.
func (WallClock) Now() time.Time { return time.Now() }
