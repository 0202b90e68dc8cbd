package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sfnjournal "github.com/asyncjobs/stepjobs/internal/sfn/journal"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// openDurable opens an engine on file with the jobs handlers and a fake
// clock reading now; the engine is closed (cleanly) when the test ends
// unless the test crashed it.
func openDurable(t *testing.T, file string, now time.Time, h *jobHandlers, retain int) (*Engine, *FakeClock) {
	t.Helper()
	clock := NewFakeClock(now)
	reg := NewRegistry()
	h.register(reg)
	e, err := Open(Config{Clock: clock, Invokers: reg, Rand: rand.NewPCG(1, 2), DataFile: file, RetainClosed: retain})
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })
	return e, clock
}

// settle drives every listed execution to its end on the fake clock.
func settle(t *testing.T, e *Engine, clock *FakeClock, arns ...string) {
	t.Helper()
	for _, arn := range arns {
		ex, ok := e.store.Execution(arn)
		require.True(t, ok, arn)
		require.True(t, drive(e, clock, ex, true), "%s did not settle", arn)
		require.NotEqual(t, StatusRunning, ex.describe().Status, arn)
	}
}

func historyJSON(t *testing.T, e *Engine, arn string) []string {
	t.Helper()
	h, err := e.History(context.Background(), arn)
	require.NoError(t, err)
	out := make([]string, len(h))
	for i, ev := range h {
		b, err := json.Marshal(ev)
		require.NoError(t, err)
		out[i] = string(b)
	}
	return out
}

func assertIDsContinue(t *testing.T, h []Event) {
	t.Helper()
	for i, ev := range h {
		assert.Equal(t, int64(i+1), ev.ID, "event ids run 1..n without a gap")
	}
}

// Closed executions, histories and machines come back exactly as they were.
func TestDurableClosedExecutionsSurvive(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sfn.bolt")
	e, clock := openDurable(t, file, t0, &jobHandlers{}, 0)
	sm, err := e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "jobs", Definition: jobsDefinition(t), RoleARN: "role"})
	require.NoError(t, err)
	var arns []string
	for _, in := range []string{`{"records":1}`, `{"records":2}`} {
		ex, err := e.startExecution(sm.ARN, "", in)
		require.NoError(t, err)
		arns = append(arns, ex.arn)
	}
	settle(t, e, clock, arns...)
	want := map[string][]string{}
	wantInfo := map[string]ExecutionInfo{}
	for _, arn := range arns {
		want[arn] = historyJSON(t, e, arn)
		wantInfo[arn], err = e.DescribeExecution(context.Background(), arn)
		require.NoError(t, err)
	}
	wantList, err := e.ListExecutions(context.Background(), sm.ARN, "")
	require.NoError(t, err)
	require.NoError(t, e.Close())

	e2, _ := openDurable(t, file, t0.Add(time.Hour), &jobHandlers{}, 0)
	assert.Equal(t, 0, e2.Resume(), "nothing was running")
	for _, arn := range arns {
		ex, ok := e2.store.Execution(arn)
		require.True(t, ok)
		assert.Nil(t, ex.events, "an ended execution's history stays on disk until read")
		assert.Equal(t, int64(len(want[arn])), ex.stored)
	}
	got, err := e2.DescribeStateMachine(context.Background(), sm.ARN)
	require.NoError(t, err)
	assert.Equal(t, sm.Definition, got.Definition)
	assert.True(t, sm.CreationDate.Equal(got.CreationDate))
	for _, arn := range arns {
		assert.Equal(t, want[arn], historyJSON(t, e2, arn))
		info, err := e2.DescribeExecution(context.Background(), arn)
		require.NoError(t, err)
		assert.Equal(t, StatusSucceeded, info.Status)
		assert.Equal(t, wantInfo[arn].Output, info.Output)
		assert.True(t, wantInfo[arn].StartDate.Equal(info.StartDate))
		assert.True(t, wantInfo[arn].StopDate.Equal(info.StopDate))
	}
	list, err := e2.ListExecutions(context.Background(), sm.ARN, "")
	require.NoError(t, err)
	require.Len(t, list, len(wantList))
	for i := range list {
		assert.Equal(t, wantList[i].ExecutionARN, list[i].ExecutionARN, "newest first, as before")
	}
	// Creating the same machine again is still idempotent.
	_, err = e2.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "jobs", Definition: jobsDefinition(t), RoleARN: "role"})
	assert.NoError(t, err)

	// A new execution after the restart takes a new place in the file.
	clock2 := e2.cfg.Clock.(*FakeClock)
	ex, err := e2.startExecution(sm.ARN, "", `{"records":3}`)
	require.NoError(t, err)
	settle(t, e2, clock2, ex.arn)
	require.NoError(t, e2.Close())
	e3, _ := openDurable(t, file, t0.Add(2*time.Hour), &jobHandlers{}, 0)
	list, err = e3.ListExecutions(context.Background(), sm.ARN, "")
	require.NoError(t, err)
	require.Len(t, list, 3)
	assert.Equal(t, ex.arn, list[0].ExecutionARN)
	for _, arn := range append(arns, ex.arn) {
		info, err := e3.DescribeExecution(context.Background(), arn)
		require.NoError(t, err)
		assert.Equal(t, StatusSucceeded, info.Status)
	}
}

