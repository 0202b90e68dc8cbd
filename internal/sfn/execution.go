package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/asyncjobs/stepjobs/internal/asl"
	"github.com/asyncjobs/stepjobs/internal/sfn/mockconfig"
)

// execution is one run of a state machine: its identity, status and history.
// Everything mutable is guarded by mu, which is per execution: executions
// never contend with each other.
type execution struct {
	e        *Engine
	sm       *stateMachine
	arn      string
	name     string
	input    string
	inputVal any
	start    time.Time
	ctx      context.Context
	cancel   context.CancelFunc
	done     chan struct{}
	// arnValue and nameValue are arn and name as values, made once for
	// $$.Execution (see execObject).
	arnValue, nameValue any
	// seq numbers the execution in the journal (0 in memory).
	seq uint64
	// mock is the test case the execution runs (stateMachineArn#TestCase),
	// nil for a real run; mockN counts each mocked state's invocations,
	// across retries, revisits and Map iterations, as Step Functions Local
	// does.
	mock   *mockconfig.TestCase
	mockMu sync.Mutex
	mockN  map[string]int

	mu      sync.Mutex
	status  string
	stop    time.Time
	output  *string
	errName *string
	cause   *string
	events  []entry // the history (see entry)
	// stored > 0: the execution ended before the engine opened its data
	// file, and its history (that many events) stays there; events is nil.
	stored int64
	timers map[*execTimer]struct{}
}

// maxEventsHint caps the history capacity preallocated for a new execution.
const maxEventsHint = 64

// execTimer is a pending clock timer owned by an execution, stopped when the
// execution closes.
type execTimer struct{ t Timer }

func (e *Engine) newExecution(sm *stateMachine, name, input string, val any) *execution {
	now := e.cfg.Clock.Now()
	ctx, cancel := context.WithCancel(context.Background())
	arn := e.executionARN(sm.name, name)
	return &execution{
		e: e, sm: sm, arn: arn, name: name, input: input, inputVal: val, start: now,
		ctx: ctx, cancel: cancel, done: make(chan struct{}), status: StatusRunning,
		events:   make([]entry, 0, max(int(sm.eventsHint.Load()), 8)),
		arnValue: arn, nameValue: name,
	}
}

// isoTime formats a time as AWS writes context-object times.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// begin records ExecutionStarted. Nothing else happens yet: with a data
// file the start must be committed before anything of the execution is
// seen or done (see run).
func (ex *execution) begin() {
	ex.recordEntry(nil, entry{typ: "ExecutionStarted", kind: kindExecStarted, name: ex.sm.roleARN, payload: ex.input}, true, "", false)
}

// run announces the started execution, arms its timeout and runs the first
// state on a goroutine. With a data file it is called only once
// ExecutionStarted is on disk: a task that ran before could leave effects
// (a job record RUNNING) of an execution a kill -9 takes back.
func (ex *execution) run() {
	ex.mu.Lock()
	running := ex.status == StatusRunning // stopped while its commit waited
	ex.mu.Unlock()
	if !running {
		return
	}
	ex.e.notify(StatusChange{ExecutionARN: ex.arn, StateMachineARN: ex.sm.arn, Name: ex.name, Status: StatusRunning, Input: ex.input, Time: ex.start})
	// From the start, not from now: the commit may have taken a while.
	ex.armTimeout(time.Duration(ex.sm.def.TimeoutSeconds)*time.Second - ex.e.cfg.Clock.Now().Sub(ex.start))
	root := ex.rootFrame()
	ex.e.work()
	goWork(func() {
		defer ex.e.workDone()
		defer ex.recoverPanic()
		root.runOwned(ex.sm.def.StartAt, ex.inputVal)
	})
}

// runOnceDurable runs the execution once its start is committed, when
// StartExecution could not wait for that (the commit failed and the
// journal retries it). If the journal closes first, the execution never
// runs: a restart does not know it either.
func (ex *execution) runOnceDurable(j journal) {
	for {
		err := j.Sync()
		if err == nil {
			ex.run()
			return
		}
		if errors.Is(err, errJournalClosed) {
			ex.e.cfg.Logger.Error("journal: closed before the start was committed; the execution did not run",
				"executionArn", ex.arn, "err", err)
			return
		}
	}
}

// armTimeout times the execution out after d, if the machine has a
// TimeoutSeconds.
func (ex *execution) armTimeout(d time.Duration) {
	if ex.sm.def.TimeoutSeconds <= 0 {
		return
	}
	ex.after(max(d, 0), func() {
		ex.close(StatusTimedOut, "ExecutionTimedOut", nil, strp(asl.ErrTimeout), nil, 0)
	})
}

