package sfn

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/asyncjobs/stepjobs/internal/asl"
	sfnjournal "github.com/asyncjobs/stepjobs/internal/sfn/journal"
)

// Open returns an Engine whose state machines, activities, executions,
// histories and pending retries live in cfg.DataFile (a bbolt file, created when
// missing) as well as in memory. It loads what the file holds: closed
// executions come back as they were; running ones are resumed by Resume,
// which the caller calls once it has subscribed and registered what the
// executions need. Close commits and closes the file.
//
// What a restart does with a running execution, from its last recorded
// event (the history is the state; nothing else is trusted):
//   - a Task whose result was recorded goes on with that result;
//   - a Task that was in flight (scheduled or started, no result) is invoked
//     again, with the same $$.State.RetryCount, and its history shows a
//     second LambdaFunctionScheduled/Started (or TaskScheduled/Started).
//     Step Functions runs each attempt at most once as far as the engine
//     can tell, but a Lambda function that was running at a crash may have
//     done its work: handlers must be idempotent;
//   - a pending retry fires at its original due time (journalled with the
//     failure), a Wait state at entry time plus its wait, the machine's
//     TimeoutSeconds counts from the original start;
//   - a Task timeout or heartbeat counts afresh from the new invocation;
//     a callback task gets a new token (the old one is unknown);
//   - an activity task scheduled or started is scheduled again (a second
//     ActivityScheduled), and waits for a worker with a new token;
//   - a Parallel or Map state in flight runs all its branches again;
//   - an execution that cannot go on (its machine version no longer
//     resolves, say) fails with States.Runtime rather than stay RUNNING.
func Open(cfg Config) (*Engine, error) {
	if cfg.DataFile == "" {
		return nil, errors.New("sfn: Open needs Config.DataFile")
	}
	e := New(cfg)
	j, err := sfnjournal.Open[eventRecord](cfg.DataFile)
	if err != nil {
		return nil, fmt.Errorf("sfn: %w", err)
	}
	ds := newDurableStore(cfg.RetainClosed, j)
	e.store = ds
	began := time.Now()
	n, err := e.load(j, ds)
	if err != nil {
		_ = j.Close()
		return nil, fmt.Errorf("sfn: load %s: %w", cfg.DataFile, err)
	}
	// Journal only after loading: loading writes nothing back.
	e.journal = j
	e.cfg.Logger.Info("engine state loaded", "file", cfg.DataFile, "executions", n, "running", len(e.recovered),
		"took", time.Since(began))
	return e, nil
}

// Close commits what is queued and closes the data file (a no-op in
// memory). Executions still running stay RUNNING on disk and resume at the
// next Open; events they record after Close are lost.
func (e *Engine) Close() error {
	if e.journal == nil {
		return nil
	}
	if err := e.journal.Close(); err != nil {
		return fmt.Errorf("sfn: close data file: %w", err)
	}
	return nil
}

// crash abandons the data file without committing what is queued: a test's
// kill -9. The engine's goroutines go on in memory, writing nothing.
func (e *Engine) crash() {
	if e.journal != nil {
		e.journal.Abandon()
	}
}

// recovery is a running execution found by Open, with what its resumption
// needs that is not in its events.
type recovery struct {
	ex      *execution
	next    map[int64]string    // StateExited id -> next state
	retryAt map[int64]time.Time // failure event id -> retry due
	err     error               // it cannot resume: fail it
	seq     uint64              // creation order
}

// Resume goes on with the running executions Open found (see Open). It
// returns how many it resumed; calling it again does nothing.
func (e *Engine) Resume() int {
	list := e.recovered
	e.recovered = nil
	for _, rc := range list {
		rc.ex.resume(rc)
	}
	return len(list)
}

// load reads the file into the store.
func (e *Engine) load(j *sfnjournal.Journal[eventRecord], ds *durableStore) (int, error) {
	l := &loader{e: e, ds: ds, versions: map[string]*stateMachine{}, broken: map[string]error{}, bySeq: map[uint64]*recovery{}}
	err := j.Read(func(s *sfnjournal.Snapshot) error {
		if err := l.readVersions(s); err != nil {
			return err
		}
		if err := l.readStateMachines(s); err != nil {
			return err
		}
		if err := l.readActivities(s); err != nil {
			return err
		}
		if err := l.readExecutions(s); err != nil {
			return err
		}
		if err := l.readEvents(s); err != nil {
			return err
		}
		return l.readRetries(s)
	})
	if err != nil {
		return 0, err
	}
	if err := l.admit(); err != nil {
		return 0, err
	}
	return len(l.execs), nil
}

