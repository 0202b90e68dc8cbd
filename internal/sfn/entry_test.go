package sfn

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every event read back from the journal is compacted: expanding it again
// must give the same event, whichever shape it has.
func TestCompactExpandRoundTrip(t *testing.T) {
	ts := time.Unix(1767225600, 123456789)
	ten := int64(10)
	zero := int64(0)
	truncated := &Details{Truncated: true}
	cases := []struct {
		name string
		ev   Event
		kind entryKind
	}{
		{"plain", Event{Type: "LambdaFunctionStarted"}, kindPlain},
		{"entered", Event{Type: "TaskStateEntered", StateEnteredEventDetails: &StateEnteredDetails{Name: "A", Input: strp(`{}`), InputDetails: notTruncated}}, kindEntered},
		{"entered without input", Event{Type: "TaskStateEntered", StateEnteredEventDetails: &StateEnteredDetails{Name: "A"}}, kindFull},
		{"entered truncated", Event{Type: "TaskStateEntered", StateEnteredEventDetails: &StateEnteredDetails{Name: "A", Input: strp(`{}`), InputDetails: truncated}}, kindFull},
		{"exited", Event{Type: "PassStateExited", StateExitedEventDetails: &StateExitedDetails{Name: "B", Output: strp(`[1]`), OutputDetails: notTruncated}}, kindExited},
		{"exited with variables", Event{Type: "PassStateExited", StateExitedEventDetails: &StateExitedDetails{Name: "B", Output: strp(`1`), OutputDetails: notTruncated,
			AssignedVariables: map[string]string{"x": "1"}, AssignedVariablesDetails: notTruncated}}, kindFull},
		{"lambda scheduled", Event{Type: "LambdaFunctionScheduled", LambdaFunctionScheduledEventDetails: &LambdaScheduledDetails{Resource: "arn:fn", Input: strp(`{"a":1}`), InputDetails: notTruncated, TimeoutInSeconds: &ten}}, kindLambdaSched},
		{"lambda scheduled without timeout", Event{Type: "LambdaFunctionScheduled", LambdaFunctionScheduledEventDetails: &LambdaScheduledDetails{Resource: "arn:fn", Input: strp(`{}`), InputDetails: notTruncated}}, kindLambdaSched},
		{"lambda scheduled with a zero timeout", Event{Type: "LambdaFunctionScheduled", LambdaFunctionScheduledEventDetails: &LambdaScheduledDetails{Resource: "arn:fn", Input: strp(`{}`), InputDetails: notTruncated, TimeoutInSeconds: &zero}}, kindFull},
		{"lambda succeeded", Event{Type: "LambdaFunctionSucceeded", LambdaFunctionSucceededEventDetails: &OutputDetails{Output: strp(`"x"`), OutputDetails: notTruncated}}, kindLambdaOK},
		{"execution started", Event{Type: "ExecutionStarted", ExecutionStartedEventDetails: &ExecutionStartedDetails{Input: strp(`{}`), InputDetails: notTruncated, RoleARN: "arn:role"}}, kindExecStarted},
		{"execution succeeded", Event{Type: "ExecutionSucceeded", ExecutionSucceededEventDetails: &OutputDetails{Output: strp(`{}`), OutputDetails: notTruncated}}, kindExecSucceeded},
		{"execution succeeded without output", Event{Type: "ExecutionSucceeded", ExecutionSucceededEventDetails: &OutputDetails{OutputDetails: notTruncated}}, kindExecSucceededNil},
		{"execution failed", Event{Type: "ExecutionFailed", ExecutionFailedEventDetails: &FailureDetails{Error: strp("E"), Cause: strp("c")}}, kindFull},
		{"two details", Event{Type: "X", StateEnteredEventDetails: &StateEnteredDetails{Name: "A", Input: strp(`{}`), InputDetails: notTruncated},
			LambdaFunctionSucceededEventDetails: &OutputDetails{Output: strp(`1`), OutputDetails: notTruncated}}, kindFull},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.ev.ID, c.ev.PreviousEventID, c.ev.Timestamp = 7, 5, ts
			en := compact(c.ev)
			assert.Equal(t, c.kind, en.kind)
			got := en.expand(7)
			require.True(t, got.Timestamp.Equal(ts), "timestamp %v", got.Timestamp)
			got.Timestamp = ts
			assert.Equal(t, c.ev, got)
		})
	}
}

// detailCount must see every detail field Event has.
func TestDetailCount(t *testing.T) {
	assert.Equal(t, 0, (&Event{Type: "X"}).detailCount())
	assert.Equal(t, 2, (&Event{TaskSubmittedEventDetails: &TaskOutputDetails{}, MapRunFailedEventDetails: &FailureDetails{}}).detailCount())
}