// blockingHandlers wraps jobHandlers so batchSimulation blocks until
// released: a task in flight at the crash.
func blockingSimulation(reg *Registry, started chan<- struct{}, release <-chan struct{}) {
	reg.RegisterFunction("batchSimulation", InvokerFunc(func(ctx context.Context, _ []byte) ([]byte, error) {
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return []byte(`{"bucket":"b","key":"k","records":1,"bytes":1}`), nil
	}))
}

// A task in flight at a crash is invoked again after the restart, with the
// same RetryCount; the history keeps every event and its ids go on.
func TestDurableCrashWithTaskInFlight(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sfn.bolt")
	clock := NewFakeClock(t0)
	reg := NewRegistry()
	(&jobHandlers{}).register(reg)
	started, release := make(chan struct{}, 1), make(chan struct{})
	defer close(release)
	blockingSimulation(reg, started, release)
	e, err := Open(Config{Clock: clock, Invokers: reg, DataFile: file})
	require.NoError(t, err)
	sm, err := e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "jobs", Definition: jobsDefinition(t), RoleARN: "role"})
	require.NoError(t, err)
	ex, err := e.startExecution(sm.ARN, "job-1", `{"records":3}`)
	require.NoError(t, err)
	<-started
	require.NoError(t, e.journal.Sync()) // the tick that would have passed
	before := historyJSON(t, e, ex.arn)
	e.crash()

	h := &jobHandlers{}
	e2, clock2 := openDurable(t, file, t0.Add(time.Minute), h, 0)
	info, err := e2.DescribeExecution(context.Background(), ex.arn)
	require.NoError(t, err)
	assert.Equal(t, StatusRunning, info.Status, "still running before Resume")
	assert.Equal(t, 1, e2.Resume())
	settle(t, e2, clock2, ex.arn)

	info, err = e2.DescribeExecution(context.Background(), ex.arn)
	require.NoError(t, err)
	require.Equal(t, StatusSucceeded, info.Status, "error %v cause %v", info.Error, info.Cause)
	assert.Equal(t, []int{0}, h.attempts, "invoked again once, with RetryCount 0")
	after := historyJSON(t, e2, ex.arn)
	require.Greater(t, len(after), len(before))
	assert.Equal(t, before, after[:len(before)], "the recorded history is kept as it was")
	hist, err := e2.History(context.Background(), ex.arn)
	require.NoError(t, err)
	assertIDsContinue(t, hist)
	types := eventTypes(hist)
	assert.Equal(t, "LambdaFunctionStarted", types[len(before)-1], "the crash came with Simulate started")
	assert.Equal(t, []string{"LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited"},
		types[len(before):len(before)+4], "Simulate is scheduled again and goes on")
	assert.Equal(t, "ExecutionSucceeded", types[len(types)-1])
}