// loader is what load has read so far: each kind of record is read in one
// pass, in an order in which every reference points at something already
// read.
type loader struct {
	e        *Engine
	ds       *durableStore
	versions map[string]*stateMachine // by version key
	broken   map[string]error         // versions that no longer resolve
	execs    []*recovery
	bySeq    map[uint64]*recovery
}

// readVersions reads the state machine versions, which executions and
// names refer to. A version whose definition no longer parses or resolves
// (an invoker gone, say) is kept readable, so its closed executions still
// show; its running ones fail at Resume.
func (l *loader) readVersions(s *sfnjournal.Snapshot) error {
	return s.Versions(func(k string, v []byte) error {
		var m storedMachine
		if err := json.Unmarshal(v, &m); err != nil {
			return fmt.Errorf("%w: version %s: %w", sfnjournal.ErrCorrupt, k, err)
		}
		sm := &stateMachine{arn: m.ARN, name: m.Name, definition: m.Definition, roleARN: m.RoleARN, typ: m.Type,
			created: m.Created, ver: k}
		def, err := asl.Parse([]byte(m.Definition))
		if err == nil {
			sm.def = def
			sm.tasks, err = l.e.resolveTasks(def, []byte(m.Definition))
		}
		if err != nil {
			// Kept readable; its running executions fail at Resume.
			l.broken[k] = err
			if sm.def == nil {
				sm.def = &asl.StateMachine{}
			}
		}
		l.versions[k] = sm
		return nil
	})
}

// readStateMachines points each state machine's name at its current
// version.
func (l *loader) readStateMachines(s *sfnjournal.Snapshot) error {
	return s.StateMachines(func(arn, version string) error {
		sm, ok := l.versions[version]
		if !ok {
			return fmt.Errorf("%w: state machine %s: no version %s", sfnjournal.ErrCorrupt, arn, version)
		}
		l.ds.memStore.stateMachines[arn] = sm
		return nil
	})
}

// readActivities makes the stored activities, with empty queues.
func (l *loader) readActivities(s *sfnjournal.Snapshot) error {
	return s.Activities(func(arn string, v []byte) error {
		var m storedActivity
		if err := json.Unmarshal(v, &m); err != nil {
			return fmt.Errorf("%w: activity %s: %w", sfnjournal.ErrCorrupt, arn, err)
		}
		l.e.addActivity(m.ARN, m.Name, m.Created)
		return nil
	})
}

// readExecutions makes an execution of each stored one, without events
// yet, in key (creation) order.
func (l *loader) readExecutions(s *sfnjournal.Snapshot) error {
	e := l.e
	return s.Executions(func(seq uint64, v []byte) error {
		var m storedExecution
		if err := json.Unmarshal(v, &m); err != nil {
			return fmt.Errorf("%w: execution %d: %w", sfnjournal.ErrCorrupt, seq, err)
		}
		sm, ok := l.versions[m.Version]
		if !ok {
			return fmt.Errorf("%w: execution %s: no version %s", sfnjournal.ErrCorrupt, m.ARN, m.Version)
		}
		// The input is decoded only if the execution resumes.
		ex := e.newExecution(sm, m.Name, m.Input, nil)
		ex.start = time.Unix(0, m.Start)
		if ex.arn != m.ARN {
			// The ARN is derived from the names; keep the stored one.
			ex.arn, ex.arnValue = m.ARN, m.ARN
		}
		ex.seq = seq
		rc := &recovery{ex: ex, err: l.broken[m.Version], seq: seq}
		l.bySeq[seq] = rc
		l.execs = append(l.execs, rc)
		return nil
	})
}

// readEvents reads, per execution, its last event first (keys sort by
// execution, then id): an execution that ended keeps its history on disk
// until someone reads it, so a restart reads one event of it, not all; a
// running one loads its history to resume from.
func (l *loader) readEvents(s *sfnjournal.Snapshot) error {
	for _, rc := range l.execs {
		if err := loadEvents(s, rc); err != nil {
			return err
		}
	}
	return nil
}

// readRetries reads the due times of the retries pending at the crash, by
// the failure event they follow, so that a retry fires when it would have.
func (l *loader) readRetries(s *sfnjournal.Snapshot) error {
	return s.Retries(func(seq uint64, id int64, at time.Time) error {
		if rc := l.bySeq[seq]; rc != nil {
			if rc.retryAt == nil {
				rc.retryAt = map[int64]time.Time{}
			}
			rc.retryAt[id] = at
		}
		return nil
	})
}

