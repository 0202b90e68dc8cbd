package sfn

import (
	"math"
	"testing"
	"time"
	"unsafe"

	"github.com/asyncjobs/stepjobs/internal/asl"

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

// A finished execution keeps an entry per event: they must stay small.
func TestEntrySize(t *testing.T) {
	assert.Equal(t, uintptr(64), unsafe.Sizeof(entry{}))
}

// Every code names a distinct type, which eventCodeOf finds again.
func TestEventCodes(t *testing.T) {
	seen := map[EventType]bool{}
	for c := evNone + 1; c < numEventCodes; c++ {
		typ := eventCodeTypes[c]
		require.NotEmpty(t, typ, "code %d", c)
		assert.False(t, seen[typ], "%s twice", typ)
		seen[typ] = true
		assert.Equal(t, c, eventCodeOf(typ))
	}
	assert.Equal(t, evNone, eventCodeOf("NoSuchEvent"))
}

// stateEntry gives each state type's entered and exited types, and a
// kindFull entry for a type it has no code for.
func TestStateEntry(t *testing.T) {
	types := []asl.StateType{asl.TypeTask, asl.TypePass, asl.TypeChoice, asl.TypeWait, asl.TypeSucceed,
		asl.TypeFail, asl.TypeParallel, asl.TypeMap, "Unknown"}
	for _, st := range types {
		t.Run(string(st), func(t *testing.T) {
			en := stateEntry(st, false, entry{ts: 1, kind: kindEntered, name: "A", payload: `{}`})
			in := en.expand(3)
			assert.Equal(t, enteredType(st), in.Type)
			assert.Equal(t, &StateEnteredDetails{Name: "A", Input: strp(`{}`), InputDetails: notTruncated}, in.StateEnteredEventDetails)
			en = stateEntry(st, true, entry{ts: 1, kind: kindExited, name: "A", payload: `1`})
			out := en.expand(4)
			assert.Equal(t, exitedType(st), out.Type)
			assert.Equal(t, &StateExitedDetails{Name: "A", Output: strp(`1`), OutputDetails: notTruncated}, out.StateExitedEventDetails)
		})
	}
}

// A timeout too large for an entry's int32 is kept whole.
func TestLambdaScheduledEntry(t *testing.T) {
	cases := []struct {
		name    string
		timeout int64
		kind    entryKind
	}{
		{"none", 0, kindLambdaSched},
		{"small", 30, kindLambdaSched},
		{"largest int32", math.MaxInt32, kindLambdaSched},
		{"beyond int32", math.MaxInt32 + 1, kindFull},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			en := lambdaScheduledEntry("arn:fn", `{}`, c.timeout)
			assert.Equal(t, c.kind, en.kind)
			ev := en.expand(2)
			assert.Equal(t, EventType("LambdaFunctionScheduled"), ev.Type)
			d := ev.LambdaFunctionScheduledEventDetails
			require.NotNil(t, d)
			assert.Equal(t, "arn:fn", d.Resource)
			if c.timeout == 0 {
				assert.Nil(t, d.TimeoutInSeconds)
			} else {
				require.NotNil(t, d.TimeoutInSeconds)
				assert.Equal(t, c.timeout, *d.TimeoutInSeconds)
			}
		})
	}
}