// A crash right after StartExecution returned loses nothing: the answer
// was given only once ExecutionStarted was on disk.
func TestDurableCrashRightAfterStart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sfn.bolt")
	clock := NewFakeClock(t0)
	reg := NewRegistry()
	(&jobHandlers{}).register(reg)
	started, release := make(chan struct{}, 100), make(chan struct{})
	defer close(release)
	blockingSimulation(reg, started, release)
	e, err := Open(Config{Clock: clock, Invokers: reg, DataFile: file})
	require.NoError(t, err)
	sm, err := e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "jobs", Definition: jobsDefinition(t), RoleARN: "role"})
	require.NoError(t, err)
	var arns []string
	for range 20 {
		ex, err := e.startExecution(sm.ARN, "", `{}`)
		require.NoError(t, err)
		arns = append(arns, ex.arn)
	}
	e.crash()

	e2, clock2 := openDurable(t, file, t0, &jobHandlers{}, 0)
	assert.Equal(t, len(arns), e2.Resume())
	settle(t, e2, clock2, arns...)
	for _, arn := range arns {
		info, err := e2.DescribeExecution(context.Background(), arn)
		require.NoError(t, err)
		assert.Equal(t, StatusSucceeded, info.Status, arn)
		hist, err := e2.History(context.Background(), arn)
		require.NoError(t, err)
		assertIDsContinue(t, hist)
	}
}

const durableWaitDefinition = `{"StartAt":"W",%s"States":{
  "W":{"Type":"Wait","Seconds":60,"Next":"P"},
  "P":{"Type":"Pass","Result":{"done":true},"ResultPath":"$.p","End":true}}}`

// A Wait state fires at its original time after a restart, or at once when
// that time passed while the engine was down; the machine's TimeoutSeconds
// still counts from the original start.
func TestDurableWaitFiresAtOriginalTime(t *testing.T) {
	tests := []struct {
		name       string
		timeout    int
		down       time.Duration // time from the crash to the restart
		wantStatus string
		wantAt     time.Time // the closing event's time
	}{
		{name: "restart before the wait ends", down: 10 * time.Second, wantStatus: StatusSucceeded, wantAt: t0.Add(60 * time.Second)},
		{name: "restart after the wait ended", down: 5 * time.Minute, wantStatus: StatusSucceeded, wantAt: t0.Add(20*time.Second + 5*time.Minute)},
		{name: "machine timeout from the original start", timeout: 40, down: 10 * time.Second, wantStatus: StatusTimedOut, wantAt: t0.Add(40 * time.Second)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "sfn.bolt")
			e, clock := openDurable(t, file, t0, &jobHandlers{}, 0)
			def := []byte(durableWaitDefinition)
			sm, err := e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "w",
				Definition: sprintf(string(def), timeoutField(tc.timeout)), RoleARN: "role"})
			require.NoError(t, err)
			ex, err := e.startExecution(sm.ARN, "x", `{"a":1}`)
			require.NoError(t, err)
			require.NoError(t, e.WaitIdle(context.Background()))
			clock.Advance(20 * time.Second)
			require.NoError(t, e.journal.Sync())
			e.crash()

			e2, clock2 := openDurable(t, file, t0.Add(20*time.Second+tc.down), &jobHandlers{}, 0)
			require.Equal(t, 1, e2.Resume())
			settle(t, e2, clock2, ex.arn)
			hist, err := e2.History(context.Background(), ex.arn)
			require.NoError(t, err)
			assertIDsContinue(t, hist)
			info, err := e2.DescribeExecution(context.Background(), ex.arn)
			require.NoError(t, err)
			assert.Equal(t, tc.wantStatus, info.Status)
			assert.True(t, tc.wantAt.Equal(info.StopDate), "closed at %s, want %s", info.StopDate, tc.wantAt)
			if tc.wantStatus == StatusSucceeded {
				assert.JSONEq(t, `{"a":1,"p":{"done":true}}`, *info.Output)
				assert.Equal(t, []string{"ExecutionStarted", "WaitStateEntered", "WaitStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}, eventTypes(hist))
			}
		})
	}
}

