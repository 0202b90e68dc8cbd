package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/asyncjobs/stepjobs/internal/asl"
	"github.com/asyncjobs/stepjobs/internal/jsonvalue"
	"github.com/asyncjobs/stepjobs/internal/sfn/mockconfig"
)

// frame runs one state list: the execution's top level, a Parallel branch or
// a Map iteration. It runs states in a flat loop on whichever goroutine
// drives it and gives that goroutine back whenever it waits (Wait timers,
// retry backoffs, tasks, branches), to be resumed by the event that ends
// the wait.
type frame struct {
	ex   *execution
	def  *asl.StateMachine
	ctx  context.Context // cancelled when the frame is aborted or the execution closes
	vars map[string]any  // variables in scope; a frame owns its map, nil until the first assignment (the root's)
	prev int64           // id of this frame's last event; guarded by ex.mu
	// silent frames record no events: the child executions of a distributed
	// Map, whose histories AWS keeps apart from the parent's.
	silent bool
	// text is the JSON text of the value the frame goes on with (the next
	// state's input, or its output for onDone), when known, so that it is
	// not encoded twice: a state's output is encoded for its exit event
	// already. At first it is the execution input as the caller wrote it,
	// which AWS shows in that form, not re-encoded. Whoever takes it
	// clears it.
	text string
	// onDone hears the frame's end (see done); nil for the root frame.
	onDone func(out any, err *asl.Error)
	// taskTimer times out the frame's task attempts (a frame runs one
	// state at a time): one clock timer per frame, reset for each attempt,
	// where a timer per attempt cost several allocations. task is the
	// attempt it is set for and taskDue when; guarded by ex.mu.
	taskTimer Timer
	task      *taskRun
	taskDue   time.Time
}

// armTaskTimeout times tr out after d unless it settles first.
func (f *frame) armTaskTimeout(tr *taskRun, d time.Duration) {
	ex := f.ex
	due := ex.e.cfg.Clock.Now().Add(d)
	ex.mu.Lock()
	if ex.status != StatusRunning {
		ex.mu.Unlock()
		return
	}
	f.task, f.taskDue = tr, due
	t := f.taskTimer
	ex.mu.Unlock()
	if t != nil {
		t.Reset(d)
		return
	}
	// The timer is created outside ex.mu: a fake clock may fire at once.
	t = ex.e.cfg.Clock.AfterFunc(d, f.taskTimedOut)
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if ex.status != StatusRunning {
		t.Stop()
		return
	}
	f.taskTimer = t
	// Registered once, so that closing the execution stops it.
	ex.addCloseTimer(t)
}

// disarmTaskTimeout stops the timer set for tr, if it still is.
func (f *frame) disarmTaskTimeout(tr *taskRun) {
	ex := f.ex
	ex.mu.Lock()
	if f.task != tr {
		ex.mu.Unlock()
		return
	}
	f.task = nil
	t := f.taskTimer
	ex.mu.Unlock()
	if t != nil {
		t.Stop()
	}
}

// taskTimedOut is the task timer's call: it times out the attempt it is set
// for, if that one is due (a call can come late, after the attempt settled
// and the timer was set again for the next).
func (f *frame) taskTimedOut() {
	ex := f.ex
	now := ex.e.cfg.Clock.Now()
	ex.mu.Lock()
	tr := f.task
	if tr == nil || now.Before(f.taskDue) || ex.status != StatusRunning || f.ctx.Err() != nil {
		ex.mu.Unlock()
		return
	}
	f.task = nil
	ex.mu.Unlock()
	ex.e.work()
	defer ex.e.workDone()
	defer ex.recoverPanic()
	f.run(tr.settle(func() (string, any) { return tr.r.taskTimedOut(tr.t, asl.ErrTimeout) }))
}

// done reports the frame's end to onDone, or for the root frame to its
// execution.
func (f *frame) done(out any, err *asl.Error) {
	if f.onDone == nil {
		f.ex.rootDone(f, out, err)
		return
	}
	f.onDone(out, err)
}

func (f *frame) lastID() int64 {
	f.ex.mu.Lock()
	defer f.ex.mu.Unlock()
	return f.prev
}

// child returns a frame for a branch or iteration, with a copy of the
// variables in scope (assignments inside do not leak out) and its own
// cancellation.
func (f *frame) child(def *asl.StateMachine, prev int64) (*frame, context.CancelFunc) {
	ctx, cancel := context.WithCancel(f.ctx)
	var vars map[string]any // nil while nothing is in scope (see frame.vars)
	if len(f.vars) > 0 {
		vars = make(map[string]any, len(f.vars))
		for k, v := range f.vars {
			vars[k] = v
		}
	}
	return &frame{ex: f.ex, def: def, ctx: ctx, vars: vars, prev: prev, silent: f.silent}, cancel
}

// run executes states from name until the frame ends or has to wait. It
// may run on a goroutine that is not the frame's own (an API call, a timer
// of the fake clock, a sibling branch starting it), so tasks are invoked on
// goroutines of their own.
func (f *frame) run(name string, input any) { f.loop(name, input, false) }

// runOwned is run on a goroutine the engine started for this frame alone:
// tasks are invoked on it, and the frame goes on from their results with
// no hand-off to another goroutine (one per task before, and the biggest
// cost of a run of quick tasks after the history itself).
func (f *frame) runOwned(name string, input any) { f.loop(name, input, true) }