// admit puts the executions in the store, oldest first so that its
// retention forgets the right ones; closed ones close there, running ones
// wait for Resume. The store's sequence goes on after the highest one
// read.
func (l *loader) admit() error {
	ds := l.ds
	sortByStart(l.execs)
	for _, rc := range l.execs {
		ds.lastSeq.Store(max(ds.lastSeq.Load(), rc.seq))
	}
	for _, rc := range l.execs {
		ex := rc.ex
		ds.memStore.PutExecution(ex)
		if ex.stored > 0 {
			ds.memStore.Closed(ex)
			continue
		}
		if len(ex.events) == 0 {
			// Created, then the crash came before ExecutionStarted was
			// committed; nobody was told of it (StartExecution syncs).
			rc.err = errors.New("no ExecutionStarted event")
		}
		val, err := asl.DecodeJSONString(ex.input)
		if err != nil {
			return fmt.Errorf("%w: execution %s: input: %w", sfnjournal.ErrCorrupt, ex.arn, err)
		}
		ex.inputVal = val
		l.e.recovered = append(l.e.recovered, rc)
	}
	return nil
}

// loadEvents reads an execution's events at load: the last one only when
// it ends the execution (which closes it, its history left on disk), all
// of them otherwise.
func loadEvents(s *sfnjournal.Snapshot, rc *recovery) error {
	ex := rc.ex
	id, v, ok, err := s.LastEvent(rc.seq)
	if err != nil || !ok {
		return err
	}
	last, _, err := decodeStoredEvent(v)
	if err != nil {
		return fmt.Errorf("%w: event %s/%d: %w", sfnjournal.ErrCorrupt, ex.arn, id, err)
	}
	if last.ID != id {
		return fmt.Errorf("%w: event %s/%d: stored as %d", sfnjournal.ErrCorrupt, ex.arn, id, last.ID)
	}
	if ex.closeWith(last) {
		ex.events, ex.stored = nil, id
		return nil
	}
	return eachStoredEvent(s.Events, ex, func(ev Event, next *string) {
		ex.events = append(ex.events, compact(ev))
		if next != nil {
			if rc.next == nil {
				rc.next = map[int64]string{}
			}
			rc.next[ev.ID] = *next
		}
	})
}

