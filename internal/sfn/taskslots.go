package sfn

import (
	"container/heap"
	"context"
	"fmt"
	"sync"
)

// Config.TaskConcurrency bounds the Lambda function invocations of tasks
// running at once. A task beyond the bound waits in a queue, not on a
// goroutine: its continuation is kept until a slot frees, and the slot
// passes straight from the task that ends to the one that waited longest
// in the oldest execution, so that running executions finish before newly
// started ones begin. Blocking each waiting task's frame goroutine instead
// held thousands of goroutines, with their grown stacks, under load.

// taskSlots is the bound; nil means none.
type taskSlots struct {
	mu    sync.Mutex
	free  int       // slots free; > 0 only while waits is empty
	waits slotQueue // tasks waiting for a slot, first to run on top
	seq   uint64    // arrival order of waits
}

// slotWait is one task waiting for a slot.
type slotWait struct {
	order uint64 // its execution's start order: older first
	seq   uint64 // arrival order among equal orders
	index int    // in waits; -1 when not queued
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
func (s *taskSlots) tryTake() bool {
	if s == nil {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.free > 0 {
		s.free--
		return true
	}
	return false
}

// take takes a free slot (true), or queues w (false), whose run is called
// once it has one, unless drop takes it out first.
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
	s.seq++
	w.seq = s.seq
	heap.Push(&s.waits, w)
	return false
}

// drop takes w out of the queue: true if it was waiting, and so never
// runs nor holds a slot; false if it got one (its run is called, or was).
func (s *taskSlots) drop(w *slotWait) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.index < 0 {
		return false
	}
	heap.Remove(&s.waits, w.index)
	return true
}

// release gives a slot back: to the first waiting task, whose run it calls,
// or to the free ones.
func (s *taskSlots) release() {
	if s == nil {
		return
	}
	s.mu.Lock()
	if s.waits.Len() == 0 {
		s.free++
		s.mu.Unlock()
		return
	}
	w := heap.Pop(&s.waits).(*slotWait)
	s.mu.Unlock()
	w.run()
}

// wait blocks until it has a slot, for callers that hold a goroutine
// anyway (TestState, an asynchronous invocation's): nil, or ctx's error
// when it ends first.
func (s *taskSlots) wait(ctx context.Context, order uint64) error {
	if s.tryTake() {
		return nil
	}
	got := make(chan struct{})
	w := &slotWait{order: order, run: func() { close(got) }}
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

// slotQueue is a heap of waits, oldest execution first, then first come.
type slotQueue []*slotWait

func (q slotQueue) Len() int { return len(q) }

func (q slotQueue) Less(i, j int) bool {
	if q[i].order != q[j].order {
		return q[i].order < q[j].order
	}
	return q[i].seq < q[j].seq
}

func (q slotQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}

func (q *slotQueue) Push(x any) {
	w := x.(*slotWait)
	w.index = len(*q)
	*q = append(*q, w)
}

func (q *slotQueue) Pop() any {
	old := *q
	n := len(old)
	w := old[n-1]
	old[n-1] = nil
	w.index = -1
	*q = old[:n-1]
	return w
}