func (f *frame) loop(name string, input any, owned bool) {
	for name != "" {
		st, ok := f.def.States[name]
		if !ok {
			f.done(nil, &asl.Error{Name: asl.ErrRuntime, Cause: fmt.Sprintf("state '%s' does not exist", name)})
			return
		}
		r := &stateRun{f: f, st: st, raw: input, rawText: f.text}
		f.text = ""
		if !r.enter() {
			return
		}
		name, input = r.execute(owned)
	}
}

// stateRun is one visit of a state: its input, entry event and retry counts.
type stateRun struct {
	f       *frame
	st      *asl.State
	raw     any // the state's raw input
	entered int64
	enterAt time.Time
	// enteredPrev is the previousEventId of the entered event, which an
	// EvaluationFailed event points back to (as AWS records it).
	enteredPrev int64
	retries     map[*asl.Retrier]int
	retryN      int
	// failEvent is recorded when the state fails for good (not retried):
	// MapStateFailed or ParallelStateFailed.
	failEvent EventType
	token     string   // $$.Task.Token of callback tasks
	async     bool     // lambda:invoke with InvocationType Event
	mocked    bool     // the attempt was answered by a test case's mock
	rawText   string   // the raw input as JSON text: its original text when known, set by enter
	envc      *asl.Env // the current attempt's env (see env)
	envv      asl.Env
	envRetry  int
}

// stateEvents are the <Type>StateEntered and <Type>StateExited event
// types of each state type, written out: building them, or a map lookup
// per event, showed in profiles.
var stateEvents = [...]struct {
	typ             asl.StateType
	entered, exited eventCode
}{
	{asl.TypeTask, evTaskStateEntered, evTaskStateExited},
	{asl.TypePass, evPassStateEntered, evPassStateExited},
	{asl.TypeChoice, evChoiceStateEntered, evChoiceStateExited},
	{asl.TypeWait, evWaitStateEntered, evWaitStateExited},
	{asl.TypeSucceed, evSucceedStateEntered, evSucceedStateExited},
	{asl.TypeFail, evFailStateEntered, evFailStateExited},
	{asl.TypeParallel, evParallelStateEntered, evParallelStateExited},
	{asl.TypeMap, evMapStateEntered, evMapStateExited},
}

// enteredType is the <Type>StateEntered event type of a state type.
func enteredType(t asl.StateType) EventType {
	for i := range stateEvents {
		if stateEvents[i].typ == t {
			return eventCodeTypes[stateEvents[i].entered]
		}
	}
	return EventType(string(t) + "StateEntered")
}

// stateEntry returns a state's entered (or exited) entry of the given
// kind, its type coded from stateEvents (see entry.withType for any other).
func stateEntry(t asl.StateType, exited bool, en entry) entry {
	for i := range stateEvents {
		if stateEvents[i].typ == t {
			en.typ = stateEvents[i].entered
			if exited {
				en.typ = stateEvents[i].exited
			}
			return en
		}
	}
	if exited {
		return en.withType(exitedType(t))
	}
	return en.withType(enteredType(t))
}

// exitedType is the <Type>StateExited event type of a state type.
func exitedType(t asl.StateType) EventType {
	for i := range stateEvents {
		if stateEvents[i].typ == t {
			return eventCodeTypes[stateEvents[i].exited]
		}
	}
	return EventType(string(t) + "StateExited")
}

func (r *stateRun) enter() bool {
	r.enterAt = r.f.ex.e.cfg.Clock.Now()
	r.rawText = r.inputText()
	r.enteredPrev = r.f.lastID()
	id, ok := r.f.ex.recordEntry(r.f, stateEntry(r.st.Type, false, entry{ts: r.enterAt.UnixNano(), kind: kindEntered, name: r.st.Name, payload: r.rawText}), true, "", false)
	r.entered = id
	return ok
}

func (r *stateRun) inputText() string {
	if r.rawText != "" {
		return r.rawText
	}
	return marshalValue(r.raw)
}

// env builds the context object ($$) and variable scope for this state.
func (r *stateRun) env() *asl.Env {
	// One env per attempt: only RetryCount changes between attempts, and
	// the variables map is shared (assignments land after the state exits).
	if r.envc != nil && r.envRetry == r.retryN {
		return r.envc
	}
	ex := r.f.ex
	r.token = ""
	if t := ex.sm.tasks[r.st]; t != nil && strings.HasSuffix(t.resource, ".waitForTaskToken") {
		// Callback tasks see a task token; SendTaskSuccess or
		// SendTaskFailure with it completes the task.
		r.token = NewUUID() // one token per attempt
	}
	// The context object itself is made only if a path reads it.
	r.envv = asl.Env{ContextSource: r, Vars: r.f.vars, Input: r.raw}
	r.envc, r.envRetry = &r.envv, r.retryN
	return r.envc
}

// ContextObject makes the context object ($$) of the current attempt.
func (r *stateRun) ContextObject() any {
	// In the order AWS lists the context object's fields.
	ctx := jsonvalue.NewObject(4)
	for _, k := range [...]string{"Execution", "StateMachine", "State", "Task"} {
		if v, ok := r.ContextField(k); ok {
			if o, ok := v.(asl.Object); ok {
				v = o.Value()
			}
			ctx.Set(k, v)
		}
	}
	return ctx
}

