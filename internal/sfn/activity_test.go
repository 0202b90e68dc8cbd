package sfn

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/asyncjobs/stepjobs/internal/asl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// activityDefinition runs the activity Work with a timeout and a heartbeat,
// retries a failure named Retryable once and catches anything else.
func activityDefinition(arn string) string {
	return `{"StartAt":"Work","States":{
	"Work":{"Type":"Task","Resource":"` + arn + `","TimeoutSeconds":30,"HeartbeatSeconds":10,
		"Parameters":{"job.$":"$.job"},
		"Retry":[{"ErrorEquals":["Retryable"],"IntervalSeconds":1,"MaxAttempts":1}],
		"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true},
	"Caught":{"Type":"Pass","End":true}}}`
}

// startActivityExecution creates the activity (when create) and a machine
// using it, and starts an execution.
func startActivityExecution(t *testing.T, e *Engine, create bool) (actARN, execARN string) {
	t.Helper()
	ctx := context.Background()
	actARN = e.activityARN("work")
	if create {
		a, err := e.CreateActivity(ctx, "work")
		require.NoError(t, err)
		require.Equal(t, actARN, a.ARN)
	}
	sm, err := e.CreateStateMachine(ctx, CreateStateMachineInput{Name: "act", Definition: activityDefinition(actARN), RoleARN: "r"})
	require.NoError(t, err, "an activity ARN resolves at creation whether or not the activity exists")
	info, err := e.StartExecution(ctx, sm.ARN, "", `{"job":7}`)
	require.NoError(t, err)
	require.NoError(t, e.WaitIdle(ctx))
	return actARN, info.ExecutionARN
}

// takeTask polls the activity, which must have a task waiting.
func takeTask(t *testing.T, e *Engine, arn string) ActivityTask {
	t.Helper()
	task, err := e.GetActivityTask(context.Background(), arn, "worker-1")
	require.NoError(t, err)
	require.NotEmpty(t, task.Token)
	return task
}

func TestActivityTasks(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		create bool
		// work acts as the worker, moving the fake clock as it needs.
		work   func(t *testing.T, e *Engine, c *FakeClock, arn string)
		status string
		output string // the error when the execution fails
		events []string
	}{
		{
			name: "success", create: true,
			work: func(t *testing.T, e *Engine, _ *FakeClock, arn string) {
				task := takeTask(t, e, arn)
				assert.JSONEq(t, `{"job":7}`, task.Input)
				require.NoError(t, e.SendTaskHeartbeat(ctx, task.Token))
				require.NoError(t, e.SendTaskSuccess(ctx, task.Token, `{"done":true}`))
			},
			status: StatusSucceeded, output: `{"done":true}`,
			events: []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"},
		},
		{
			name: "failure retried, then caught", create: true,
			work: func(t *testing.T, e *Engine, c *FakeClock, arn string) {
				require.NoError(t, e.SendTaskFailure(ctx, takeTask(t, e, arn).Token, "Retryable", "try again"))
				require.NoError(t, e.WaitIdle(ctx))
				c.Advance(time.Second) // the retry interval
				require.NoError(t, e.WaitIdle(ctx))
				require.NoError(t, e.SendTaskFailure(ctx, takeTask(t, e, arn).Token, "Fatal", "no"))
			},
			status: StatusSucceeded, output: `{"Error":"Fatal","Cause":"no"}`,
			events: []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivityFailed",
				"ActivityScheduled", "ActivityStarted", "ActivityFailed", "TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"},
		},
		{
			name: "heartbeat timeout counts from ActivityStarted", create: true,
			work: func(t *testing.T, e *Engine, c *FakeClock, arn string) {
				c.Advance(time.Minute) // waiting for a worker: neither timer runs
				require.NoError(t, e.WaitIdle(ctx))
				takeTask(t, e, arn)
				require.NoError(t, e.WaitIdle(ctx))
				c.Advance(10 * time.Second)
			},
			status: StatusSucceeded, output: `{"Error":"States.HeartbeatTimeout","Cause":""}`,
			events: []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivityTimedOut",
				"TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"},
		},
		{
			name: "timeout despite heartbeats", create: true,
			work: func(t *testing.T, e *Engine, c *FakeClock, arn string) {
				task := takeTask(t, e, arn)
				require.NoError(t, e.WaitIdle(ctx))
				for range 3 {
					c.Advance(9 * time.Second)
					require.NoError(t, e.SendTaskHeartbeat(ctx, task.Token))
				}
				c.Advance(3 * time.Second)
			},
			status: StatusSucceeded, output: `{"Error":"States.Timeout","Cause":""}`,
			events: []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivityTimedOut",
				"TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"},
		},
		{
			// States.Runtime, which States.ALL does not catch.
			name: "activity that does not exist", create: false,
			work:   func(*testing.T, *Engine, *FakeClock, string) {},
			status: StatusFailed, output: asl.ErrRuntime,
			events: []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduleFailed", "ExecutionFailed"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := NewFakeClock(time.Unix(0, 0))
			e := New(Config{Clock: clock})
			actARN, execARN := startActivityExecution(t, e, tc.create)
			tc.work(t, e, clock, actARN)
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			d, err := e.Wait(wctx, execARN)
			require.NoError(t, err)
			require.Equal(t, tc.status, d.Status)
			if d.Status == StatusSucceeded {
				assert.JSONEq(t, tc.output, *d.Output)
			} else {
				assert.Equal(t, tc.output, *d.Error)
			}
			h, err := e.History(ctx, execARN)
			require.NoError(t, err)
			assert.Equal(t, tc.events, eventTypes(h))
		})
	}
}