func sortByStart(execs []*recovery) {
	slices.SortFunc(execs, func(a, b *recovery) int {
		if c := a.ex.start.Compare(b.ex.start); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
}

// closeWith closes the execution with its last event, if that event is an
// execution's end; it reports whether it was.
func (ex *execution) closeWith(last Event) bool {
	var status string
	var fd *FailureDetails
	switch last.Type {
	case "ExecutionSucceeded":
		status = StatusSucceeded
		if d := last.ExecutionSucceededEventDetails; d != nil {
			ex.output = d.Output
		}
	case "ExecutionFailed":
		status, fd = StatusFailed, last.ExecutionFailedEventDetails
	case "ExecutionAborted":
		status, fd = StatusAborted, last.ExecutionAbortedEventDetails
	case "ExecutionTimedOut":
		status, fd = StatusTimedOut, last.ExecutionTimedOutEventDetails
	default:
		return false
	}
	if fd != nil {
		ex.errName, ex.cause = fd.Error, fd.Cause
	}
	ex.status, ex.stop, ex.timers = status, last.Timestamp, nil
	ex.cancel()
	close(ex.done)
	return true
}

// resume goes on with a running execution from its last recorded event.
func (ex *execution) resume(rc *recovery) {
	e := ex.e
	if rc.err != nil {
		ex.close(StatusFailed, "ExecutionFailed", nil, strp(asl.ErrRuntime),
			strp("The local engine could not resume this execution after a restart: "+rc.err.Error()), int64(len(ex.events)))
		return
	}
	ex.armTimeout(ex.start.Add(time.Duration(ex.sm.def.TimeoutSeconds) * time.Second).Sub(e.cfg.Clock.Now()))
	e.work()
	go func() {
		defer ex.e.workDone()
		defer ex.recoverPanic()
		if err := ex.resumeTop(rc); err != nil {
			ex.close(StatusFailed, "ExecutionFailed", nil, strp(asl.ErrRuntime),
				strp("The local engine could not resume this execution after a restart: "+err.Error()), int64(len(ex.events)))
		}
	}()
}

// resumeTop finds where the top-level states stopped and goes on there.
// Events of a Parallel or Map state's branches are skipped: such a state
// in flight runs again.
func (ex *execution) resumeTop(rc *recovery) error {
	root := ex.rootFrame()
	ex.mu.Lock()
	events := ex.history()
	ex.mu.Unlock()

	root.vars = map[string]any{} // findTopStop restores the assignments into it
	at, err := findTopStop(events, ex.sm.def, root.vars)
	if err != nil {
		return err
	}
	root.prev = at.last
	if at.cur == nil {
		root.run(ex.sm.def.StartAt, ex.inputVal)
		return nil
	}
	// The execution input is the first state's input text only.
	root.text = ""
	if at.exitAt >= 0 {
		return root.resumeAfterExit(events[at.exitAt], at.cur, rc.next)
	}
	return root.resumeEntered(events, at.curAt, at.cur, rc.retryAt)
}

// topStop is where the top-level states stopped: the last state entered,
// and whether it exited.
type topStop struct {
	cur    *asl.State // nil: no state was entered
	curAt  int        // index of cur's StateEntered
	exitAt int        // index of cur's StateExited, or -1
	last   int64      // the top-level chain's last event
}

// findTopStop reads the history for the last top-level state entered,
// skipping the events of a Parallel or Map state's branches, which belong
// to other frames. The variables the exited states assigned go into vars,
// since the states after them read them.
func findTopStop(events []Event, def *asl.StateMachine, vars map[string]any) (topStop, error) {
	at := topStop{curAt: -1, exitAt: -1}
	inside := false
	for i, ev := range events {
		switch {
		case ev.StateEnteredEventDetails != nil && !inside:
			st, ok := def.States[ev.StateEnteredEventDetails.Name]
			if !ok {
				return at, fmt.Errorf("event %d enters unknown state %q", ev.ID, ev.StateEnteredEventDetails.Name)
			}
			at.cur, at.curAt, at.exitAt = st, i, -1
			inside = st.Type == asl.TypeParallel || st.Type == asl.TypeMap
			at.last = ev.ID
		case ev.StateExitedEventDetails != nil && at.cur != nil && ev.Type == exitedType(at.cur.Type) &&
			ev.StateExitedEventDetails.Name == at.cur.Name && at.exitAt < at.curAt:
			at.exitAt, inside, at.last = i, false, ev.ID
			for k, v := range ev.StateExitedEventDetails.AssignedVariables {
				val, err := asl.DecodeJSONString(v)
				if err != nil {
					return at, fmt.Errorf("event %d: variable %s: %w", ev.ID, k, err)
				}
				vars[k] = val
			}
		case !inside:
			at.last = ev.ID
		}
	}
	return at, nil
}

// resumeAfterExit goes on from a state that exited: to the next state the
// journal recorded with the exit, or, at the end, to the execution's end.
func (f *frame) resumeAfterExit(ev Event, cur *asl.State, nextOf map[int64]string) error {
	next, ok := nextOf[ev.ID]
	if !ok {
		return fmt.Errorf("event %d: the state after %s was not recorded", ev.ID, cur.Name)
	}
	out, err := decodeText(ev.StateExitedEventDetails.Output)
	if err != nil {
		return fmt.Errorf("event %d: output: %w", ev.ID, err)
	}
	if o := ev.StateExitedEventDetails.Output; o != nil {
		f.text = *o
	}
	if next == "" {
		f.done(out, nil)
		return nil
	}
	f.run(next, out)
	return nil
}

// resumeEntered goes on with a state that was entered and did not exit,
// from its recorded input: a Task from its events since entry, a Wait
// until its original due time; the others, which have no effects outside
// the execution, run again (a Parallel or Map state all its branches).
func (f *frame) resumeEntered(events []Event, curAt int, cur *asl.State, retryAt map[int64]time.Time) error {
	entered := events[curAt]
	in, err := decodeText(entered.StateEnteredEventDetails.Input)
	if err != nil {
		return fmt.Errorf("event %d: input: %w", entered.ID, err)
	}
	r := &stateRun{f: f, st: cur, raw: in, entered: entered.ID, enterAt: entered.Timestamp}
	if curAt == 0 || events[curAt-1].Type == "ExecutionStarted" {
		r.rawText = f.ex.input
	}
	switch cur.Type {
	case asl.TypeTask:
		return r.resumeTask(events[curAt+1:], retryAt)
	case asl.TypeWait:
		r.resumeWait()
		return nil
	}
	// Pass, Choice, Succeed and Fail have no effects outside the execution;
	// Parallel and Map run their branches again.
	f.run(r.execute(false))
	return nil
}

// resumeWait goes on with a Wait state: it waits until the time its input
// gives, counted from its original entry, so a restart does not lengthen
// the wait.
func (r *stateRun) resumeWait() {
	root, cur, ex := r.f, r.st, r.f.ex
	env := r.env()
	win, err := cur.EffectiveInput(r.raw, env)
	if err != nil {
		root.run(r.fail(r.evalErr(err)))
		return
	}
	until, err := cur.Until(win, env, r.enterAt)
	if err != nil {
		root.run(r.fail(r.evalErr(err)))
		return
	}
	if d := until.Sub(ex.e.cfg.Clock.Now()); d > 0 {
		ex.after(d, func() {
			if root.ctx.Err() != nil {
				return
			}
			root.run(r.succeed(win, r.env()))
		})
		return
	}
	root.run(r.succeed(win, env))
}

// resumeTask goes on with a Task state from its events since entry.
func (r *stateRun) resumeTask(events []Event, retryAt map[int64]time.Time) error {
	type failure struct {
		id          int64
		name, cause string
	}
	var fails []failure
	var result *string
	lastFailed, succeeded := false, false
	for _, ev := range events {
		var fd *FailureDetails
		switch {
		case ev.LambdaFunctionFailedEventDetails != nil:
			fd = ev.LambdaFunctionFailedEventDetails
		case ev.LambdaFunctionTimedOutEventDetails != nil:
			fd = ev.LambdaFunctionTimedOutEventDetails
		case ev.TaskFailedEventDetails != nil:
			fd = &FailureDetails{Error: ev.TaskFailedEventDetails.Error, Cause: ev.TaskFailedEventDetails.Cause}
		case ev.TaskTimedOutEventDetails != nil:
			fd = &FailureDetails{Error: ev.TaskTimedOutEventDetails.Error, Cause: ev.TaskTimedOutEventDetails.Cause}
		case ev.ActivityFailedEventDetails != nil:
			fd = ev.ActivityFailedEventDetails
		case ev.ActivityTimedOutEventDetails != nil:
			fd = ev.ActivityTimedOutEventDetails
		case ev.ActivityScheduleFailedEventDetails != nil:
			fd = ev.ActivityScheduleFailedEventDetails
		case ev.ActivitySucceededEventDetails != nil:
			result, succeeded, lastFailed = ev.ActivitySucceededEventDetails.Output, true, false
			continue
		case ev.LambdaFunctionSucceededEventDetails != nil:
			result, succeeded, lastFailed = ev.LambdaFunctionSucceededEventDetails.Output, true, false
			continue
		case ev.TaskSucceededEventDetails != nil:
			result, succeeded, lastFailed = ev.TaskSucceededEventDetails.Output, true, false
			continue
		default:
			lastFailed, succeeded = false, false
			continue
		}
		fails = append(fails, failure{id: ev.ID, name: deref(fd.Error), cause: deref(fd.Cause)})
		lastFailed, succeeded = true, false
	}
	bump := func(name string) {
		if ret := r.st.MatchRetrier(name); ret != nil {
			if r.retries == nil {
				r.retries = map[*asl.Retrier]int{}
			}
			r.retries[ret]++
			r.retryN++
		}
	}
	f, ex := r.f, r.f.ex
	switch {
	case succeeded:
		for _, fl := range fails {
			bump(fl.name)
		}
		out, err := decodeText(result)
		if err != nil {
			return fmt.Errorf("task result: %w", err)
		}
		f.run(r.succeed(out, r.env()))
	case lastFailed:
		for _, fl := range fails[:len(fails)-1] {
			bump(fl.name)
		}
		fl := fails[len(fails)-1]
		at, retrying := retryAt[fl.id]
		if !retrying {
			// The crash came before the retry or catch was decided: decide now.
			f.run(r.fail(&asl.Error{Name: fl.name, Cause: fl.cause}))
			return nil
		}
		bump(fl.name)
		ex.after(max(at.Sub(ex.e.cfg.Clock.Now()), 0), func() {
			if f.ctx.Err() != nil {
				return
			}
			f.run(r.execute(false))
		})
	default:
		// In flight (or not yet scheduled): invoke again.
		for _, fl := range fails {
			bump(fl.name)
		}
		f.run(r.execute(false))
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// decodeText decodes a recorded JSON text (nil or empty: null).
func decodeText(s *string) (any, error) {
	if s == nil || len(bytes.TrimSpace([]byte(*s))) == 0 {
		return nil, nil
	}
	return asl.DecodeJSONString(*s)
}