// ContextField makes one field of the context object: the one a path
// like $$.Execution.Name reads.
func (r *stateRun) ContextField(name string) (any, bool) {
	ex := r.f.ex
	switch name {
	case "Execution":
		return execObject{ex}, true
	case "StateMachine":
		return map[string]any{"Id": ex.sm.arn, "Name": ex.sm.name}, true
	case "State":
		return stateObject{r}, true
	case "Task":
		if r.token != "" {
			return map[string]any{"Token": r.token}, true
		}
	}
	return nil, false
}

// evalErr turns an error from the asl package into the error the state
// fails with, prefixing the cause the way AWS does for service-side errors.
func (r *stateRun) evalErr(err error) *asl.Error {
	var ae *asl.Error
	if !errors.As(err, &ae) {
		ae = &asl.Error{Name: asl.ErrRuntime, Cause: err.Error()}
	}
	if ae.Name == asl.ErrDataLimitExceeded {
		return ae
	}
	e := &asl.Error{Name: ae.Name, Cause: asl.StateCausePrefix(r.st.Name, r.entered) + ae.Cause}
	if ae.Name == asl.ErrQueryEvaluationError {
		// A JSONata expression failed: AWS records where, before the
		// state fails (and may still be caught).
		d := &EvaluationFailedDetails{Error: strp(e.Name), Cause: strp(e.Cause), State: r.st.Name}
		if ae.Location != "" {
			d.Location = strp(ae.Location)
		}
		// AWS points the event back past the state's entry, except for
		// a Wait state's (recorded: Pass and Map, Wait).
		prev := r.enteredPrev
		if r.st.Type == asl.TypeWait {
			prev = r.entered
		}
		r.f.ex.mu.Lock()
		r.f.prev = prev
		r.f.ex.mu.Unlock()
		r.rec(Event{Type: "EvaluationFailed", EvaluationFailedEventDetails: d})
	}
	return e
}

// execute runs the state. It returns the next state and its input when the
// frame can go on at once, or "" when the state waits (something else will
// resume the frame) or the frame has ended. owned tells that it runs on the
// frame's own goroutine (see runOwned).
func (r *stateRun) execute(owned bool) (string, any) {
	st, env := r.st, r.env()
	switch st.Type {
	case asl.TypePass:
		in, err := st.EffectiveInput(r.raw, env)
		if err != nil {
			return r.fail(r.evalErr(err))
		}
		return r.succeed(st.PassResult(in), env)
	case asl.TypeChoice:
		if st.IsJSONata() {
			next, out, vars, err := st.JSONataChoice(env)
			if err != nil {
				return r.fail(r.evalErr(err))
			}
			return r.exit(out, vars, next, false)
		}
		in, err := st.EffectiveInput(r.raw, env)
		if err != nil {
			return r.fail(r.evalErr(err))
		}
		next, assign, err := st.NextState(in, env)
		if err != nil {
			return r.fail(r.evalErr(err))
		}
		var vars map[string]any
		if assign != nil {
			v, err := assign.Evaluate(in, env)
			if err != nil {
				return r.fail(r.evalErr(err))
			}
			vars = asl.Variables(v)
		}
		out, err := st.EffectiveOutput(r.raw, in, env)
		if err != nil {
			return r.fail(r.evalErr(err))
		}
		return r.exit(out, vars, next, false)
	case asl.TypeWait:
		in, err := st.EffectiveInput(r.raw, env)
		if err != nil {
			return r.fail(r.evalErr(err))
		}
		now := r.f.ex.e.cfg.Clock.Now()
		until, err := st.Until(in, env, now)
		if err != nil {
			return r.fail(r.evalErr(err))
		}
		if d := until.Sub(now); d > 0 {
			r.f.ex.after(d, func() {
				if r.f.ctx.Err() != nil {
					return
				}
				r.f.run(r.succeed(in, r.env()))
			})
			return "", nil
		}
		return r.succeed(in, env)
	case asl.TypeSucceed:
		in, err := st.EffectiveInput(r.raw, env)
		if err != nil {
			return r.fail(r.evalErr(err))
		}
		out, err := st.EffectiveOutput(r.raw, in, env)
		if err != nil {
			return r.fail(r.evalErr(err))
		}
		return r.exit(out, nil, "", false)
	case asl.TypeFail:
		name, cause, err := st.ErrorAndCause(r.raw, env)
		if err != nil {
			return r.fail(r.evalErr(err))
		}
		r.f.done(nil, &asl.Error{Name: name, Cause: cause})
		return "", nil
	case asl.TypeTask:
		return r.runTask(env, owned)
	case asl.TypeParallel, asl.TypeMap:
		r.fanOut(env)
		return "", nil
	}
	return r.fail(&asl.Error{Name: asl.ErrRuntime, Cause: fmt.Sprintf("unsupported state type %s", st.Type)})
}

// succeed completes the state with its result: ResultSelector, ResultPath,
// OutputPath and Assign, then the exit event and the transition.
func (r *stateRun) succeed(result any, env *asl.Env) (string, any) {
	return r.succeedText(result, "", env)
}

