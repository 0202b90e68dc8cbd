package offline

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/callback"
	"github.com/asyncjobs/stepjobs/internal/eventbridge"
	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/sfn"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
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
	r := ruleOf(t, rules, "statusUpdate")

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

// ruleOf is the one rule whose target is target (a function's key or a
// queue's ARN).
func ruleOf(t *testing.T, rules []slsconfig.EventRule, target string) slsconfig.EventRule {
	t.Helper()
	var out []slsconfig.EventRule
	for _, r := range rules {
		if r.Function == target || r.Queue == target {
			out = append(out, r)
		}
	}
	require.Len(t, out, 1, "the rules of %s", target)
	return out[0]
}

// The callback rule (resources/callbacks.yml, CallbackRule) puts on the
// callbacks queue, for the notifier, the whole event of every final status
// of the jobs' state machine, its input (the callbackUrl) and output (the
// result) included.
func TestProjectCallbackRule(t *testing.T) {
	svc := loadProject(t)
	names := newStackNames(svc, "aws", map[string]string{"ResultsBucket": "b"})
	rules, err := svc.EventRules(names)
	require.NoError(t, err)
	queue, _ := names.GetAtt("CallbackQueue", "Arn")
	r := ruleOf(t, rules, queue)
	machine := names.stateMachineARN("stepjobs-dev-jobs")
	in, out := `{"callbackUrl":"https://h.example.com/x"}`, `{"result":{"key":"k"}}`
	for status, match := range map[string]bool{sfn.StatusSucceeded: true, sfn.StatusFailed: true, sfn.StatusAborted: true,
		sfn.StatusTimedOut: true, sfn.StatusRunning: false} {
		t.Run(status, func(t *testing.T) {
			got, matched, err := eventbridge.Payload(r, sfn.StatusChange{ExecutionARN: "arn:x", StateMachineARN: machine,
				Name: "0123456789abcdef-k", Status: status, Input: in, Output: &out, Time: time.Now()}, "us-east-1", "000000000000")
			require.NoError(t, err)
			require.Equal(t, match, matched)
			if !match {
				return
			}
			var ev callback.Event
			require.NoError(t, json.Unmarshal(got, &ev), "the notifier reads it")
			assert.Equal(t, "0123456789abcdef-k", ev.Detail.Name)
			assert.Equal(t, status, ev.Detail.Status)
			require.NotNil(t, ev.Detail.Input)
			assert.Equal(t, in, *ev.Detail.Input)
			require.NotNil(t, ev.Detail.Output)
			assert.Equal(t, out, *ev.Detail.Output)
		})
	}
	other, matched, err := eventbridge.Payload(r, sfn.StatusChange{StateMachineARN: "arn:aws:states:us-east-1:000000000000:stateMachine:other",
		Status: sfn.StatusSucceeded, Input: in}, "us-east-1", "000000000000")
	require.NoError(t, err)
	assert.False(t, matched, "%s", other)
	_, matched, err = eventbridge.Payload(r, sfn.StatusChange{StateMachineARN: machine, Status: sfn.StatusSucceeded,
		Input: `{"records":10}`}, "us-east-1", "000000000000")
	require.NoError(t, err)
	assert.False(t, matched, "a job without a callbackUrl is left out")
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestProjectRuleDeliversOnce: with nothing failing, each status change the
// project's rules match reaches its target exactly once, and nothing
// delivers it again later: status-update hears of FAILED, ABORTED and
// TIMED_OUT, the callbacks queue of those and SUCCEEDED when the job asked
// for a callback, neither of RUNNING.
func TestProjectRuleDeliversOnce(t *testing.T) {
	svc := loadProject(t)
	names := newStackNames(svc, "aws", map[string]string{"ResultsBucket": "b"})
	rules, err := svc.EventRules(names)
	require.NoError(t, err)
	machine := names.stateMachineARN("stepjobs-dev-jobs")
	tests := map[string][2]int{ // status-update's, the callbacks queue's
		sfn.StatusFailed: {1, 1}, sfn.StatusAborted: {1, 1}, sfn.StatusTimedOut: {1, 1}, sfn.StatusSucceeded: {0, 1}, sfn.StatusRunning: {0, 0}}
	for _, input := range []string{`{"records":10,"callbackUrl":"https://h.example.com/x"}`, `{"records":10}`} {
		for status, want := range tests {
			if !strings.Contains(input, "callbackUrl") {
				want[1] = 0
			}
			t.Run(status+" "+input, func(t *testing.T) {
				inv := map[string]*countingInvoker{"statusUpdate": {}, "callbacks": {}}
				e := eventbridge.New(rules, func(key string) (sfn.Invoker, bool) { return inv[key], true }, "us-east-1", "000000000000", slog.New(slog.DiscardHandler))
				e.DeliverToQueues(func(ctx context.Context, _ string, body []byte) error {
					_, err := inv["callbacks"].Invoke(ctx, body)
					return err
				})
				e.Observe(sfn.StatusChange{ExecutionARN: "arn:x:0123456789abcdef-k", StateMachineARN: machine, Name: "0123456789abcdef-k",
					Status: status, Input: input, Time: time.Now()})
				require.NoError(t, e.Wait(t.Context()))
				time.Sleep(20 * time.Millisecond) // no late second delivery
				e.Stop(t.Context())
				assert.Equal(t, want, [2]int{inv["statusUpdate"].count(), inv["callbacks"].count()})
				assert.Zero(t, e.Parked())
			})
		}
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
