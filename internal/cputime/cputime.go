//go:build unix

// Package cputime reads the CPU time this process has spent. Benchmarks of
// a client against a local server in another process (dynalite) or sharing
// this one (gofakes3) report it per operation, so the client's own cost
// shows apart from the wall clock, which the server and other load move.
package cputime

import (
	"syscall"
	"time"
)

// Self is the user and system CPU time of this process so far. getrusage
// fails only for a bad pointer or "who", neither possible here, so there
// is no error to return.
func Self() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