// succeedText is succeed with result's JSON text when known ("" if not):
// an output that is the result itself is then not encoded again.
func (r *stateRun) succeedText(result any, resultText string, env *asl.Env) (string, any) {
	st := r.st
	out, err := st.EffectiveOutput(r.raw, result, env)
	if err != nil {
		return r.fail(r.evalErr(err))
	}
	var vars map[string]any
	if st.Assign != nil || st.JAssign != nil {
		sel, err := st.SelectResult(result, env)
		if err != nil {
			return r.fail(r.evalErr(err))
		}
		if st.Type == asl.TypeWait || st.Type == asl.TypeChoice || st.Type == asl.TypeSucceed {
			sel = result
		}
		if vars, err = st.ApplyAssign(sel, env); err != nil {
			return r.fail(r.evalErr(err))
		}
	}
	next := st.Next
	if st.End {
		next = ""
	}
	if resultText != "" && sameValue(out, result) {
		return r.exitText(out, vars, next, false, resultText)
	}
	return r.exit(out, vars, next, false)
}

// exit records the exit event, applies assignments and moves on to next
// ("" ends the frame with out).
func (r *stateRun) exit(out any, vars map[string]any, next string, caught bool) (string, any) {
	return r.exitText(out, vars, next, caught, "")
}

// exitText is exit with out's JSON text when known ("" if not).
func (r *stateRun) exitText(out any, vars map[string]any, next string, caught bool, text string) (string, any) {
	switch {
	case text != "":
	case !caught && r.rawText != "" && passesInputThrough(r.st):
		text = r.rawText // out is the raw input itself
	default:
		text = marshalValue(out)
	}
	if len(text) > asl.MaxPayloadBytes {
		if caught {
			// The catcher's own output is too large: no second chance.
			return r.failFrame(r.dataLimit())
		}
		return r.fail(r.dataLimit())
	}
	var en entry
	if len(vars) > 0 {
		d := &StateExitedDetails{Name: r.st.Name, Output: strp(text), OutputDetails: notTruncated}
		d.AssignedVariables = make(map[string]string, len(vars))
		for k, v := range vars {
			d.AssignedVariables[k] = marshalValue(v)
		}
		d.AssignedVariablesDetails = notTruncated
		en.kind, en.full = kindFull, &Event{Type: exitedType(r.st.Type), StateExitedEventDetails: d}
	} else {
		en = stateEntry(r.st.Type, true, entry{kind: kindExited, name: r.st.Name, payload: text})
	}
	if _, ok := r.f.ex.recordEntry(r.f, en, true, next, true); !ok {
		return "", nil
	}
	if len(vars) > 0 && r.f.vars == nil {
		r.f.vars = make(map[string]any, len(vars))
	}
	for k, v := range vars {
		r.f.vars[k] = v
	}
	r.f.text = text
	if next == "" {
		r.f.done(out, nil)
		return "", nil
	}
	return next, out
}

// passesInputThrough reports whether the state's output is its raw input
// whenever it succeeds: a Succeed, Choice or Wait state (no result) with
// the default InputPath and OutputPath.
func passesInputThrough(st *asl.State) bool {
	if st.IsJSONata() {
		return st.PassesInputThrough()
	}
	switch st.Type {
	case asl.TypeSucceed, asl.TypeChoice, asl.TypeWait:
		return st.InputPath == nil && !st.InputPathNull && st.OutputPath == nil && !st.OutputPathNull
	}
	return false
}

// fail handles a state failure: a matching retrier schedules another
// attempt, a matching catcher transitions, anything else fails the frame.
func (r *stateRun) fail(e *asl.Error) (string, any) {
	st := r.st
	if st.Type == asl.TypeTask || st.Type == asl.TypeParallel || st.Type == asl.TypeMap {
		if ret := st.MatchRetrier(e.Name); ret != nil {
			if r.retries == nil {
				r.retries = map[*asl.Retrier]int{}
			}
			if n := r.retries[ret]; ret.CanRetry(n) {
				r.retries[ret] = n + 1
				r.retryN++
				d := ret.Delay(n, r.f.ex.e.rnd)
				r.noteRetry(d)
				r.f.ex.after(d, func() {
					if r.f.ctx.Err() != nil {
						return
					}
					r.f.run(r.execute(false))
				})
				return "", nil
			}
		}
		if r.failEvent != "" {
			if !r.rec(Event{Type: r.failEvent}) {
				return "", nil
			}
		}
		if c := st.MatchCatcher(e.Name); c != nil {
			out, vars, err := c.CatchOutput(r.raw, e, r.env(), st.IsJSONata())
			if err != nil {
				return r.failFrame(r.evalErr(err))
			}
			return r.exit(out, vars, c.Next, true)
		}
	}
	return r.failFrame(e)
}

// noteRetry journals when the retry just decided is due, so that a
// restart fires it at its original time (the jitter is not replayable).
func (r *stateRun) noteRetry(d time.Duration) {
	ex := r.f.ex
	j := ex.e.journal
	if j == nil {
		return
	}
	at := ex.e.cfg.Clock.Now().Add(d)
	ex.mu.Lock()
	// The failure event is the frame's last: retries follow TaskFailed,
	// LambdaFunctionFailed, the *TimedOut events or a failed fan-out.
	j.Retry(ex.seq, r.f.prev, at)
	ex.mu.Unlock()
}