// A retry backoff pending at a crash fires at its original due time (its
// jitter was journalled), and the next attempt sees RetryCount 1.
func TestDurableRetryFiresAtOriginalTime(t *testing.T) {
	// The same run without a crash gives the time the retry is due.
	control, clock, _ := newJobsEngine("transient")
	cex, ch := runEngine(t, control, clock, jobsDefinition(t), `{"records":3}`)
	require.Equal(t, StatusSucceeded, cex.describe().Status)
	var due time.Time
	n := 0
	for _, ev := range ch {
		if ev.Type == "LambdaFunctionScheduled" {
			if n++; n == 3 { // Track, Simulate, Simulate again
				due = ev.Timestamp
			}
		}
	}
	require.False(t, due.IsZero())
	require.True(t, due.After(t0), "a retry waits")

	file := filepath.Join(t.TempDir(), "sfn.bolt")
	e, _ := openDurable(t, file, t0, &jobHandlers{fail: "transient"}, 0)
	sm, err := e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "m", Definition: jobsDefinition(t), RoleARN: "role"})
	require.NoError(t, err)
	ex, err := e.startExecution(sm.ARN, "job-1", `{"records":3}`)
	require.NoError(t, err)
	require.NoError(t, e.WaitIdle(context.Background())) // in the backoff
	require.NoError(t, e.journal.Sync())
	e.crash()

	h := &jobHandlers{fail: "transient"}
	e2, clock2 := openDurable(t, file, t0, h, 0)
	require.Equal(t, 1, e2.Resume())
	settle(t, e2, clock2, ex.arn)
	info, err := e2.DescribeExecution(context.Background(), ex.arn)
	require.NoError(t, err)
	require.Equal(t, StatusSucceeded, info.Status)
	assert.Equal(t, []int{1}, h.attempts, "the retry runs once, as attempt 1")
	hist, err := e2.History(context.Background(), ex.arn)
	require.NoError(t, err)
	assertIDsContinue(t, hist)
	assert.Equal(t, eventTypes(ch), eventTypes(hist), "the same history as without the crash")
	n = 0
	for _, ev := range hist {
		if ev.Type == "LambdaFunctionScheduled" {
			if n++; n == 3 {
				assert.True(t, due.Equal(ev.Timestamp), "retried at %s, want %s", ev.Timestamp, due)
			}
		}
	}
}

// A crash between a failure and the decision on it: the decision is taken
// after the restart (here: the catcher, then RecordFailure).
func TestDurableCrashBeforeCatch(t *testing.T) {
	// A finished run, its history then cut back to "Simulate failed for
	// good" in the file: the failure recorded, nothing after it.
	perm := filepath.Join(t.TempDir(), "perm.bolt")
	ep, clockp := openDurable(t, perm, t0, &jobHandlers{fail: "permanent"}, 0)
	smp, err := ep.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "m", Definition: jobsDefinition(t), RoleARN: "role"})
	require.NoError(t, err)
	exp, err := ep.startExecution(smp.ARN, "job-1", `{}`)
	require.NoError(t, err)
	settle(t, ep, clockp, exp.arn)
	hist, err := ep.History(context.Background(), exp.arn)
	require.NoError(t, err)
	cut := 0
	for i, ev := range hist {
		if ev.Type == "LambdaFunctionFailed" {
			cut = i + 1
		}
	}
	require.NotZero(t, cut)
	require.NoError(t, ep.Close())
	truncateHistory(t, perm, exp.seq, int64(cut))

	h := &jobHandlers{}
	e2, clock2 := openDurable(t, perm, t0, h, 0)
	require.Equal(t, 1, e2.Resume())
	settle(t, e2, clock2, exp.arn)
	info, err := e2.DescribeExecution(context.Background(), exp.arn)
	require.NoError(t, err)
	assert.Equal(t, StatusFailed, info.Status)
	assert.Equal(t, "SimulatedFailure", deref(info.Error), "the recorded error is what is caught")
	got, err := e2.History(context.Background(), exp.arn)
	require.NoError(t, err)
	assertIDsContinue(t, got)
	assert.Equal(t, eventTypes(hist), eventTypes(got), "the same history as without the crash")
	assert.Empty(t, h.attempts, "Simulate is not invoked again")
}