// rootFrame returns the frame of the execution's top-level states.
func (ex *execution) rootFrame() *frame {
	root := &frame{ex: ex, def: ex.sm.def, ctx: ex.ctx, vars: map[string]any{}, text: ex.input}
	root.onDone = func(out any, err *asl.Error) {
		text := root.text
		root.text = ""
		if err != nil {
			ex.close(StatusFailed, "ExecutionFailed", nil, nonEmpty(err.Name), nonEmpty(err.Cause), root.lastID())
			return
		}
		if text == "" {
			text = marshalValue(out)
		}
		ex.close(StatusSucceeded, "ExecutionSucceeded", &text, nil, nil, root.lastID())
	}
	return root
}

// recoverPanic turns a panic in the interpreter into a failed execution
// instead of a crashed process. Deferred on every goroutine entry point.
func (ex *execution) recoverPanic() {
	if r := recover(); r != nil {
		ex.e.cfg.Logger.Error("execution panicked", "executionArn", ex.arn, "panic", r, "stack", string(debug.Stack()))
		ex.mu.Lock()
		prev := int64(len(ex.events))
		ex.mu.Unlock()
		ex.close(StatusFailed, "ExecutionFailed", nil, strp(asl.ErrRuntime), strp(fmt.Sprintf("Internal error in the local engine: %v", r)), prev)
	}
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// after runs f after d on the engine clock unless the execution closes first.
func (ex *execution) after(d time.Duration, f func()) *execTimer {
	et := &execTimer{}
	ex.mu.Lock()
	if ex.status != StatusRunning {
		ex.mu.Unlock()
		return et
	}
	ex.addTimer(et)
	ex.mu.Unlock()
	// The timer is created outside ex.mu: a fake clock may fire at once.
	t := ex.e.cfg.Clock.AfterFunc(d, func() {
		ex.mu.Lock()
		_, pending := ex.timers[et]
		delete(ex.timers, et)
		running := ex.status == StatusRunning
		ex.mu.Unlock()
		if !pending || !running {
			return
		}
		ex.e.work()
		defer ex.e.workDone()
		defer ex.recoverPanic()
		f()
	})
	ex.mu.Lock()
	et.t = t
	ex.mu.Unlock()
	return et
}

// addTimer registers et, to be stopped when the execution closes; ex.mu
// is held and the execution runs.
func (ex *execution) addTimer(et *execTimer) {
	if ex.timers == nil {
		ex.timers = map[*execTimer]struct{}{}
	}
	ex.timers[et] = struct{}{}
}

// cancelTimer stops a timer created by after.
func (ex *execution) cancelTimer(et *execTimer) {
	ex.mu.Lock()
	delete(ex.timers, et)
	t := et.t
	ex.mu.Unlock()
	if t != nil {
		t.Stop()
	}
}

// record appends ev to the history on behalf of frame f (nil for
// execution-level events) and returns its id; false when the execution (or
// the frame) no longer runs. At the history cap it fails the execution.
func (ex *execution) record(f *frame, ev Event) (int64, bool) {
	return ex.recordEntry(f, entry{typ: ev.Type, kind: kindFull, full: &ev}, true, "", false)
}

// recordSide records an event that does not move the frame's
// previousEventId chain on (AWS numbers MapStateSucceeded, for one, so).
func (ex *execution) recordSide(f *frame, ev Event) (int64, bool) {
	return ex.recordEntry(f, entry{typ: ev.Type, kind: kindFull, full: &ev}, false, "", false)
}

// recordEntry records en (its ts and prev are set here); advance moves
// the frame's previousEventId chain on; next, for a StateExited (exit),
// is the state the frame moves on to ("" when it ends), kept in the
// journal so a restart can go on.
func (ex *execution) recordEntry(f *frame, en entry, advance bool, next string, exit bool) (int64, bool) {
	// en.ts may be set already, to a time the caller read anyway.
	if f != nil && f.ctx.Err() != nil {
		return 0, false
	}
	if f != nil && f.silent {
		return 0, true
	}
	if en.ts == 0 {
		en.ts = ex.e.cfg.Clock.Now().UnixNano()
	}
	ex.mu.Lock()
	if ex.status != StatusRunning {
		ex.mu.Unlock()
		return 0, false
	}
	if len(ex.events) >= maxHistoryEvents-1 {
		prev := int64(len(ex.events))
		ex.mu.Unlock()
		ex.close(StatusFailed, "ExecutionFailed", nil, strp(asl.ErrRuntime),
			strp("The execution reached the maximum number of history events (25000)."), prev)
		return 0, false
	}
	id := int64(len(ex.events)) + 1
	if f != nil {
		en.prev = f.prev
		if advance {
			f.prev = id
		}
	}
	ex.events = append(ex.events, en)
	if j := ex.e.journal; j != nil {
		// Under ex.mu, so the journal gets an execution's events in order.
		var np *string
		if exit {
			n := next // a copy: only the journal's copy goes to the heap
			np = &n
		}
		j.Event(ex.seq, id, eventRecord{en: en, id: id, next: np})
	}
	ex.mu.Unlock()
	return id, true
}

// close ends a running execution with a terminal event; it reports false
// when the execution had already closed.
func (ex *execution) close(status string, evType EventType, output, errName, cause *string, prev int64) bool {
	now := ex.e.cfg.Clock.Now()
	ex.mu.Lock()
	if ex.status != StatusRunning {
		ex.mu.Unlock()
		return false
	}
	id := int64(len(ex.events)) + 1
	en := entry{ts: now.UnixNano(), prev: prev, typ: evType}
	switch status {
	case StatusSucceeded:
		en.kind = kindExecSucceededNil
		if output != nil {
			en.kind, en.payload = kindExecSucceeded, *output
		}
	default:
		fd := &FailureDetails{Error: errName, Cause: cause}
		ev := Event{Type: evType}
		switch status {
		case StatusFailed:
			ev.ExecutionFailedEventDetails = fd
		case StatusAborted:
			ev.ExecutionAbortedEventDetails = fd
		case StatusTimedOut:
			ev.ExecutionTimedOutEventDetails = fd
		}
		en.kind, en.full = kindFull, &ev
	}
	ex.events = append(ex.events, en)
	if n := int32(min(len(ex.events), maxEventsHint)); n > ex.sm.eventsHint.Load() {
		ex.sm.eventsHint.Store(n)
	}
	ex.status, ex.stop, ex.output, ex.errName, ex.cause = status, now, output, errName, cause
	timers := ex.timers
	ex.timers = nil
	j := ex.e.journal
	if j != nil {
		j.Event(ex.seq, id, eventRecord{en: en, id: id})
	}
	ex.mu.Unlock()
	if j != nil {
		// Nobody hears of a terminal status that a crash could take back.
		if err := j.Sync(); err != nil {
			ex.e.cfg.Logger.Error("journal: commit failed", "executionArn", ex.arn, "err", err)
		}
	}
	for et := range timers {
		if et.t != nil {
			et.t.Stop()
		}
	}
	ex.cancel()
	if ex.e.cfg.Logger.Enabled(context.Background(), slog.LevelDebug) {
		// Checked first: the arguments alone cost allocations.
		ex.e.cfg.Logger.Debug("execution closed", "executionArn", ex.arn, "status", status, "events", id)
	}
	// Subscribers hear of the change before waiters are released, so a
	// caller of Wait sees every notification already delivered.
	ex.e.notify(StatusChange{ExecutionARN: ex.arn, StateMachineARN: ex.sm.arn, Name: ex.name, Status: status,
		Input: ex.input, Output: output, Error: errName, Cause: cause, Time: now})
	ex.e.store.Closed(ex)
	close(ex.done)
	return true
}

// describe snapshots the execution's fields.
func (ex *execution) describe() ExecutionInfo {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	d := ExecutionInfo{
		ExecutionARN: ex.arn, StateMachineARN: ex.sm.arn, Name: ex.name, Status: ex.status,
		StartDate: ex.start, StopDate: ex.stop, Input: ex.input, Output: ex.output,
		Error: ex.errName, Cause: ex.cause, RedriveStatus: "NOT_REDRIVABLE",
	}
	switch ex.status {
	case StatusRunning:
		d.RedriveReason = "Execution is RUNNING and cannot be redriven"
	case StatusSucceeded:
		d.RedriveReason = "Execution is SUCCEEDED and cannot be redriven"
	default:
		// AWS reports failed, timed-out and aborted executions as
		// redrivable; this engine has no RedriveExecution yet.
		d.RedriveStatus = "REDRIVABLE"
	}
	return d
}

// marshalValue encodes a value as compact JSON (see appendJSON).
func marshalValue(v any) string {
	bp := marshalBufs.Get().(*[]byte)
	b := appendJSON((*bp)[:0], v)
	s := string(b)
	if cap(b) <= 64<<10 {
		// Big buffers are left to the GC so one large payload does not pin memory.
		*bp = b
		marshalBufs.Put(bp)
	}
	return s
}

// marshalBufs recycles marshalValue's scratch buffers: only the final
// string needs an allocation.
var marshalBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// jsonNumber formats an int as a JSON number value.
func jsonNumber(i int) json.Number { return json.Number(strconv.Itoa(i)) }
