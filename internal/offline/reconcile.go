package offline

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// reconciler makes the job table agree with every execution that ended
// without recording its own end: an execution that FAILED because even
// RecordFailure failed (a store down for longer than its retries), one that
// TIMED_OUT, or one that was ABORTED. For each FAILED, TIMED_OUT or ABORTED
// execution it calls the status-update handler (idempotent: a terminal
// status is never overwritten, a repeated update succeeds) with the
// execution's status, error and cause, retrying with backoff until the
// store takes it or the runtime stops. SUCCEEDED executions need nothing:
// their output is RecordSuccess's answer, so the record was written.
//
// It is the local counterpart of an EventBridge rule on "Step Functions
// Execution Status Change" (FAILED, TIMED_OUT, ABORTED) targeting the
// status-update function, which EventBridge retries for up to 24 hours.
// It calls the handler without task faults (EventBridge is not the state
// machine), through the same store clients (so store faults apply).
type reconciler struct {
	inv sfn.Invoker
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	queue   []sfn.StatusChange
	busy    int
	idle    chan struct{} // closed when queue and busy are both empty
	wake    chan struct{}
	wg      sync.WaitGroup
	stopped bool
	// failed counts executions it gave up on (a conflicting terminal status).
	failed int
}

const reconcileWorkers = 4

func newReconciler(inv sfn.Invoker, log *slog.Logger) *reconciler {
	ctx, cancel := context.WithCancel(context.Background())
	r := &reconciler{inv: inv, log: log, ctx: ctx, cancel: cancel, wake: make(chan struct{}, reconcileWorkers), idle: make(chan struct{})}
	close(r.idle)
	for range reconcileWorkers {
		r.wg.Go(r.work)
	}
	return r
}

// needs reports whether an execution's end is one the state machine may
// not have recorded.
func needsReconcile(status string) bool {
	return status == sfn.StatusFailed || status == sfn.StatusTimedOut || status == sfn.StatusAborted
}

// observe is an engine subscriber: it queues the executions to reconcile.
func (r *reconciler) observe(c sfn.StatusChange) {
	if needsReconcile(c.Status) {
		r.add(c)
	}
}

func (r *reconciler) add(c sfn.StatusChange) {
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return
	}
	if len(r.queue) == 0 && r.busy == 0 {
		r.idle = make(chan struct{})
	}
	r.queue = append(r.queue, c)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *reconciler) work() {
	for {
		r.mu.Lock()
		for len(r.queue) == 0 {
			r.mu.Unlock()
			select {
			case <-r.wake:
			case <-r.ctx.Done():
				return
			}
			r.mu.Lock()
		}
		c := r.queue[0]
		r.queue[0] = sfn.StatusChange{}
		r.queue = r.queue[1:]
		r.busy++
		r.mu.Unlock()

		r.reconcile(c)

		r.mu.Lock()
		r.busy--
		if len(r.queue) == 0 && r.busy == 0 {
			close(r.idle)
		}
		r.mu.Unlock()
	}
}

// reconcile records one execution's end, retrying until it is recorded,
// refused for good, or the runtime stops.
func (r *reconciler) reconcile(c sfn.StatusChange) {
	in := job.StatusInput{JobID: c.Name, ExecutionARN: c.ExecutionARN, Status: job.Status(c.Status)}
	if c.Error != nil {
		in.Error = *c.Error
	}
	if c.Cause != nil {
		in.Cause = *c.Cause
	}
	payload, err := json.Marshal(in)
	if err != nil {
		r.log.Error("reconcile: encode", "executionArn", c.ExecutionARN, "err", err)
		return
	}
	delay := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(r.ctx, 30*time.Second) // the function's timeout
		_, err := r.inv.Invoke(ctx, payload)
		cancel()
		if err == nil {
			if attempt > 1 {
				r.log.Info("reconciled the job record", "executionArn", c.ExecutionARN, "status", c.Status, "attempts", attempt)
			}
			return
		}
		var conflict *job.JobConflict
		var invalid *job.InvalidJobInput
		if errors.As(err, &conflict) || errors.As(err, &invalid) {
			r.mu.Lock()
			r.failed++
			r.mu.Unlock()
			r.log.Error("reconcile: the job record disagrees with the execution and cannot be changed",
				"executionArn", c.ExecutionARN, "status", c.Status, "err", err)
			return
		}
		r.log.Warn("reconcile: retrying", "executionArn", c.ExecutionARN, "status", c.Status, "attempt", attempt, "err", err)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.ctx.Done():
			t.Stop()
			return
		}
		delay = min(delay*2, 5*time.Second)
	}
}

// wait blocks until nothing is queued or in progress, or ctx ends.
func (r *reconciler) wait(ctx context.Context) error {
	for {
		r.mu.Lock()
		idle := r.idle
		done := len(r.queue) == 0 && r.busy == 0
		r.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// stop lets the queue drain within ctx, then stops the workers; what is
// left is reconciled at the next start with the same data directory.
func (r *reconciler) stop(ctx context.Context) {
	_ = r.wait(ctx)
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
}