func TestActivityEventDetails(t *testing.T) {
	ctx := context.Background()
	clock := NewFakeClock(time.Unix(0, 0))
	e := New(Config{Clock: clock})
	actARN, execARN := startActivityExecution(t, e, true)
	task := takeTask(t, e, actARN)
	require.NoError(t, e.WaitIdle(ctx))
	clock.Advance(30 * time.Second)
	_, err := e.Wait(ctx, execARN)
	require.NoError(t, err)
	h, err := e.History(ctx, execARN)
	require.NoError(t, err)

	sched := h[2].ActivityScheduledEventDetails
	require.NotNil(t, sched)
	assert.Equal(t, actARN, sched.Resource)
	assert.JSONEq(t, `{"job":7}`, *sched.Input)
	assert.Equal(t, int64(30), *sched.TimeoutInSeconds)
	assert.Equal(t, int64(10), *sched.HeartbeatInSeconds)
	assert.Equal(t, "worker-1", *h[3].ActivityStartedEventDetails.WorkerName)
	assert.Equal(t, "States.HeartbeatTimeout", *h[4].ActivityTimedOutEventDetails.Error)
	assert.Equal(t, codeTaskDoesNotExist, ErrorCode(e.SendTaskSuccess(ctx, task.Token, `{}`)), "the token ended with the task")
	assert.Nil(t, h[2].WithoutData().ActivityScheduledEventDetails.Input)
}

func TestActivityPoll(t *testing.T) {
	ctx := context.Background()
	clock := NewFakeClock(time.Unix(0, 0))
	e := New(Config{Clock: clock})
	a, err := e.CreateActivity(ctx, "work")
	require.NoError(t, err)

	again, err := e.CreateActivity(ctx, "work")
	require.NoError(t, err)
	assert.Equal(t, a, again, "CreateActivity is idempotent")

	poll := func() chan ActivityTask {
		got := make(chan ActivityTask, 1)
		go func() {
			task, err := e.GetActivityTask(ctx, a.ARN, "w")
			assert.NoError(t, err)
			got <- task
		}()
		// The poll's 60 s timer is its only one.
		require.Eventually(t, func() bool { return clock.Pending() == 1 }, 5*time.Second, time.Millisecond)
		return got
	}
	got := poll()
	clock.Advance(59 * time.Second)
	assert.Empty(t, got)
	clock.Advance(time.Second)
	assert.Equal(t, ActivityTask{}, <-got, "the poll ends empty after 60 s on the engine's clock")

	// A task scheduled while a worker polls goes to it.
	got = poll()
	sm, err := e.CreateStateMachine(ctx, CreateStateMachineInput{Name: "act", Definition: activityDefinition(a.ARN), RoleARN: "r"})
	require.NoError(t, err)
	_, err = e.StartExecution(ctx, sm.ARN, "", `{"job":1}`)
	require.NoError(t, err)
	task := <-got
	assert.NotEmpty(t, task.Token)
	assert.JSONEq(t, `{"job":1}`, task.Input)

	_, err = e.GetActivityTask(ctx, e.activityARN("missing"), "w")
	assert.Equal(t, codeActivityDoesNotExist, ErrorCode(err))
	_, err = e.GetActivityTask(ctx, e.stateMachineARN("work"), "w")
	assert.Equal(t, codeInvalidArn, ErrorCode(err))
	_, err = e.DescribeActivity(ctx, e.activityARN("missing"))
	assert.Equal(t, codeActivityDoesNotExist, ErrorCode(err))

	// Stopping the execution ends its task's token.
	_, err = e.StopExecution(ctx, mustExecutions(t, e, sm.ARN)[0].ExecutionARN, nil, nil)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return ErrorCode(e.SendTaskHeartbeat(ctx, task.Token)) == codeTaskDoesNotExist },
		5*time.Second, time.Millisecond)

	require.NoError(t, e.DeleteActivity(ctx, a.ARN))
	assert.Empty(t, e.ListActivities(ctx))
}