// dataLimit is States.DataLimitExceeded for this state's result; the size
// is measured on the JSON text the engine produces anyway.
func (r *stateRun) dataLimit() *asl.Error {
	return &asl.Error{Name: asl.ErrDataLimitExceeded,
		Cause: "The state/task '" + r.st.Name + "' returned a result with a size exceeding the maximum number of bytes service limit."}
}

func (r *stateRun) failFrame(e *asl.Error) (string, any) {
	r.f.done(nil, e)
	return "", nil
}

// runTask invokes the state's task and returns where the frame goes on
// from its result, like execute. On the frame's own goroutine the invoker
// runs right there; otherwise on a goroutine of its own, which then carries
// the frame on. Timeouts and heartbeats are clock timers: when one fires
// first, the frame goes on from the timer and the invoker's late result is
// dropped.
func (r *stateRun) runTask(env *asl.Env, owned bool) (string, any) {
	t := r.f.ex.sm.tasks[r.st]
	if t == nil {
		return r.fail(&asl.Error{Name: asl.ErrRuntime, Cause: "no invoker for this Task"})
	}
	in, timeout, heartbeat, aerr := r.taskInput(env)
	if aerr != nil {
		return r.fail(aerr)
	}
	if r.f.ex.mock != nil {
		if resp, mocked, aerr := r.mockedResponse(); mocked {
			if aerr != nil {
				return r.fail(aerr)
			}
			if t.kind == taskActivity {
				// Step Functions Local refuses these, with this cause.
				return r.fail(&asl.Error{Name: asl.ErrRuntime, Cause: "Activity state cannot be mocked. Please remove mocks mapped for all activity state in the mock config file."})
			}
			return r.runMocked(t, in, timeout, heartbeat, resp)
		}
	}
	if t.kind == taskActivity {
		return r.runActivity(t, in, timeout, heartbeat)
	}
	var inv Invoker
	var payload string
	var ok bool
	if t.kind == taskLambda {
		inv, payload = t.invoker, marshalValue(in)
		ok = r.recLambdaScheduled(t, payload, timeout)
	} else {
		if inv, payload, aerr = r.taskInvoker(t, in); aerr != nil {
			return r.fail(aerr)
		}
		ok = r.recTaskScheduled(t, in, timeout, heartbeat)
	}
	if !ok {
		return "", nil
	}
	return r.startTask(t, inv, payload, timeout, heartbeat, owned)
}

// mockedResponse takes the next response of the state's mock when the
// execution's test case mocks it (mocked true). An invocation the mock has
// no response for is States.Runtime, which no Retry or Catch handles: Step
// Functions Local fails the execution then.
func (r *stateRun) mockedResponse() (resp mockconfig.Response, mocked bool, _ *asl.Error) {
	ex := r.f.ex
	rs, ok := ex.mock.State(r.st.Name)
	if !ok {
		return resp, false, nil
	}
	ex.mockMu.Lock()
	if ex.mockN == nil {
		ex.mockN = map[string]int{}
	}
	n := ex.mockN[r.st.Name]
	ex.mockN[r.st.Name] = n + 1
	ex.mockMu.Unlock()
	if resp, ok = rs.At(n); !ok {
		answers := "it has no numbered responses"
		if c := rs.Count(); c > 0 {
			answers = fmt.Sprintf("it answers invocations 0 to %d", c-1)
		}
		return resp, true, &asl.Error{Name: asl.ErrRuntime, Cause: fmt.Sprintf(
			"The mocked response '%s' of test case '%s' has no response for invocation %d of state '%s' (%s).",
			rs.Name, ex.mock.Name, n, r.st.Name, answers)}
	}
	return resp, true, nil
}

// runMocked ends a Task attempt with a mocked response instead of its
// invoker, recording the events the real integration would: the
// LambdaFunction* events for a Lambda function ARN, the Task* events
// otherwise. A callback or .sync task ends at once with the response, as
// in Step Functions Local.
func (r *stateRun) runMocked(t *task, in any, timeout, heartbeat int64, resp mockconfig.Response) (string, any) {
	var ok bool
	if t.kind == taskLambda {
		ok = r.recLambdaScheduled(t, marshalValue(in), timeout)
	} else {
		ok = r.recTaskScheduled(t, in, timeout, heartbeat)
	}
	if !ok {
		return "", nil
	}
	r.mocked = true
	if resp.Throw != nil {
		return r.taskDone(t, nil, &TaskError{Name: resp.Throw.Error, Cause: resp.Throw.Cause})
	}
	return r.taskDone(t, resp.Return, nil)
}

// recLambdaScheduled records LambdaFunctionScheduled and
// LambdaFunctionStarted; false when the execution has ended meanwhile.
func (r *stateRun) recLambdaScheduled(t *task, payload string, timeout int64) bool {
	return r.recEntry(lambdaScheduledEntry(t.resource, payload, timeout)) &&
		r.recEntry(entry{typ: evLambdaFunctionStarted, kind: kindPlain})
}

