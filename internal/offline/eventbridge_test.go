package offline

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/eventbridge"
	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// The EventBridge rules of the project's serverless.yml, named as the local
// runtime names the stack (lookup.go); internal/eventbridge tests the
// emulator itself.

// The project's rule (serverless.yml, statusUpdate's eventBridge event)
// turns the status change of a failed, stopped or timed-out execution into
// the status-update input (with the execution's error and cause), and
// ignores every other change.
func TestProjectStatusChangeRule(t *testing.T) {
	svc := loadProject(t)
	names := newStackNames(svc, "aws", map[string]string{"ResultsBucket": "b"})
	rules, err := svc.EventRules(names)
	require.NoError(t, err)
	require.Len(t, rules, 1)
	r := rules[0]
	assert.Equal(t, "statusUpdate", r.Function)

	machine := names.stateMachineARN("stepjobs-dev-jobs")
	arn := "arn:aws:states:us-east-1:000000000000:execution:stepjobs-dev-jobs:0123456789abcdef-k1"
	at := time.Date(2026, 11, 23, 22, 0, 0, 0, time.UTC)
	errName, cause := "SimulatedFailure", `{"errorMessage":"boom \"x\""}`
	tests := []struct {
		status, machine string
		err, cause      *string
		want            string // "" when the rule does not match
	}{
		{status: sfn.StatusAborted, machine: machine,
			want: `{"jobId":"0123456789abcdef-k1","executionArn":"` + arn + `","status":"ABORTED","error":null,"cause":null}`},
		{status: sfn.StatusTimedOut, machine: machine,
			want: `{"jobId":"0123456789abcdef-k1","executionArn":"` + arn + `","status":"TIMED_OUT","error":null,"cause":null}`},
		{status: sfn.StatusFailed, machine: machine, err: &errName, cause: &cause,
			want: `{"jobId":"0123456789abcdef-k1","executionArn":"` + arn + `","status":"FAILED","error":"SimulatedFailure","cause":` + strconvQuote(cause) + `}`},
		{status: sfn.StatusSucceeded, machine: machine},
		{status: sfn.StatusRunning, machine: machine},
		{status: sfn.StatusAborted, machine: "arn:aws:states:us-east-1:000000000000:stateMachine:other"},
		{status: sfn.StatusFailed, machine: "arn:aws:states:us-east-1:000000000000:stateMachine:other"},
	}
	for _, tc := range tests {
		t.Run(tc.status+" "+tc.machine, func(t *testing.T) {
			got, matched, err := eventbridge.Payload(r, sfn.StatusChange{ExecutionARN: arn, StateMachineARN: tc.machine,
				Name: "0123456789abcdef-k1", Status: tc.status, Error: tc.err, Cause: tc.cause, Time: at}, "us-east-1", "000000000000")
			require.NoError(t, err)
			if tc.want == "" {
				assert.False(t, matched)
				return
			}
			require.True(t, matched)
			assert.JSONEq(t, tc.want, string(got))
			var in job.StatusInput
			require.NoError(t, json.Unmarshal(got, &in), "status-update reads it")
			assert.Equal(t, job.Status(tc.status), in.Status)
			if tc.err != nil {
				assert.Equal(t, *tc.err, in.Error)
				assert.Equal(t, *tc.cause, in.Cause)
			}
		})
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestProjectRuleDeliversOnce: with nothing failing, each status change the
// project's rule matches (FAILED, ABORTED, TIMED_OUT) reaches status-update
// exactly once, and nothing delivers it again later; SUCCEEDED and RUNNING
// never do.
func TestProjectRuleDeliversOnce(t *testing.T) {
	svc := loadProject(t)
	names := newStackNames(svc, "aws", map[string]string{"ResultsBucket": "b"})
	rules, err := svc.EventRules(names)
	require.NoError(t, err)
	machine := names.stateMachineARN("stepjobs-dev-jobs")
	tests := map[string]int{sfn.StatusFailed: 1, sfn.StatusAborted: 1, sfn.StatusTimedOut: 1, sfn.StatusSucceeded: 0, sfn.StatusRunning: 0}
	for status, want := range tests {
		t.Run(status, func(t *testing.T) {
			inv := &countingInvoker{}
			e := eventbridge.New(rules, func(string) (sfn.Invoker, bool) { return inv, true }, "us-east-1", "000000000000", slog.New(slog.DiscardHandler))
			e.Observe(sfn.StatusChange{ExecutionARN: "arn:x:0123456789abcdef-k", StateMachineARN: machine, Name: "0123456789abcdef-k",
				Status: status, Time: time.Now()})
			require.NoError(t, e.Wait(t.Context()))
			time.Sleep(20 * time.Millisecond) // no late second delivery
			e.Stop(t.Context())
			assert.Equal(t, want, inv.count())
			assert.Zero(t, e.Parked())
		})
	}
}

// countingInvoker counts its calls.
type countingInvoker struct {
	mu    sync.Mutex
	calls int
}

func (c *countingInvoker) Invoke(context.Context, []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	return []byte(`{}`), nil
}

func (c *countingInvoker) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}
