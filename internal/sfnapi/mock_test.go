package sfnapi

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/sfn"
	"github.com/asyncjobs/stepjobs/internal/sfn/mockconfig"
)

const mockRole = "arn:aws:iam::123456789012:role/service-role/LambdaSQSIntegration"

// mockEngine is an engine with a mock configuration file, and the SDK
// client on its API.
type mockEngine struct {
	t     *testing.T
	e     *sfn.Engine
	clock *sfn.FakeClock
	c     *awssfn.Client
}

func newMockEngine(t *testing.T, mockFile string, reg *sfn.Registry) *mockEngine {
	t.Helper()
	mocks, err := mockconfig.Load(mockFile)
	require.NoError(t, err)
	if reg == nil {
		reg = sfn.NewRegistry()
	}
	clock := sfn.NewFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	e := sfn.New(sfn.Config{Region: "us-east-1", AccountID: "123456789012", Clock: clock, Invokers: reg, Mocks: mocks})
	return &mockEngine{t: t, e: e, clock: clock, c: newSDKClient(t, e)}
}

func (m *mockEngine) create(name, defFile string) string {
	m.t.Helper()
	def, err := os.ReadFile(filepath.Join("testdata", "mock", defFile))
	require.NoError(m.t, err)
	out, err := m.c.CreateStateMachine(context.Background(), &awssfn.CreateStateMachineInput{
		Name: aws.String(name), Definition: aws.String(string(def)), RoleArn: aws.String(mockRole)})
	require.NoError(m.t, err)
	return aws.ToString(out.StateMachineArn)
}