// taskInput evaluates what the attempt needs before anything is recorded:
// the effective input, the timeout and the heartbeat, in that order, as
// the first failure among them is the state's evaluation error.
func (r *stateRun) taskInput(env *asl.Env) (in any, timeout, heartbeat int64, _ *asl.Error) {
	st := r.st
	in, err := st.EffectiveInput(r.raw, env)
	if err != nil {
		return nil, 0, 0, r.evalErr(err)
	}
	if timeout, err = st.Timeout(in, env); err != nil {
		return nil, 0, 0, r.evalErr(err)
	}
	if heartbeat, err = st.Heartbeat(in, env); err != nil {
		return nil, 0, 0, r.evalErr(err)
	}
	return in, timeout, heartbeat, nil
}

// taskInvoker picks the invoker and payload of a Task* resource. An
// arn:aws:states:::lambda:invoke task names its function in its input, so
// it is looked up now (Lambda.ResourceNotFoundException when unknown), and
// its InvocationType Event invokes asynchronously.
func (r *stateRun) taskInvoker(t *task, in any) (Invoker, string, *asl.Error) {
	if t.kind != taskLambdaInvoke {
		return t.invoker, marshalValue(in), nil
	}
	inv, payload, aerr := r.f.ex.e.lambdaInvokeTarget(t, in)
	if aerr != nil {
		return nil, "", aerr
	}
	if it, _ := asl.Field(in, "InvocationType"); it == "Event" && !t.callback {
		// Asynchronous invocation: Lambda accepts the event (202)
		// and the function runs on its own, outside the execution.
		// It takes a task slot like any invocation of the function,
		// waiting for one in the queue, not on its goroutine.
		fn, slots := inv, r.f.ex.e.slots
		inv = InvokerFunc(func(_ context.Context, p []byte) ([]byte, error) {
			call := func() {
				defer slots.release()
				_, _ = safeInvoke(context.Background(), fn, p)
			}
			if w := (&slotWait{run: func() { go call() }}); slots.take(w) {
				go call()
			}
			return nil, nil
		})
		r.async = true
	}
	return inv, payload, nil
}

// lambdaInvokeTarget is the function an arn:aws:states:::lambda:invoke
// task calls with its effective input in, and the payload it passes:
// Lambda.ResourceNotFoundException when no such function is registered.
func (e *Engine) lambdaInvokeTarget(t *task, in any) (Invoker, string, *asl.Error) {
	fn := t.functionName
	if v, ok := asl.Field(in, "FunctionName"); ok {
		if name, err := functionNameOf(json.RawMessage(marshalValue(v))); err == nil {
			fn = name
		}
	}
	inv, ok := e.cfg.Invokers.function(fn)
	if !ok {
		return nil, "", &asl.Error{Name: "Lambda.ResourceNotFoundException", Cause: fmt.Sprintf("Function not found: %s", e.lambdaARN(fn))}
	}
	payload := "{}"
	if p, ok := asl.Field(in, "Payload"); ok {
		payload = marshalValue(p)
	}
	return inv, payload, nil
}

// recTaskScheduled records TaskScheduled and TaskStarted; false when the
// execution has ended meanwhile.
func (r *stateRun) recTaskScheduled(t *task, in any, timeout, heartbeat int64) bool {
	// Copies, so that timeout and heartbeat stay off the heap.
	var timeoutPtr, hb *int64
	if timeout > 0 {
		timeoutPtr = new(timeout)
	}
	if heartbeat > 0 {
		hb = new(heartbeat)
	}
	return r.rec(Event{Type: "TaskScheduled", TaskScheduledEventDetails: &TaskScheduledDetails{
		Resource: t.resourceName, ResourceType: t.resourceType, Region: r.f.ex.e.cfg.Region,
		Parameters: strp(marshalValue(in)), TimeoutInSeconds: timeoutPtr, HeartbeatSeconds: hb,
	}}) && r.rec(Event{Type: "TaskStarted", TaskStartedEventDetails: &TaskDetails{Resource: t.resourceName, ResourceType: t.resourceType}})
}

// startTask arms the attempt's timeout and heartbeat timers, or registers
// its callback token, before the invoker runs, so that settle finds them to
// disarm whichever way the attempt ends; then it invokes: here when the
// frame's goroutine is ours (owned), else on a goroutine of its own that
// carries the frame on.
func (r *stateRun) startTask(t *task, inv Invoker, payload string, timeout, heartbeat int64, owned bool) (string, any) {
	ex := r.f.ex
	tr := &taskRun{r: r, t: t, heartbeat: heartbeat}
	tr.ctx, tr.cancel = context.WithCancel(r.f.ctx)
	if timeout > 0 {
		r.f.armTaskTimeout(tr, time.Duration(timeout)*time.Second)
	}
	if t.callback {
		// The task ends with SendTaskSuccess/Failure for its token, which
		// may come while the invoker still runs.
		tr.token = r.token
		ex.e.tokens.Store(tr.token, tr)
	} else {
		tr.armHeartbeat()
	}
	invoke := func() (string, any) {
		if job, ok := inv.(JobInvoker); ok && !t.callback {
			return tr.runJob(job, payload)
		}
		out, err := safeInvoke(tr.ctx, inv, []byte(payload))
		if t.callback && err == nil {
			tr.submitted(out)
			return "", nil
		}
		return tr.settle(func() (string, any) { return r.taskDone(t, out, err) })
	}
	if slots := ex.e.slots; slots != nil && r.boundedTask(t) {
		if !slots.tryTake() {
			r.waitSlot(tr, slots, invoke)
			return "", nil
		}
		unbounded := invoke
		invoke = func() (string, any) {
			defer slots.release()
			return unbounded()
		}
	}
	if owned {
		return invoke()
	}
	ex.e.work()
	goWork(func() {
		defer ex.e.workDone()
		defer ex.recoverPanic()
		r.f.runOwned(invoke())
	})
	return "", nil
}

