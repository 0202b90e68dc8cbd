package sfn

import "sync/atomic"

// Goroutines that run a state loop (an execution's start, a task's result)
// grow their stacks to the same depth every time; starting a fresh
// goroutine for each paid for that growth (stack copies were about a tenth
// of a transition's CPU). Finished goroutines instead park, up to
// maxParkedWorkers, and take the next piece of work with their stack grown.

// maxParkedWorkers bounds the idle goroutines kept (process-wide).
const maxParkedWorkers = 64

var (
	// workQueue is unbuffered: a send succeeds only when a worker waits.
	workQueue     = make(chan func())
	parkedWorkers atomic.Int32
)

// goWork runs fn on its own goroutine, as the go statement does, reusing
// a parked one when there is one.
func goWork(fn func()) {
	select {
	case workQueue <- fn:
	default:
		go worker(fn)
	}
}

func worker(fn func()) {
	for {
		fn()
		if parkedWorkers.Add(1) > maxParkedWorkers {
			parkedWorkers.Add(-1)
			return
		}
		fn = <-workQueue
		parkedWorkers.Add(-1)
	}
}
