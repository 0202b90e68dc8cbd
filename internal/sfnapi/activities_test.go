package sfnapi

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/sfn"
)

func TestAPIActivities(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	c := newSDKClient(t, e)

	created, err := c.CreateActivity(ctx, &awssfn.CreateActivityInput{Name: aws.String("work")})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:states:us-east-1:123456789012:activity:work", *created.ActivityArn)
	again, err := c.CreateActivity(ctx, &awssfn.CreateActivityInput{Name: aws.String("work")})
	require.NoError(t, err)
	assert.Equal(t, created.ActivityArn, again.ActivityArn, "idempotent")
	_, err = c.CreateActivity(ctx, &awssfn.CreateActivityInput{Name: aws.String("other")})
	require.NoError(t, err)

	d, err := c.DescribeActivity(ctx, &awssfn.DescribeActivityInput{ActivityArn: created.ActivityArn})
	require.NoError(t, err)
	assert.Equal(t, "work", *d.Name)
	assert.Equal(t, created.CreationDate, d.CreationDate)

	page1, err := c.ListActivities(ctx, &awssfn.ListActivitiesInput{MaxResults: 1})
	require.NoError(t, err)
	require.Len(t, page1.Activities, 1)
	assert.Equal(t, "other", *page1.Activities[0].Name)
	require.NotNil(t, page1.NextToken)
	page2, err := c.ListActivities(ctx, &awssfn.ListActivitiesInput{MaxResults: 1, NextToken: page1.NextToken})
	require.NoError(t, err)
	require.Len(t, page2.Activities, 1)
	assert.Equal(t, "work", *page2.Activities[0].Name)
	assert.Nil(t, page2.NextToken)

	_, err = c.DeleteActivity(ctx, &awssfn.DeleteActivityInput{ActivityArn: created.ActivityArn})
	require.NoError(t, err)

	errs := []struct {
		name string
		call func() error
		code string
	}{
		{"describe deleted", func() error {
			_, err := c.DescribeActivity(ctx, &awssfn.DescribeActivityInput{ActivityArn: created.ActivityArn})
			return err
		}, "ActivityDoesNotExist"},
		{"poll deleted", func() error {
			_, err := c.GetActivityTask(ctx, &awssfn.GetActivityTaskInput{ActivityArn: created.ActivityArn})
			return err
		}, "ActivityDoesNotExist"},
		{"state machine ARN", func() error {
			_, err := c.DescribeActivity(ctx, &awssfn.DescribeActivityInput{ActivityArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:work")})
			return err
		}, "InvalidArn"},
		{"bad name", func() error {
			_, err := c.CreateActivity(ctx, &awssfn.CreateActivityInput{Name: aws.String("a b")})
			return err
		}, "InvalidName"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.code, apiCode(tc.call())) })
	}
}

const activityTaskDefinition = `{"StartAt":"Work","States":{"Work":{"Type":"Task",
	"Resource":"arn:aws:states:us-east-1:123456789012:activity:work","HeartbeatSeconds":10,"End":true}}}`