// boundedTask reports whether the attempt holds a task slot while it
// invokes: an asynchronous lambda:invoke takes one where its function runs
// instead (taskInvoker).
func (r *stateRun) boundedTask(t *task) bool { return t.invokesFunction() && !r.async }

// waitSlot queues the attempt until a task slot frees, holding no
// goroutine: invoke then runs, holding the slot, on a goroutine that
// carries the frame on. An attempt that settles first (its timeout or
// heartbeat, a callback) or whose frame ends (the execution stops, a
// branch aborts) leaves the queue without invoking.
func (r *stateRun) waitSlot(tr *taskRun, slots *taskSlots, invoke func() (string, any)) {
	ex := r.f.ex
	// Waiting is execution work, as a goroutine blocked on the slot was:
	// it ends when a running task, itself work, gives its slot.
	ex.e.work()
	w := &slotWait{}
	stop := context.AfterFunc(tr.ctx, func() {
		if slots.drop(w) {
			// Settled already, or the frame ended: settle only
			// disarms what is left, and there is nothing to record.
			tr.settle(func() (string, any) { return "", nil })
			ex.e.workDone()
		}
	})
	w.run = func() {
		stop()
		goWork(func() {
			defer ex.e.workDone()
			defer ex.recoverPanic()
			r.f.runOwned(func() (string, any) {
				defer slots.release()
				if tr.ctx.Err() != nil {
					// Ended between the grant and now: as if dropped.
					return tr.settle(func() (string, any) { return "", nil })
				}
				return invoke()
			}())
		})
	}
	if slots.take(w) {
		w.run()
	}
}

// taskRun is one attempt of a Task: its cancellation, timers and, for
// callback tasks, its token.
type taskRun struct {
	r         *stateRun
	t         *task
	ctx       context.Context
	cancel    context.CancelFunc
	once      sync.Once
	heartbeat int64
	token     string

	mu     sync.Mutex
	hbTime *execTimer
}

// settle ends the attempt once: whichever of result, timeout, heartbeat
// timeout, callback or abort comes first wins, and settle returns where
// fn says the frame goes on; the others get "".
func (tr *taskRun) settle(fn func() (string, any)) (next string, input any) {
	tr.once.Do(func() {
		tr.cancel()
		ex := tr.r.f.ex
		if tr.token != "" {
			ex.e.tokens.Delete(tr.token)
		}
		tr.r.f.disarmTaskTimeout(tr)
		tr.mu.Lock()
		hb := tr.hbTime
		tr.mu.Unlock()
		if hb != nil {
			ex.cancelTimer(hb)
		}
		next, input = fn()
	})
	return next, input
}

// armHeartbeat (re)starts the heartbeat timer, if the state has one.
func (tr *taskRun) armHeartbeat() {
	if tr.heartbeat <= 0 {
		return
	}
	ex := tr.r.f.ex
	et := ex.after(time.Duration(tr.heartbeat)*time.Second, func() {
		tr.r.f.run(tr.settle(func() (string, any) { return tr.r.taskTimedOut(tr.t, asl.ErrHeartbeatTimeout) }))
	})
	tr.mu.Lock()
	old := tr.hbTime
	tr.hbTime = et
	tr.mu.Unlock()
	if old != nil {
		ex.cancelTimer(old)
	}
}

// submitted records that a callback task's invocation returned; the task
// now waits for its token (the heartbeat starts counting only now, as on AWS).
func (tr *taskRun) submitted(out []byte) {
	if tr.ctx.Err() != nil {
		return
	}
	t := tr.t
	tr.r.rec(Event{Type: "TaskSubmitted", TaskSubmittedEventDetails: &TaskOutputDetails{
		Resource: t.resourceName, ResourceType: t.resourceType, Output: strp(string(out)), OutputDetails: notTruncated,
	}})
	tr.armHeartbeat()
}

// runJob runs a task of the run-a-job pattern (.sync): the job is
// submitted (TaskSubmitted records the service's answer), then the task
// ends as the job does.
func (tr *taskRun) runJob(job JobInvoker, payload string) (string, any) {
	r, t := tr.r, tr.t
	var submitted []byte
	var wait func(context.Context) ([]byte, error)
	err := safeCall(func() (err error) {
		submitted, wait, err = job.Submit(tr.ctx, []byte(payload))
		return err
	})
	if err == nil {
		tr.submitted(submitted)
		var out []byte
		err = safeCall(func() (err error) {
			out, err = wait(tr.ctx)
			return err
		})
		if err == nil {
			return tr.settle(func() (string, any) { return r.taskDone(t, out, nil) })
		}
	}
	return tr.settle(func() (string, any) { return r.taskDone(t, nil, err) })
}

// rec records an event for this state's frame.
func (r *stateRun) rec(ev Event) bool {
	_, ok := r.f.ex.record(r.f, ev)
	return ok
}