// Retention applies to what is on disk too.
func TestDurableRetention(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sfn.bolt")
	e, clock := openDurable(t, file, t0, &jobHandlers{}, 2)
	sm, err := e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "m", Definition: jobsDefinition(t), RoleARN: "role"})
	require.NoError(t, err)
	var arns []string
	for range 5 {
		clock.Advance(time.Second)
		ex, err := e.startExecution(sm.ARN, "", `{}`)
		require.NoError(t, err)
		settle(t, e, clock, ex.arn)
		arns = append(arns, ex.arn)
	}
	require.NoError(t, e.Close())
	e2, _ := openDurable(t, file, t0, &jobHandlers{}, 0)
	list, err := e2.ListExecutions(context.Background(), sm.ARN, "")
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, arns[4], list[0].ExecutionARN)
	assert.Equal(t, arns[3], list[1].ExecutionARN)
}

// An execution whose machine no longer resolves (its function is gone)
// fails at Resume instead of staying RUNNING; an updated machine does not
// change what a running execution runs.
func TestDurableResumeKeepsVersionOrFails(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sfn.bolt")
	e, _ := openDurable(t, file, t0, &jobHandlers{}, 0)
	sm, err := e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "w", Definition: sprintf(durableWaitDefinition, ""), RoleARN: "role"})
	require.NoError(t, err)
	ex, err := e.startExecution(sm.ARN, "x", `{}`)
	require.NoError(t, err)
	require.NoError(t, e.WaitIdle(context.Background()))
	_, err = e.UpdateStateMachine(context.Background(), sm.ARN, `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"New"}}}`, "")
	require.NoError(t, err)
	require.NoError(t, e.Close())

	e2, clock2 := openDurable(t, file, t0, &jobHandlers{}, 0)
	require.Equal(t, 1, e2.Resume())
	settle(t, e2, clock2, ex.arn)
	info, err := e2.DescribeExecution(context.Background(), ex.arn)
	require.NoError(t, err)
	assert.Equal(t, StatusSucceeded, info.Status, "the version it started with")
	cur, err := e2.DescribeStateMachine(context.Background(), sm.ARN)
	require.NoError(t, err)
	assert.Contains(t, cur.Definition, `"New"`)

	// Now a running job whose function is not registered after the restart.
	file2 := filepath.Join(t.TempDir(), "sfn.bolt")
	clock := NewFakeClock(t0)
	reg := NewRegistry()
	started, release := make(chan struct{}, 1), make(chan struct{})
	defer close(release)
	(&jobHandlers{}).register(reg)
	blockingSimulation(reg, started, release)
	e3, err := Open(Config{Clock: clock, Invokers: reg, DataFile: file2})
	require.NoError(t, err)
	sm3, err := e3.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "jobs", Definition: jobsDefinition(t), RoleARN: "role"})
	require.NoError(t, err)
	ex3, err := e3.startExecution(sm3.ARN, "y", `{}`)
	require.NoError(t, err)
	<-started
	e3.crash()
	e4, err := Open(Config{Clock: NewFakeClock(t0), Invokers: NewRegistry(), DataFile: file2})
	require.NoError(t, err)
	defer e4.Close()
	e4.Resume()
	info, err = e4.Wait(context.Background(), ex3.arn)
	require.NoError(t, err)
	assert.Equal(t, StatusFailed, info.Status)
	assert.Equal(t, "States.Runtime", deref(info.Error))
	assert.Contains(t, deref(info.Cause), "could not resume")
}

// A second engine on the same file fails instead of sharing it.
func TestDurableFileLocked(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sfn.bolt")
	openDurable(t, file, t0, &jobHandlers{}, 0)
	_, err := Open(Config{DataFile: file})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "sfn.bolt")
}

