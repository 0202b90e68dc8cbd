package test

// RecordSuccess writes the record SUCCEEDED, then its answer is lost: the
// state's timeout runs out, or the function fails after the write. The job's
// work succeeded and the record says so; the execution must end SUCCEEDED
// too, with the output a normal success gives, through the real definition,
// engine, handlers, dynalite and status change rule.

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/offline"
	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// How a job's status-update answers are lost, chosen by the job's
// Idempotency-Key (the end of its jobId).
const (
	answerKept      = "answers-kept"       // nothing lost: the happy path
	lostByTimeout   = "success-timed-out"  // RecordSuccess writes, then hangs until States.Timeout
	lostByError     = "success-then-error" // RecordSuccess writes, then fails (Lambda.Unknown, not retried)
	lostEverywhere  = "all-answers-lost"   // RecordSuccess and RecordFailure both time out after writing
	lostErrorType   = "Lambda.Unknown"
	lostErrorReason = "injected: the function failed after its write"
)

// losingStatusUpdate is status-update with answers lost as the job's key
// says, and every call recorded.
type losingStatusUpdate struct {
	mu    sync.Mutex
	calls map[string][]job.StatusInput
}

func (l *losingStatusUpdate) functions() map[string]offline.FunctionFactory {
	return withStatusUpdate(func(inv sfn.Invoker) sfn.Invoker {
		return sfn.InvokerFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
			var in job.StatusInput
			if err := json.Unmarshal(payload, &in); err != nil {
				return nil, fmt.Errorf("status-update payload: %w", err)
			}
			l.mu.Lock()
			l.calls[in.JobID] = append(l.calls[in.JobID], in)
			l.mu.Unlock()
			out, err := inv.Invoke(ctx, payload)
			fromStateMachine := in.Status == job.StatusSucceeded || in.Source == job.SourceRecordFailure
			switch {
			case strings.HasSuffix(in.JobID, lostByTimeout) && in.Status == job.StatusSucceeded,
				strings.HasSuffix(in.JobID, lostEverywhere) && fromStateMachine:
				<-ctx.Done() // the state's TimeoutSeconds ends the attempt
				return nil, ctx.Err()
			case strings.HasSuffix(in.JobID, lostByError) && in.Status == job.StatusSucceeded:
				return nil, messages.InvokeResponse_Error{Type: lostErrorType, Message: lostErrorReason}
			}
			return out, err
		})
	})
}

func (l *losingStatusUpdate) of(jobID string) []job.StatusInput {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]job.StatusInput(nil), l.calls[jobID]...)
}

// statesEntered lists the states of a history in the order entered.
func statesEntered(hist []sfn.Event) []string {
	var out []string
	for _, ev := range hist {
		if d := ev.StateEnteredEventDetails; d != nil {
			out = append(out, d.Name)
		}
	}
	return out
}

