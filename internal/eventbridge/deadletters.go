package eventbridge

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"golang.org/x/time/rate"

	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// deadLetters is the local stand-in for the on-failure destination of the
// rules' targets (serverless.yml: the status-update dead-letter queue). On
// AWS an operator redrives that queue when its alarm fires (README,
// "Durability and faults"); here each dead letter is redriven as that
// operator would: the same payload, to the same function, again and again
// with a growing pause, until it is recorded or the runtime stops. A
// redrive the function refuses for good (the record belongs to another
// execution, or already holds another final status) is parked: it stays in
// the queue for a human to read, counted by parked, and is not sent again.
//
// A store that stays down keeps letters in the queue for as long as it is
// down, so both the redrives and their log are bounded: a letter's pause
// doubles up to max, the whole queue redrives no faster than limit (a
// store that comes back is not hit by every letter at once), and a
// letter's failed redrives are logged at the 1st, 2nd, 4th, 8th... and
// whenever the error changes, not each time.
type deadLetters struct {
	ctx      context.Context
	clock    sfn.Clock
	invoke   func(delivery) error
	complete func(delivery)
	log      *slog.Logger
	// first and max bound the pause between a letter's redrives.
	first, max time.Duration
	// limit bounds the redrives of the whole queue.
	limit *rate.Limiter

	wg     sync.WaitGroup
	mu     sync.Mutex
	queued int
	parked []deadLetter
}

// deadLetter is a delivery that failed every attempt, with its last error.
type deadLetter struct {
	delivery
	err error
}

func newDeadLetters(ctx context.Context, clock sfn.Clock, invoke func(delivery) error, complete func(delivery), log *slog.Logger) *deadLetters {
	return &deadLetters{ctx: ctx, clock: clock, invoke: invoke, complete: complete, log: log, first: 250 * time.Millisecond, max: 30 * time.Second,
		limit: rate.NewLimiter(redrivesPerSecond, redrivesPerSecond)}
}

// add queues d and starts redriving it.
func (q *deadLetters) add(d delivery, err error) {
	q.mu.Lock()
	q.queued++
	q.mu.Unlock()
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		q.redrive(deadLetter{delivery: d, err: err})
	}()
}

// redrivesPerSecond bounds the redrives of the whole dead-letter queue.
const redrivesPerSecond = 20

func (q *deadLetters) redrive(l deadLetter) {
	delay := q.first
	lastErr := ""
	for redrives := 1; ; redrives++ {
		if !sleep(q.ctx, q.clock, delay) || q.limit.Wait(q.ctx) != nil {
			return // stopped: a restart with the same data delivers it again
		}
		l.err = q.invoke(l.delivery)
		switch {
		case l.err == nil:
			q.log.Info("eventbridge: dead letter redriven", l.logAttrs("redrives", redrives)...)
			q.done(l, false)
			return
		case refusedForGood(l.err):
			q.log.Error("eventbridge: dead letter refused for good, left in the queue", l.logAttrs("err", l.err)...)
			q.done(l, true)
			return
		case q.ctx.Err() != nil:
			return
		}
		delay = min(delay*2, q.max)
		if msg := l.err.Error(); redrives&(redrives-1) == 0 || msg != lastErr {
			lastErr = msg
			q.log.Warn("eventbridge: dead letter redrive failed", l.logAttrs("redrives", redrives, "next", delay, "err", l.err)...)
		}
	}
}

func (q *deadLetters) done(l deadLetter, park bool) {
	q.mu.Lock()
	q.queued--
	if park {
		q.parked = append(q.parked, l)
	}
	q.mu.Unlock()
	q.complete(l.delivery)
}

// wait blocks until every redrive has ended (after the context ends).
func (q *deadLetters) wait() { q.wg.Wait() }

// parkedCount is how many dead letters were refused for good.
func (q *deadLetters) parkedCount() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.parked)
}

// refusedForGood reports whether a function refused a payload in a way no
// redrive changes: status-update's conflict (another execution's record, or
// another final status already written) and invalid input. The error is
// the handler's own (in-process) or its Lambda error type (a process).
func refusedForGood(err error) bool {
	name := lambdaErrorType(err)
	return name == permanentConflict || name == permanentInvalid
}

var (
	permanentConflict = reflect.TypeFor[job.JobConflict]().Name()
	permanentInvalid  = reflect.TypeFor[job.InvalidJobInput]().Name()
)

// lambdaErrorType names err as Lambda does: an invoke error's type, else
// the Go type of the first error in the chain that is one of the handler's
// (errors.As on the known types), else the outer type.
func lambdaErrorType(err error) string {
	var ire messages.InvokeResponse_Error
	if errors.As(err, &ire) {
		return ire.Type
	}
	var pire *messages.InvokeResponse_Error
	if errors.As(err, &pire) && pire != nil {
		return pire.Type
	}
	var conflict *job.JobConflict
	if errors.As(err, &conflict) {
		return permanentConflict
	}
	var invalid *job.InvalidJobInput
	if errors.As(err, &invalid) {
		return permanentInvalid
	}
	t := reflect.TypeOf(err)
	if t == nil {
		return ""
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}