// Many executions at once share commits (group commit): fewer commits than
// executions, whatever the machine's speed.
func TestDurableGroupCommit(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sfn.bolt")
	reg := NewRegistry()
	(&jobHandlers{}).register(reg)
	e, err := Open(Config{Invokers: reg, DataFile: file})
	require.NoError(t, err)
	defer e.Close()
	sm, err := e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "m", Definition: jobsDefinition(t), RoleARN: "role"})
	require.NoError(t, err)
	const n = 200
	var wg sync.WaitGroup
	arns := make([]string, n)
	for i := range n {
		wg.Go(func() {
			ex, err := e.startExecution(sm.ARN, "", `{}`)
			if assert.NoError(t, err) {
				arns[i] = ex.arn
				<-ex.done
			}
		})
	}
	wg.Wait()
	commits := fileJournal(e).Commits()
	// Each execution syncs twice (start, end): without grouping that is
	// 2n commits at least.
	assert.Less(t, commits, uint64(2*n), "commits")
	for _, arn := range arns {
		info, err := e.DescribeExecution(context.Background(), arn)
		require.NoError(t, err)
		assert.Equal(t, StatusSucceeded, info.Status)
	}
}

func timeoutField(s int) string {
	if s == 0 {
		return ""
	}
	return sprintf(`"TimeoutSeconds":%d,`, s)
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// truncateHistory deletes an execution's events after id from a closed
// data file: what a crash right after event id leaves.
func truncateHistory(t *testing.T, file string, seq uint64, id int64) {
	t.Helper()
	require.NoError(t, sfnjournal.TruncateEvents(file, seq, id))
}

// fileJournal is the journal of an engine made by Open.
func fileJournal(e *Engine) *sfnjournal.Journal[eventRecord] {
	return e.journal.(*sfnjournal.Journal[eventRecord])
}

// A failed commit loses nothing: StartExecution says the execution is not
// on disk yet, the journal keeps its operations and tries again, and once
// the disk is back the execution runs and everything is there, in order.
// Until then the execution waits: nothing runs before its start is on disk.
func TestDurableFailedCommitLosesNothing(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sfn.bolt")
	e, _ := openDurable(t, file, t0, &jobHandlers{}, 0)
	sm, err := e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "jobs", Definition: jobsDefinition(t), RoleARN: "role"})
	require.NoError(t, err)

	var failing atomic.Bool
	var failed atomic.Int32
	fileJournal(e).WrapCommit(func(write func() error) error {
		if failing.Load() {
			failed.Add(1)
			return errors.New("disk full")
		}
		return write()
	})
	failing.Store(true)
	_, err = e.startExecution(sm.ARN, "during-outage", `{"records":1}`)
	require.Error(t, err)
	assert.Equal(t, codeInternalFailure, ErrorCode(err))
	assert.ErrorContains(t, err, "disk full")
	ex, ok := e.store.Execution(e.executionARN(sm.Name, "during-outage"))
	require.True(t, ok, "the execution waits for its commit")
	_, err = e.startExecution(sm.ARN, "during-outage", `{"records":1}`)
	assert.Equal(t, codeInternalFailure, ErrorCode(err), "the same start again is not answered before the disk is back")
	require.NoError(t, e.WaitIdle(context.Background()))
	assert.Equal(t, StatusRunning, ex.describe().Status)
	hist, err := e.History(context.Background(), ex.arn)
	require.NoError(t, err)
	assert.Equal(t, []string{"ExecutionStarted"}, eventTypes(hist), "nothing ran")
	assert.Error(t, e.journal.Sync(), "still failing")

	failing.Store(false)
	require.Eventually(t, func() bool { return e.journal.Sync() == nil }, 10*time.Second, time.Millisecond,
		"the retries commit once the disk is back")
	assert.Positive(t, failed.Load())
	select { // runs on its own once its start is committed: no timer to fire
	case <-ex.done:
	case <-time.After(10 * time.Second):
		require.Fail(t, "the execution did not run once its start was on disk")
	}
	assert.Equal(t, StatusSucceeded, ex.describe().Status, "it ran once its start was on disk")
	require.NoError(t, e.journal.Sync())
	again, err := e.startExecution(sm.ARN, "during-outage", `{"records":1}`)
	require.Error(t, err, "the name is taken by the closed execution")
	assert.Nil(t, again)
	want := historyJSON(t, e, ex.arn)
	require.NoError(t, e.Close())

	e2, _ := openDurable(t, file, t0.Add(time.Hour), &jobHandlers{}, 0)
	assert.Equal(t, want, historyJSON(t, e2, ex.arn), "the whole history, ids without a gap")
	info, err := e2.DescribeExecution(context.Background(), ex.arn)
	require.NoError(t, err)
	assert.Equal(t, StatusSucceeded, info.Status)
}