func TestE2ERecordSuccessAnswerLost(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for task timeouts")
	}
	losing := &losingStatusUpdate{calls: map[string][]job.StatusInput{}}
	cfg := testConfig()
	cfg.Functions = losing.functions()
	cfg.Clock = newScaledClock(20) // RecordSuccess's 30 s timeout in 1.5 s
	rt := own(t, cfg)

	happyPath := []string{"Track", "Simulate", "RecordSuccess", "Done"}
	rescued := []string{"Track", "Simulate", "RecordSuccess", "RecordFailure", "CheckRecord", "AlreadySucceeded"}
	tests := []struct {
		key        string
		wantStatus string
		wantPath   []string
		// wantCalls: the statuses the state machine called status-update with, in order.
		wantCalls []job.Status
		// wantRuleCalls: the status change rule's calls at least (FAILED, no source).
		wantRuleCalls int
		// wantError: the error RecordFailure saw, and a FAILED execution ends with.
		wantError string
	}{
		{key: answerKept, wantStatus: sfn.StatusSucceeded, wantPath: happyPath,
			wantCalls: []job.Status{job.StatusSucceeded}},
		{key: lostByTimeout, wantStatus: sfn.StatusSucceeded, wantPath: rescued, wantError: "States.Timeout",
			// RecordSuccess retries its timeout twice, each retry finding the record SUCCEEDED.
			wantCalls: []job.Status{job.StatusSucceeded, job.StatusSucceeded, job.StatusSucceeded, job.StatusFailed}},
		{key: lostByError, wantStatus: sfn.StatusSucceeded, wantPath: rescued, wantError: lostErrorType,
			wantCalls: []job.Status{job.StatusSucceeded, job.StatusFailed}},
		// Both answers lost: the state machine cannot learn what the record says, so
		// the execution ends FAILED; the status change rule's FAILED is then refused
		// (the record says SUCCEEDED) and waits in the dead-letter queue for an operator.
		{key: lostEverywhere, wantStatus: sfn.StatusFailed, wantError: "States.Timeout",
			wantPath: []string{"Track", "Simulate", "RecordSuccess", "RecordFailure", "JobFailed"},
			wantCalls: []job.Status{job.StatusSucceeded, job.StatusSucceeded, job.StatusSucceeded,
				job.StatusFailed, job.StatusFailed, job.StatusFailed}, // RecordFailure retries its timeouts too
			// Delivered, retried twice as Lambda does, then redriven from the dead-letter queue.
			wantRuleCalls: 3},
	}
	arns := make([]string, len(tests))
	for i, tc := range tests {
		arns[i] = startJob(t, rt, tc.key, `{"records": 5, "seed": 3}`)
		require.NotEmpty(t, arns[i], tc.key)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	eng := rt.srv.Engine()
	infos := make([]sfn.ExecutionInfo, len(tests))
	for i, arn := range arns {
		var err error
		infos[i], err = eng.Wait(ctx, arn)
		require.NoError(t, err)
	}
	require.NoError(t, rt.srv.WaitDelivered(ctx))

	var normalOutput map[string]any
	for i, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			info := infos[i]
			require.Equal(t, tc.wantStatus, info.Status, "execution status")
			hist, err := eng.History(ctx, info.ExecutionARN)
			require.NoError(t, err)
			assert.Equal(t, tc.wantPath, statesEntered(hist))

			var got []job.Status
			ruleCalls := 0
			for _, c := range losing.of(info.Name) {
				switch {
				case c.Status == job.StatusSucceeded:
					got = append(got, c.Status)
				case c.Source == job.SourceRecordFailure:
					got = append(got, c.Status)
					assert.Equal(t, tc.wantError, c.Error, "RecordFailure records the error RecordSuccess ended with")
				default:
					ruleCalls++
					assert.Equal(t, job.StatusFailed, c.Status)
				}
			}
			assert.Equal(t, tc.wantCalls, got, "the state machine's status-update calls")
			if tc.wantRuleCalls == 0 {
				assert.Zero(t, ruleCalls, "the status change rule does not see a SUCCEEDED execution")
			} else {
				assert.GreaterOrEqual(t, ruleCalls, tc.wantRuleCalls, "the status change rule's calls")
			}

			rec, err := rt.jobs.Get(ctx, info.Name)
			require.NoError(t, err)
			assert.Equal(t, job.StatusSucceeded, rec.Status, "RecordSuccess wrote the record every time")
			assert.Equal(t, info.ExecutionARN, rec.ExecutionARN)
			assert.Empty(t, rec.Error, "no failure was written over the success")

			if tc.wantStatus == sfn.StatusFailed {
				assert.Equal(t, tc.wantError, deref(info.Error), "FAILED with the original error")
				return
			}
			// The output a normal success gives: {jobId, status, result}, the record's.
			require.NotNil(t, info.Output)
			want, err := json.Marshal(job.StatusOutput{JobID: rec.ID, Status: rec.Status, Result: rec.Result})
			require.NoError(t, err)
			assert.JSONEq(t, string(want), *info.Output)
			var out map[string]any
			require.NoError(t, json.Unmarshal([]byte(*info.Output), &out))
			if tc.key == answerKept {
				normalOutput = out
				assert.Len(t, hist, 19, "the happy path's history: start, 3 tasks of 5 events, Done's 2, the end")
			} else if assert.NotNil(t, normalOutput) {
				assert.Equal(t, fieldNames(normalOutput), fieldNames(out), "the fields of a normal success's output")
				assert.Equal(t, fieldNames(normalOutput["result"]), fieldNames(out["result"]), "and of its result")
				assert.Equal(t, normalOutput["status"], out["status"])
			}
		})
	}
	assert.Equal(t, 1, rt.srv.DeadLetters(), "only the job whose every answer was lost disagrees, and an operator sees it")
}