// An activity task scheduled or started when the engine stopped is
// scheduled again after a restart, for a worker to take with a new token;
// the activity itself comes back from the data file.
func TestDurableActivityResumes(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		taken  bool     // a worker had taken the task (ActivityStarted)
		crash  bool     // kill -9 rather than Close
		delete bool     // the activity was deleted before the stop
		before []string // the history at the stop
		after  []string // what the restart adds
	}{
		{
			name:   "scheduled, clean stop",
			before: []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled"},
			after:  []string{"ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"},
		},
		{
			name: "started, crash", taken: true, crash: true,
			before: []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted"},
			after:  []string{"ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"},
		},
		{
			name: "activity deleted", delete: true,
			before: []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled"},
			after:  []string{"ActivityScheduleFailed", "ExecutionFailed"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "sfn.bolt")
			e, _ := openDurable(t, file, t0, &jobHandlers{}, 0)
			actARN, execARN := startActivityExecution(t, e, true)
			created, err := e.DescribeActivity(ctx, actARN)
			require.NoError(t, err)
			var old ActivityTask
			if tc.taken {
				old = takeTask(t, e, actARN)
			}
			if tc.delete {
				require.NoError(t, e.DeleteActivity(ctx, actARN))
			}
			require.NoError(t, e.journal.Sync())
			assert.Equal(t, tc.before, eventTypes(mustHistory(t, e, execARN)))
			if tc.crash {
				e.crash()
			} else {
				require.NoError(t, e.Close())
			}

			e2, clock2 := openDurable(t, file, t0.Add(time.Minute), &jobHandlers{}, 0)
			got, err := e2.DescribeActivity(ctx, actARN)
			if tc.delete {
				assert.Equal(t, codeActivityDoesNotExist, ErrorCode(err))
			} else {
				require.NoError(t, err)
				assert.Equal(t, created, got, "the activity comes back as it was")
			}
			require.Equal(t, 1, e2.Resume())
			require.NoError(t, e2.WaitIdle(ctx))
			if !tc.delete {
				task := takeTask(t, e2, actARN)
				assert.JSONEq(t, `{"job":7}`, task.Input)
				if tc.taken {
					assert.NotEqual(t, old.Token, task.Token)
					assert.Equal(t, codeTaskDoesNotExist, ErrorCode(e2.SendTaskSuccess(ctx, old.Token, `{}`)), "the old token is unknown")
				}
				require.NoError(t, e2.SendTaskSuccess(ctx, task.Token, `{"done":true}`))
			}
			settle(t, e2, clock2, execARN)
			h := mustHistory(t, e2, execARN)
			assertIDsContinue(t, h)
			assert.Equal(t, append(append([]string{}, tc.before...), tc.after...), eventTypes(h))
		})
	}
}

func mustExecutions(t *testing.T, e *Engine, smARN string) []ExecutionInfo {
	t.Helper()
	exs, err := e.ListExecutions(context.Background(), smARN, "")
	require.NoError(t, err)
	return exs
}

func mustHistory(t *testing.T, e *Engine, arn string) []Event {
	t.Helper()
	h, err := e.History(context.Background(), arn)
	require.NoError(t, err)
	return h
}