// Closing with operations that cannot be committed says so.
func TestDurableCloseReportsUncommitted(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sfn.bolt")
	e, _ := openDurable(t, file, t0, &jobHandlers{}, 0)
	fileJournal(e).WrapCommit(func(func() error) error { return errors.New("disk gone") })
	_, err := e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "jobs", Definition: jobsDefinition(t), RoleARN: "role"})
	require.NoError(t, err)
	err = e.Close()
	require.Error(t, err)
	assert.ErrorContains(t, err, "not committed")
	assert.ErrorContains(t, err, "disk gone")
}

// Nothing an execution does may come before its start is on disk: the
// first task (Track writes the job record) must not run while
// ExecutionStarted waits for its commit, or a kill -9 in that window leaves
// a record RUNNING for an execution a restart does not know (issue 12).
// The commit of the start is held; Track must wait for it, and when the
// process dies instead, Track never runs and the execution never existed.
func TestDurableNothingRunsBeforeTheStartIsOnDisk(t *testing.T) {
	tests := []struct {
		name  string
		crash bool // the commit never lands: kill -9 while it is held
	}{
		{name: "the commit lands late"},
		{name: "killed before the commit", crash: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "sfn.bolt")
			clock := NewFakeClock(t0)
			reg := NewRegistry()
			(&jobHandlers{}).register(reg)
			var committed atomic.Bool
			tracked := make(chan bool, 10) // whether the start was on disk when Track ran
			reg.RegisterFunction("tracking", InvokerFunc(func(_ context.Context, in []byte) ([]byte, error) {
				tracked <- committed.Load()
				return []byte(`{"jobId":"job-1","status":"RUNNING"}`), nil
			}))
			e, err := Open(Config{Clock: clock, Invokers: reg, DataFile: file})
			require.NoError(t, err)
			sm, err := e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "jobs", Definition: jobsDefinition(t), RoleARN: "role"})
			require.NoError(t, err)
			require.NoError(t, e.journal.Sync())

			entered, gate := make(chan struct{}, 1), make(chan struct{})
			fileJournal(e).WrapCommit(func(write func() error) error {
				select {
				case entered <- struct{}{}:
				default:
				}
				<-gate
				if tc.crash {
					return errors.New("killed before the commit")
				}
				err := write()
				committed.Store(err == nil)
				return err
			})
			type result struct {
				ex  *execution
				err error
			}
			started := make(chan result, 1)
			go func() {
				ex, err := e.startExecution(sm.ARN, "job-1", `{"records":1}`)
				started <- result{ex, err}
			}()
			<-entered
			select {
			case onDisk := <-tracked:
				require.Fail(t, "Track ran while the start's commit was held", "start on disk: %v", onDisk)
			case <-time.After(200 * time.Millisecond):
			}
			close(gate)
			res := <-started
			if !tc.crash {
				require.NoError(t, res.err)
				select {
				case onDisk := <-tracked:
					assert.True(t, onDisk, "Track runs once the start is on disk")
				case <-time.After(10 * time.Second):
					require.Fail(t, "Track never ran")
				}
				require.True(t, drive(e, clock, res.ex, true))
				assert.Equal(t, StatusSucceeded, res.ex.describe().Status)
				require.NoError(t, e.Close())
				return
			}
			require.Error(t, res.err, "the start was never on disk")
			assert.Equal(t, codeInternalFailure, ErrorCode(res.err))
			e.crash()
			select {
			case <-tracked:
				require.Fail(t, "Track ran for an execution that was never on disk")
			case <-time.After(100 * time.Millisecond):
			}

			e2, _ := openDurable(t, file, t0.Add(time.Minute), &jobHandlers{}, 0)
			assert.Equal(t, 0, e2.Resume())
			_, err = e2.DescribeExecution(context.Background(), e.executionARN(sm.Name, "job-1"))
			assert.Equal(t, codeExecutionDoesNotExist, ErrorCode(err), "the start did not survive, and nothing ran for it")
		})
	}
}