// fieldNames lists the names of a JSON object's fields, sorted; nil for
// anything else.
func fieldNames(v any) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	return slices.Sorted(maps.Keys(m))
}

// TestE2EStopAfterLostSuccess: RecordSuccess wrote the record SUCCEEDED,
// its answer is lost, and the caller stops the job while the state machine
// still waits for it (issue 12). The job's work is done and its result
// recorded: a stop that comes too late cannot take it back. Step Functions
// says ABORTED (describe reads it), the record keeps SUCCEEDED with its
// result (the result link answers 200), and the status change rule's
// ABORTED is answered without a write and without an error, so nothing
// waits in the dead-letter queue and nothing is redriven.
func TestE2EStopAfterLostSuccess(t *testing.T) {
	if testing.Short() {
		t.Skip("stops a job")
	}
	wrote := make(chan string, 1)
	var mu sync.Mutex
	var ruleErrs []error
	ruleCalls := 0
	cfg := testConfig()
	cfg.Functions = withStatusUpdate(func(inv sfn.Invoker) sfn.Invoker {
		return sfn.InvokerFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
			var in job.StatusInput
			if err := json.Unmarshal(payload, &in); err != nil {
				return nil, fmt.Errorf("status-update payload: %w", err)
			}
			out, err := inv.Invoke(ctx, payload)
			if in.Status == job.StatusSucceeded {
				wrote <- in.JobID
				<-ctx.Done() // the answer is lost: the stop ends the wait
				return nil, ctx.Err()
			}
			if in.Source == "" { // the status change rule
				mu.Lock()
				ruleCalls++
				ruleErrs = append(ruleErrs, err)
				mu.Unlock()
			}
			return out, err
		})
	})
	rt := own(t, cfg)

	arn, jobID := rt.start(t, `{"records": 5, "seed": 3}`, "Idempotency-Key", "stopped-after-success")
	select {
	case id := <-wrote:
		require.Equal(t, jobID, id)
	case <-time.After(30 * time.Second):
		require.FailNow(t, "RecordSuccess did not run")
	}
	body, err := json.Marshal(map[string]string{"executionArn": arn})
	require.NoError(t, err)
	stop := rt.post(t, "/stop-execution", body)
	require.Equal(t, 200, stop.Status, stop.String())

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	info, err := rt.srv.Engine().Wait(ctx, arn)
	require.NoError(t, err)
	require.NoError(t, rt.srv.WaitDelivered(ctx))

	assert.Equal(t, "ABORTED", rt.describe(t, arn).Body["status"], "Step Functions' view: stopped before it heard the answer")
	assert.Equal(t, sfn.StatusAborted, info.Status)
	rec, err := rt.jobs.Get(ctx, jobID)
	require.NoError(t, err)
	assert.Equal(t, job.StatusSucceeded, rec.Status, "the record keeps the result it was given")
	require.NotNil(t, rec.Result)
	link := rt.get(t, "/jobs/"+jobID+"/result")
	assert.Equal(t, 200, link.Status, "the result was recorded: the link is given: %s", link)
	assert.NotEmpty(t, link.Body["url"])

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 1, ruleCalls, "the rule's ABORTED is delivered once: no retry, no redrive")
	assert.Equal(t, []error{nil}, ruleErrs, "and answered without an error")
	assert.Zero(t, rt.srv.DeadLetters(), "nothing waits in the dead-letter queue")
}