func TestAPIActivityWorker(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// work completes the task (or lets it time out).
		work   func(t *testing.T, c *awssfn.Client, clock *sfn.FakeClock, token *string)
		status types.ExecutionStatus
		last   types.HistoryEventType // the activity's last event
		check  func(t *testing.T, ev types.HistoryEvent)
	}{
		{
			name: "success",
			work: func(t *testing.T, c *awssfn.Client, _ *sfn.FakeClock, token *string) {
				_, err := c.SendTaskHeartbeat(ctx, &awssfn.SendTaskHeartbeatInput{TaskToken: token})
				require.NoError(t, err)
				_, err = c.SendTaskSuccess(ctx, &awssfn.SendTaskSuccessInput{TaskToken: token, Output: aws.String(`{"done":true}`)})
				require.NoError(t, err)
			},
			status: types.ExecutionStatusSucceeded, last: types.HistoryEventTypeActivitySucceeded,
			check: func(t *testing.T, ev types.HistoryEvent) {
				assert.JSONEq(t, `{"done":true}`, *ev.ActivitySucceededEventDetails.Output)
			},
		},
		{
			name: "failure",
			work: func(t *testing.T, c *awssfn.Client, _ *sfn.FakeClock, token *string) {
				_, err := c.SendTaskFailure(ctx, &awssfn.SendTaskFailureInput{TaskToken: token, Error: aws.String("Broken"), Cause: aws.String("disk full")})
				require.NoError(t, err)
			},
			status: types.ExecutionStatusFailed, last: types.HistoryEventTypeActivityFailed,
			check: func(t *testing.T, ev types.HistoryEvent) {
				assert.Equal(t, "Broken", *ev.ActivityFailedEventDetails.Error)
				assert.Equal(t, "disk full", *ev.ActivityFailedEventDetails.Cause)
			},
		},
		{
			name: "heartbeat timeout",
			work: func(_ *testing.T, _ *awssfn.Client, clock *sfn.FakeClock, _ *string) {
				clock.Advance(10 * time.Second)
			},
			status: types.ExecutionStatusFailed, last: types.HistoryEventTypeActivityTimedOut,
			check: func(t *testing.T, ev types.HistoryEvent) {
				assert.Equal(t, "States.HeartbeatTimeout", *ev.ActivityTimedOutEventDetails.Error)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, clock := newTestEngine(t)
			c := newSDKClient(t, e)
			act, err := c.CreateActivity(ctx, &awssfn.CreateActivityInput{Name: aws.String("work")})
			require.NoError(t, err)

			// A poll with nothing to hand out ends empty after 60 s.
			empty := make(chan *awssfn.GetActivityTaskOutput, 1)
			go func() {
				out, err := c.GetActivityTask(ctx, &awssfn.GetActivityTaskInput{ActivityArn: act.ActivityArn, WorkerName: aws.String("w1")})
				assert.NoError(t, err)
				empty <- out
			}()
			require.Eventually(t, func() bool { return clock.Pending() == 1 }, 5*time.Second, time.Millisecond)
			clock.Advance(60 * time.Second)
			out := <-empty
			require.NotNil(t, out)
			assert.Nil(t, out.TaskToken)

			sm, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("act"), RoleArn: aws.String(testRoleARN),
				Definition: aws.String(activityTaskDefinition)})
			require.NoError(t, err)
			start, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`{"n":1}`)})
			require.NoError(t, err)
			task, err := c.GetActivityTask(ctx, &awssfn.GetActivityTaskInput{ActivityArn: act.ActivityArn, WorkerName: aws.String("w1")})
			require.NoError(t, err)
			require.NotNil(t, task.TaskToken)
			assert.JSONEq(t, `{"n":1}`, *task.Input)
			require.NoError(t, e.WaitIdle(ctx))

			tc.work(t, c, clock, task.TaskToken)
			d, err := e.Wait(ctx, *start.ExecutionArn)
			require.NoError(t, err)
			assert.Equal(t, string(tc.status), d.Status)

			h, err := c.GetExecutionHistory(ctx, &awssfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn})
			require.NoError(t, err)
			require.GreaterOrEqual(t, len(h.Events), 6)
			sched, started, last := h.Events[2], h.Events[3], h.Events[4]
			assert.Equal(t, types.HistoryEventTypeActivityScheduled, sched.Type)
			assert.Equal(t, *act.ActivityArn, *sched.ActivityScheduledEventDetails.Resource)
			assert.JSONEq(t, `{"n":1}`, *sched.ActivityScheduledEventDetails.Input)
			assert.Equal(t, int64(10), *sched.ActivityScheduledEventDetails.HeartbeatInSeconds)
			assert.Equal(t, types.HistoryEventTypeActivityStarted, started.Type)
			assert.Equal(t, "w1", *started.ActivityStartedEventDetails.WorkerName)
			assert.Equal(t, tc.last, last.Type)
			tc.check(t, last)
		})
	}
}
