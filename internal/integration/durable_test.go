package integration_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/integration"
	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// openEngine opens the durable engine on file with the Step Functions
// integrations registered before it opens (it resolves the machines it
// loads), as the local runtime does with --data.
func openEngine(t *testing.T, file string, clock *sfn.FakeClock) *sfn.Engine {
	t.Helper()
	reg := sfn.NewRegistry()
	late := &integration.LateEngine{}
	integration.Register(reg, integration.Config{StepFunctions: late})
	eng, err := sfn.Open(sfn.Config{Region: "us-east-1", AccountID: "123456789012", Invokers: reg, Clock: clock, DataFile: file})
	require.NoError(t, err)
	late.Set(eng)
	return eng
}

// A .sync:2 task whose child was running when the runtime stopped goes on
// after the restart: it is sent again, finds its named child (StartExecution
// is idempotent for the same name and input while the child runs) and ends
// as the child does.
func TestDurableSyncChild(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sfn.bolt")
	t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	clock := sfn.NewFakeClock(t0)
	eng := openEngine(t, file, clock)
	ctx := context.Background()
	child, err := eng.CreateStateMachine(ctx, sfn.CreateStateMachineInput{Name: "child", RoleARN: role,
		Definition: `{"StartAt":"Wait","States":{"Wait":{"Type":"Wait","Seconds":60,"Next":"Done"},"Done":{"Type":"Pass","Result":{"shipped":true},"End":true}}}`})
	require.NoError(t, err)
	parent, err := eng.CreateStateMachine(ctx, sfn.CreateStateMachineInput{Name: "parent", RoleARN: role,
		Definition: `{"StartAt":"Ship","States":{"Ship":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2",
		  "Parameters":{"StateMachineArn":"` + child.ARN + `","Name":"ship-1","Input":{"order":1}},"ResultSelector":{"out.$":"$.Output"},"End":true}}}`})
	require.NoError(t, err)
	started, err := eng.StartExecution(ctx, parent.ARN, "order-1", `{}`)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		h, _ := eng.History(ctx, started.ExecutionARN)
		return len(eventsOf(h, "TaskSubmitted")) == 1
	}, 10*time.Second, time.Millisecond, "the child started")
	require.NoError(t, eng.Close())

	clock2 := sfn.NewFakeClock(t0.Add(30 * time.Second))
	eng2 := openEngine(t, file, clock2)
	t.Cleanup(func() { _ = eng2.Close() })
	assert.Equal(t, 2, eng2.Resume(), "the parent and its child resume")
	// The child waits, and the parent has sent its start again (a child
	// that ended before that answers ExecutionAlreadyExists: docs/durability.md).
	require.Eventually(t, func() bool {
		h, _ := eng2.History(ctx, started.ExecutionARN)
		return clock2.Pending() > 0 && len(eventsOf(h, "TaskSubmitted")) == 2
	}, 10*time.Second, time.Millisecond, "the child waits and the parent waits for it")
	clock2.Advance(time.Minute)
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	done, err := eng2.Wait(wctx, started.ExecutionARN)
	require.NoError(t, err)
	require.Equal(t, sfn.StatusSucceeded, done.Status, "%v %v", deref(done.Error), deref(done.Cause))
	assert.JSONEq(t, `{"out":{"shipped":true}}`, *done.Output)
	runs, err := eng2.ListExecutions(ctx, child.ARN, "")
	require.NoError(t, err)
	assert.Len(t, runs, 1, "the same child, not a second one")
	h, err := eng2.History(ctx, started.ExecutionARN)
	require.NoError(t, err)
	assert.Len(t, eventsOf(h, "TaskScheduled"), 2, "sent again after the restart")
	assert.Len(t, eventsOf(h, "TaskSubmitted"), 2)
	assert.Len(t, eventsOf(h, "TaskSucceeded"), 1)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