// run starts an execution and moves the clock on through its retries
// until it closes.
func (m *mockEngine) run(smARN, name, input string) (*awssfn.DescribeExecutionOutput, []types.HistoryEvent) {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start, err := m.c.StartExecution(ctx, &awssfn.StartExecutionInput{
		StateMachineArn: aws.String(smARN), Name: aws.String(name), Input: aws.String(input)})
	require.NoError(m.t, err)
	arn := aws.ToString(start.ExecutionArn)
	for {
		require.NoError(m.t, m.e.WaitIdle(ctx))
		d, err := m.c.DescribeExecution(ctx, &awssfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		require.NoError(m.t, err)
		if d.Status != types.ExecutionStatusRunning {
			h, err := m.c.GetExecutionHistory(ctx, &awssfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
			require.NoError(m.t, err)
			return d, h.Events
		}
		require.True(m.t, m.clock.FireNext(), "execution %s waits on nothing", arn)
	}
}

func eventTypes(evs []types.HistoryEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = string(ev.Type)
	}
	return out
}

// TestMockDocsExample runs the example of AWS's "Using mocked service
// integrations" page, definition and mock file unchanged, through the SDK:
// HappyPath, RetryPath and HybridPath.
func TestMockDocsExample(t *testing.T) {
	var mu sync.Mutex
	var sent []string // messages the real SQS integration got (HybridPath)
	reg := sfn.NewRegistry()
	reg.RegisterResource("arn:aws:states:::sqs:sendMessage", sfn.InvokerFunc(func(_ context.Context, p []byte) ([]byte, error) {
		mu.Lock()
		sent = append(sent, string(p))
		mu.Unlock()
		return []byte(`{"MessageId":"real","MD5OfMessageBody":"real"}`), nil
	}))
	m := newMockEngine(t, filepath.Join("..", "sfn", "mockconfig", "testdata", "MockConfigFile.json"), reg)
	smARN := m.create("LambdaSQSIntegration", "LambdaSQSIntegration.asl.json")
	require.Equal(t, "arn:aws:states:us-east-1:123456789012:stateMachine:LambdaSQSIntegration", smARN)

	lambdaReturn := `{"StatusCode":200,"Payload":{"StatusCode":200,"body":"Hello from Lambda!"}}`
	sqsReturn := `{"MD5OfMessageBody":"3bcb6e8e-7h85-4375-b0bc-1a59812c6e51","MessageId":"3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}`

	t.Run("HappyPath", func(t *testing.T) {
		d, evs := m.run(smARN+"#HappyPath", "executionWithHappyPathMockedServices", "{}")
		// The execution's ARN and name are the usual ones, without the
		// test case (as the documentation's StartExecution answer shows).
		require.Equal(t, "arn:aws:states:us-east-1:123456789012:execution:LambdaSQSIntegration:executionWithHappyPathMockedServices", aws.ToString(d.ExecutionArn))
		require.Equal(t, smARN, aws.ToString(d.StateMachineArn))
		require.Equal(t, types.ExecutionStatusSucceeded, d.Status)
		require.JSONEq(t, sqsReturn, aws.ToString(d.Output))
		require.Equal(t, []string{"ExecutionStarted",
			"TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
			"TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
			"ExecutionSucceeded"}, eventTypes(evs))
		lambda := evs[4].TaskSucceededEventDetails
		require.Equal(t, "lambda", aws.ToString(lambda.ResourceType))
		require.Equal(t, "invoke", aws.ToString(lambda.Resource))
		require.JSONEq(t, lambdaReturn, aws.ToString(lambda.Output))
		// The mocked result flows on: it is SQSState's input.
		require.JSONEq(t, lambdaReturn, aws.ToString(evs[6].StateEnteredEventDetails.Input))
		require.Equal(t, "sqs", aws.ToString(evs[9].TaskSucceededEventDetails.ResourceType))
		require.Equal(t, "sendMessage", aws.ToString(evs[9].TaskSucceededEventDetails.Resource))
		require.JSONEq(t, `{"QueueUrl":"https://sqs.us-east-1.amazonaws.com/123456789012/myQueue","MessageBody":`+lambdaReturn+`}`,
			aws.ToString(evs[7].TaskScheduledEventDetails.Parameters))
	})

	t.Run("RetryPath", func(t *testing.T) {
		d, evs := m.run(smARN+"#RetryPath", "retry", "{}")
		require.Equal(t, types.ExecutionStatusSucceeded, d.Status)
		var failed []string
		for _, ev := range evs {
			if ev.Type == types.HistoryEventTypeTaskFailed {
				failed = append(failed, aws.ToString(ev.TaskFailedEventDetails.Error)+": "+aws.ToString(ev.TaskFailedEventDetails.Cause))
			}
		}
		// Invocation 0, then 1-2, then 3 succeeds: four attempts.
		require.Equal(t, []string{
			"Lambda.ResourceNotReadyException: Lambda resource is not ready.",
			"Lambda.TimeoutException: Lambda timed out.",
			"Lambda.TimeoutException: Lambda timed out.",
		}, failed)
		require.JSONEq(t, sqsReturn, aws.ToString(d.Output))
	})

	t.Run("HybridPath", func(t *testing.T) {
		d, _ := m.run(smARN+"#HybridPath", "hybrid", "{}")
		require.Equal(t, types.ExecutionStatusSucceeded, d.Status)
		// SQSState is not mocked in HybridPath: the real integration ran.
		require.JSONEq(t, `{"MessageId":"real","MD5OfMessageBody":"real"}`, aws.ToString(d.Output))
		mu.Lock()
		defer mu.Unlock()
		require.Len(t, sent, 1)
		require.JSONEq(t, `{"QueueUrl":"https://sqs.us-east-1.amazonaws.com/123456789012/myQueue","MessageBody":`+lambdaReturn+`}`, sent[0])
	})

	t.Run("MissingTestCase", func(t *testing.T) {
		_, err := m.c.StartExecution(context.Background(), &awssfn.StartExecutionInput{
			StateMachineArn: aws.String(smARN + "#NoSuchCase")})
		require.Error(t, err)
		require.Equal(t, "ValidationException", apiCode(err))
		require.Contains(t, err.Error(), "Test case 'NoSuchCase' is not defined for state machine 'LambdaSQSIntegration'")
	})

	t.Run("Unmocked", func(t *testing.T) {
		// Without a test case the machine runs for real: no function
		// HelloWorldFunction is registered here, so Lambda says so.
		d, _ := m.run(smARN, "real", "{}")
		require.Equal(t, types.ExecutionStatusFailed, d.Status)
		require.Equal(t, "Lambda.ResourceNotFoundException", aws.ToString(d.Error))
	})
}

// TestMockCases covers each kind of mocked Task: a Lambda function ARN
// (LambdaFunction* events) whose Throw is caught, lambda:invoke retried
// through a range, a callback task answered at once, Map iterations
// sharing one count, and invocations outrunning the responses.
func TestMockCases(t *testing.T) {
	m := newMockEngine(t, filepath.Join("testdata", "mock", "CasesMockConfig.json"), nil)
	smARN := m.create("Cases", "Cases.asl.json")

	t.Run("Approved", func(t *testing.T) {
		d, evs := m.run(smARN+"#Approved", "approved", `{"customer":"c1"}`)
		require.Equal(t, types.ExecutionStatusSucceeded, d.Status, "%v", eventTypes(evs))
		var out struct {
			Valid    bool
			Charge   map[string]int
			Approval map[string]string
			Shipped  []map[string]int
		}
		require.NoError(t, json.Unmarshal([]byte(aws.ToString(d.Output)), &out))
		require.True(t, out.Valid)
		require.Equal(t, map[string]int{"charged": 42}, out.Charge)
		require.Equal(t, map[string]string{"approvedBy": "ops"}, out.Approval)
		// One count for ShipItem across the Map's iterations.
		require.Equal(t, []map[string]int{{"n": 0}, {"n": 1}, {"n": 2}}, out.Shipped)
		got := eventTypes(evs)
		require.Equal(t, []string{"ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
			"LambdaFunctionSucceeded", "TaskStateExited"}, got[:6])
		require.Contains(t, got, "TaskFailed")
	})

	t.Run("ThrowCaught", func(t *testing.T) {
		d, evs := m.run(smARN+"#Invalid", "invalid", `{}`)
		require.Equal(t, types.ExecutionStatusFailed, d.Status)
		require.Equal(t, "Rejected", aws.ToString(d.Error))
		require.Equal(t, "LambdaFunctionFailed", string(evs[4].Type))
		require.Equal(t, "Custom.Invalid", aws.ToString(evs[4].LambdaFunctionFailedEventDetails.Error))
		require.Equal(t, "no such customer", aws.ToString(evs[4].LambdaFunctionFailedEventDetails.Cause))
		require.Equal(t, "Rejected", aws.ToString(evs[6].StateEnteredEventDetails.Name))
	})

	t.Run("AttemptsOutrunResponses", func(t *testing.T) {
		d, evs := m.run(smARN+"#ChargeNeverAnswers", "outrun", `{}`)
		require.Equal(t, types.ExecutionStatusFailed, d.Status)
		require.Equal(t, "States.Runtime", aws.ToString(d.Error))
		require.Contains(t, aws.ToString(d.Cause), "no response for invocation 2 of state 'Charge'")
		n := 0
		for _, ev := range evs {
			if ev.Type == types.HistoryEventTypeTaskFailed {
				n++
			}
		}
		require.Equal(t, 2, n, "%v", eventTypes(evs))
	})

	t.Run("EmptyResponse", func(t *testing.T) {
		d, _ := m.run(smARN+"#Unanswered", "empty", `{}`)
		require.Equal(t, types.ExecutionStatusFailed, d.Status)
		require.Equal(t, "States.Runtime", aws.ToString(d.Error))
		require.Contains(t, aws.ToString(d.Cause), "The mocked response 'Empty' of test case 'Unanswered' has no response for invocation 0 of state 'Validate' (it has no numbered responses).")
	})

	t.Run("UnknownResourceRunsForReal", func(t *testing.T) {
		// Nothing serves the function "validate": unmocked, the task
		// fails, naming what is missing.
		d, _ := m.run(smARN, "real", `{}`)
		require.Equal(t, types.ExecutionStatusFailed, d.Status)
		require.Equal(t, "States.Runtime", aws.ToString(d.Error))
		require.Contains(t, aws.ToString(d.Cause), "validate")
	})
}

func TestMockNoConfig(t *testing.T) {
	e, _ := newTestEngine(t)
	c := newSDKClient(t, e)
	out, err := c.CreateStateMachine(context.Background(), &awssfn.CreateStateMachineInput{
		Name: aws.String("p"), Definition: aws.String(passDefinition), RoleArn: aws.String(mockRole)})
	require.NoError(t, err)
	_, err = c.StartExecution(context.Background(), &awssfn.StartExecutionInput{StateMachineArn: aws.String(aws.ToString(out.StateMachineArn) + "#HappyPath")})
	require.Error(t, err)
	require.Equal(t, "ValidationException", apiCode(err))
	require.Contains(t, err.Error(), "no mock configuration file is loaded")
}