// recEntry records a compact event for this state's frame.
func (r *stateRun) recEntry(en entry) bool {
	_, ok := r.f.ex.recordEntry(r.f, en, true, "", false)
	return ok
}

func (r *stateRun) taskTimedOut(t *task, name string) (string, any) {
	switch t.kind {
	case taskLambda:
		r.rec(Event{Type: "LambdaFunctionTimedOut", LambdaFunctionTimedOutEventDetails: &FailureDetails{Error: strp(name)}})
	case taskActivity:
		r.rec(Event{Type: "ActivityTimedOut", ActivityTimedOutEventDetails: &FailureDetails{Error: strp(name)}})
	default:
		r.rec(Event{Type: "TaskTimedOut", TaskTimedOutEventDetails: &TaskFailureDetails{Resource: t.resourceName, ResourceType: t.resourceType, Error: strp(name)}})
	}
	return r.fail(&asl.Error{Name: name})
}

// taskDone records a task's outcome and returns where the frame goes on.
func (r *stateRun) taskDone(t *task, out []byte, err error) (string, any) {
	if r.f.ctx.Err() != nil {
		return "", nil
	}
	if err != nil {
		le := mapLambdaError(err)
		if t.kind == taskLambda {
			r.rec(Event{Type: "LambdaFunctionFailed", LambdaFunctionFailedEventDetails: &FailureDetails{Error: strp(le.Name), Cause: strp(le.Cause)}})
		} else {
			r.rec(Event{Type: "TaskFailed", TaskFailedEventDetails: &TaskFailureDetails{Resource: t.resourceName, ResourceType: t.resourceType, Error: strp(le.Name), Cause: strp(le.Cause)}})
		}
		return r.fail(&asl.Error{Name: le.Name, Cause: le.Cause})
	}
	var result any
	// One copy of the output serves the decoded value (whose strings share
	// it) and the history event. resultText is result's JSON text when
	// known without encoding it: the output itself when compact.
	outStr := string(out)
	var resultText string
	if len(strings.TrimSpace(outStr)) > 0 {
		v, compact, derr := asl.DecodeCompactJSON(outStr)
		if derr != nil {
			return r.fail(&asl.Error{Name: asl.ErrRuntime, Cause: asl.StateCausePrefix(r.st.Name, r.entered) + "The task returned invalid JSON: " + derr.Error()})
		}
		result = v
		if compact {
			resultText = outStr
		}
	}
	if len(out) > asl.MaxPayloadBytes {
		return r.fail(r.dataLimit())
	}
	switch t.kind {
	case taskLambda:
		if !r.recEntry(entry{typ: evLambdaFunctionSucceeded, kind: kindLambdaOK, payload: outStr}) {
			return "", nil
		}
	case taskActivity:
		if !r.rec(Event{Type: "ActivitySucceeded", ActivitySucceededEventDetails: &OutputDetails{Output: strp(jsonText(result, resultText)), OutputDetails: notTruncated}}) {
			return "", nil
		}
	case taskLambdaInvoke:
		switch {
		case r.mocked:
			// The mock's Return is the integration's whole result
			// (StatusCode, Payload, ...), not the function's.
		case r.async:
			result, resultText = lambdaInvokeResult("", 202), ""
		case !t.callback:
			result, resultText = lambdaInvokeResult(result, 200), ""
		}
		fallthrough
	default:
		if !r.rec(Event{Type: "TaskSucceeded", TaskSucceededEventDetails: &TaskOutputDetails{Resource: t.resourceName, ResourceType: t.resourceType, Output: strp(jsonText(result, resultText)), OutputDetails: notTruncated}}) {
			return "", nil
		}
	}
	return r.succeedText(result, resultText, r.env())
}

// jsonText returns text, v's JSON text when known, or else encodes v.
func jsonText(v any, text string) string {
	if text != "" {
		return text
	}
	return marshalValue(v)
}

// sameValue reports whether a and b are the same JSON value to look at
// them cheaply: equal scalars or the same object. Arrays and Go maps are
// never the same (they do not compare).
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case *jsonvalue.Object:
		y, ok := b.(*jsonvalue.Object)
		return ok && x == y
	case nil, string, json.Number, bool:
		return a == b // a is comparable: b is then compared, not panicking, whatever its type
	}
	return false
}

// lambdaInvokeResult wraps a function's result the way the optimised
// lambda:invoke integration returns it.
func lambdaInvokeResult(payload any, status int) any {
	id := NewUUID()
	headers := map[string]any{
		"Connection": "keep-alive", "Content-Type": "application/json",
		"X-Amz-Executed-Version": "$LATEST", "x-amzn-Remapped-Content-Length": "0", "x-amzn-RequestId": id,
	}
	all := map[string]any{}
	for k, v := range headers {
		all[k] = []any{v}
	}
	return map[string]any{
		"ExecutedVersion":     "$LATEST",
		"Payload":             payload,
		"SdkHttpMetadata":     map[string]any{"AllHttpHeaders": all, "HttpHeaders": headers, "HttpStatusCode": jsonNumber(status)},
		"SdkResponseMetadata": map[string]any{"RequestId": id},
		"StatusCode":          jsonNumber(status),
	}
}
