package console

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	localsfn "github.com/asyncjobs/stepjobs/internal/sfn"
	"github.com/asyncjobs/stepjobs/internal/sfnapi"
)

// Activity events count as the attempts, retries and failures of the
// Task state that scheduled them, and its call shows the worker's task.
func TestAnalyseActivity(t *testing.T) {
	ctx := context.Background()
	clock := localsfn.NewFakeClock(epoch)
	eng := localsfn.New(localsfn.Config{Clock: clock})
	srv := httptest.NewServer(sfnapi.Handler(eng))
	t.Cleanup(srv.Close)
	c := sfn.New(sfn.Options{BaseEndpoint: aws.String(srv.URL), Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", "")})

	act, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("review")})
	require.NoError(t, err)
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("m"), RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
		Definition: aws.String(`{"StartAt":"Review","States":{"Review":{"Type":"Task","Resource":"` + *act.ActivityArn + `","HeartbeatSeconds":5,
		"Retry":[{"ErrorEquals":["Retryable"],"IntervalSeconds":1,"MaxAttempts":1}],
		"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Done"}],"End":true},"Done":{"Type":"Pass","End":true}}}`)})
	require.NoError(t, err)
	start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`{"order":1}`)})
	require.NoError(t, err)
	take := func() *string {
		task, err := c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn})
		require.NoError(t, err)
		require.NotNil(t, task.TaskToken)
		require.NoError(t, eng.WaitIdle(ctx))
		return task.TaskToken
	}
	_, err = c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: take(), Error: aws.String("Retryable")})
	require.NoError(t, err)
	require.NoError(t, eng.WaitIdle(ctx))
	clock.Advance(time.Second)
	take()
	clock.Advance(5 * time.Second) // no heartbeat
	_, err = eng.Wait(ctx, *start.ExecutionArn)
	require.NoError(t, err)
	h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn})
	require.NoError(t, err)

	tr := analyse(h.Events, types.ExecutionStatusSucceeded)
	r := tr.States["Review"]
	require.NotNil(t, r)
	assert.Equal(t, 2, r.Attempts)
	assert.Equal(t, 1, r.Retries)
	assert.Equal(t, 1, r.Caught)
	assert.Equal(t, statusCaught, r.Status)
	require.Len(t, r.Failures, 2)
	assert.Equal(t, "ActivityFailed", r.Failures[0].Type)
	assert.Equal(t, "ActivityTimedOut", r.Failures[1].Type)
	assert.Equal(t, "States.HeartbeatTimeout", r.Failures[1].Error)
	assert.Equal(t, "activity:review", r.Call.Resource)
	assert.JSONEq(t, `{"order":1}`, r.Call.Request)
	for _, row := range tr.Rows {
		if row.Type != "ExecutionStarted" && row.Type != "ExecutionSucceeded" && row.Type != "PassStateEntered" && row.Type != "PassStateExited" {
			assert.Equal(t, "Review", row.Step, "%d %s", row.ID, row.Type)
		}
	}
}
