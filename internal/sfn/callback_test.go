package sfn

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// callbackEngine registers an SQS mock that hands the task token to the test.
func callbackEngine(t *testing.T) (*Engine, *FakeClock, chan string) {
	t.Helper()
	tokens := make(chan string, 4)
	reg := NewRegistry()
	reg.RegisterResource("arn:aws:states:::sqs:sendMessage.waitForTaskToken", InvokerFunc(func(_ context.Context, p []byte) ([]byte, error) {
		var in struct{ MessageBody struct{ TaskToken string } }
		if err := json.Unmarshal(p, &in); err != nil {
			return nil, err
		}
		tokens <- in.MessageBody.TaskToken
		return []byte(`{"MessageId":"m-1"}`), nil
	}))
	clock := NewFakeClock(time.Unix(0, 0))
	return New(Config{Clock: clock, Invokers: reg}), clock, tokens
}

const callbackDefinition = `{"StartAt":"Ask","States":{"Ask":{"Type":"Task",
	"Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","HeartbeatSeconds":10,
	"Parameters":{"QueueUrl":"q","MessageBody":{"TaskToken.$":"$$.Task.Token"}},"End":true}}}`

func TestCallbackTasks(t *testing.T) {
	ctx := context.Background()
	start := func(t *testing.T, e *Engine, tokens chan string) (string, string) {
		sm, err := e.CreateStateMachine(ctx, CreateStateMachineInput{Name: "cb", Definition: callbackDefinition, RoleARN: "r"})
		require.NoError(t, err)
		info, err := e.StartExecution(ctx, sm.ARN, "", "{}")
		require.NoError(t, err)
		token := <-tokens
		require.NotEmpty(t, token)
		require.NoError(t, e.WaitIdle(ctx))
		assert.Equal(t, StatusRunning, mustDescribe(t, e, info.ExecutionARN).Status, "waiting for the callback")
		return info.ExecutionARN, token
	}

	t.Run("success", func(t *testing.T) { // through the AWS JSON API: internal/sfnapi's TestAPICallback
		e, _, tokens := callbackEngine(t)
		arn, token := start(t, e, tokens)
		require.NoError(t, e.SendTaskSuccess(ctx, token, `{"approved":true}`))
		d, err := e.Wait(ctx, arn)
		require.NoError(t, err)
		require.Equal(t, StatusSucceeded, d.Status)
		assert.JSONEq(t, `{"approved":true}`, *d.Output)
		h, _ := e.History(ctx, arn)
		assert.Equal(t, []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}, eventTypes(h))
		assert.JSONEq(t, `{"MessageId":"m-1"}`, *h[4].TaskSubmittedEventDetails.Output)

		assert.Equal(t, codeTaskDoesNotExist, ErrorCode(e.SendTaskSuccess(ctx, token, `{}`)), "a token is used once")
	})
	t.Run("failure", func(t *testing.T) {
		e, _, tokens := callbackEngine(t)
		arn, token := start(t, e, tokens)
		assert.Equal(t, codeInvalidOutput, ErrorCode(e.SendTaskSuccess(ctx, token, "not json")))
		require.NoError(t, e.SendTaskFailure(ctx, token, "Rejected", "no"))
		d, err := e.Wait(ctx, arn)
		require.NoError(t, err)
		assert.Equal(t, StatusFailed, d.Status)
		assert.Equal(t, "Rejected", *d.Error)
		assert.Equal(t, "no", *d.Cause)
	})
	t.Run("heartbeats", func(t *testing.T) {
		e, clock, tokens := callbackEngine(t)
		arn, token := start(t, e, tokens)
		clock.Advance(8 * time.Second)
		require.NoError(t, e.SendTaskHeartbeat(ctx, token))
		clock.Advance(8 * time.Second)
		assert.Equal(t, StatusRunning, mustDescribe(t, e, arn).Status, "the heartbeat restarted the timer")
		clock.Advance(2 * time.Second)
		d, err := e.Wait(ctx, arn)
		require.NoError(t, err)
		assert.Equal(t, StatusFailed, d.Status)
		assert.Equal(t, "States.HeartbeatTimeout", *d.Error)
	})
	t.Run("unknown token", func(t *testing.T) {
		e, _, _ := callbackEngine(t)
		assert.Equal(t, codeTaskDoesNotExist, ErrorCode(e.SendTaskHeartbeat(ctx, "nope")))
		assert.Equal(t, codeInvalidToken, ErrorCode(e.SendTaskFailure(ctx, "", "", "")))
	})
}

func TestLambdaInvokeCallback(t *testing.T) {
	ctx := context.Background()
	tokens := make(chan string, 1)
	reg := NewRegistry()
	reg.RegisterFunction("review", LambdaFunc(func(_ context.Context, in struct{ Token string }) (string, error) {
		tokens <- in.Token
		return "queued", nil
	}))
	e := New(Config{Clock: NewFakeClock(time.Unix(0, 0)), Invokers: reg})
	def := `{"StartAt":"R","States":{"R":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters":{"FunctionName":"review","Payload":{"Token.$":"$$.Task.Token"}},"End":true}}}`
	sm, err := e.CreateStateMachine(ctx, CreateStateMachineInput{Name: "r", Definition: def, RoleARN: "r"})
	require.NoError(t, err)
	info, err := e.StartExecution(ctx, sm.ARN, "", "{}")
	require.NoError(t, err)
	require.NoError(t, e.SendTaskSuccess(ctx, <-tokens, `"ok"`))
	d, err := e.Wait(ctx, info.ExecutionARN)
	require.NoError(t, err)
	require.Equal(t, StatusSucceeded, d.Status)
	assert.Equal(t, `"ok"`, *d.Output, "a callback result is not wrapped in the invoke envelope")
	h, _ := e.History(ctx, info.ExecutionARN)
	assert.Equal(t, "invoke.waitForTaskToken", h[2].TaskScheduledEventDetails.Resource)
}
