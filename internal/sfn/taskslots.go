package sfn

import (
	"context"
	"fmt"
	"sync"
)

// Config.TaskConcurrency bounds the Lambda function invocations of tasks
// running at once. A task beyond the bound waits in a queue, not on a
// goroutine: its continuation is kept until a slot frees, and the slot
// passes straight from the task that ends to the one that waited longest.
// Blocking each waiting task's frame goroutine instead held thousands of
// goroutines, with their grown stacks, under load.
//
// First come, first served, as the channel that bounded the tasks before:
// serving the oldest execution's tasks first (so that running jobs finish
// before new ones begin) made the newest executions' first tasks wait
// behind all the older executions' remaining work, and under make load's
// backlog that wait passed their TimeoutSeconds (which runs while a task
// waits, as for a throttled invocation): States.Timeout where AWS and the
// first-come queue succeeded.

// taskSlots is the bound; nil means none.
type taskSlots struct {
	mu   sync.Mutex
	free int // slots free; > 0 only while nobody waits
	// head and tail are the tasks waiting for a slot, in arrival order.
	head, tail *slotWait
}

// slotWait is one task waiting for a slot.
type slotWait struct {
	prev, next *slotWait
	queued     bool
	// run is called, holding the slot, when the wait gets it: on the
	// goroutine releasing the slot, so it must not block.
	run func()
}

// newTaskSlots returns a bound of n invocations at once; nil for n <= 0.
func newTaskSlots(n int) *taskSlots {
	if n <= 0 {
		return nil
	}
	return &taskSlots{free: n}
}

// tryTake takes a free slot, if there is one and nobody waits.
func (s *taskSlots) tryTake() bool { return s.take(nil) }

// take takes a free slot (true), or queues w (false), whose run is called
// once it has one, unless drop takes it out first. A nil w is not queued.
func (s *taskSlots) take(w *slotWait) bool {
	if s == nil {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.free > 0 {
		s.free--
		return true
	}
	if w == nil {
		return false
	}
	w.queued, w.prev = true, s.tail
	if s.tail != nil {
		s.tail.next = w
	} else {
		s.head = w
	}
	s.tail = w
	return false
}

// drop takes w out of the queue: true if it was waiting, and so never
// runs nor holds a slot; false if it got one (its run is called, or was).
func (s *taskSlots) drop(w *slotWait) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !w.queued {
		return false
	}
	s.unlink(w)
	return true
}

// release gives a slot back: to the first waiting task, whose run it calls,
// or to the free ones.
func (s *taskSlots) release() {
	if s == nil {
		return
	}
	s.mu.Lock()
	w := s.head
	if w == nil {
		s.free++
		s.mu.Unlock()
		return
	}
	s.unlink(w)
	s.mu.Unlock()
	w.run()
}

// wait blocks until it has a slot, for a caller that holds a goroutine
// anyway (TestState): nil, or ctx's error when it ends first.
func (s *taskSlots) wait(ctx context.Context) error {
	if s.tryTake() {
		return nil
	}
	got := make(chan struct{})
	w := &slotWait{run: func() { close(got) }}
	if s.take(w) {
		return nil
	}
	select {
	case <-got:
		return nil
	case <-ctx.Done():
		if !s.drop(w) {
			// Granted meanwhile: give it on.
			<-got
			s.release()
		}
		return fmt.Errorf("wait for a task slot: %w", ctx.Err())
	}
}

// unlink takes w out of the queue; s.mu is held.
func (s *taskSlots) unlink(w *slotWait) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		s.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		s.tail = w.prev
	}
	w.prev, w.next, w.queued = nil, nil, false
}

// waiting counts the tasks waiting for a slot (for tests).
func (s *taskSlots) waiting() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for w := s.head; w != nil; w = w.next {
		n++
	}
	return n
}
