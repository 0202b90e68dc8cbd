package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Error types named like the project's handler errors: Step Functions
// matches them by Go type name.
type TransientError struct{ msg string }

func (e *TransientError) Error() string { return e.msg }

type SimulatedFailure struct{}

func (SimulatedFailure) Error() string { return "simulated permanent failure" }

type jobHandlers struct {
	mu       sync.Mutex
	attempts []int
	fail     string // "", "transient", "permanent", "panic"
}

func (h *jobHandlers) register(reg *Registry) {
	reg.RegisterFunction("tracking", lambda.NewHandler(func(_ context.Context, in map[string]any) (map[string]any, error) {
		return map[string]any{"jobId": in["jobId"], "status": "RUNNING", "createdAt": "2026-01-01T00:00:00Z"}, nil
	}))
	reg.RegisterFunction("batchSimulation", lambda.NewHandler(func(_ context.Context, in struct {
		JobID   string `json:"jobId"`
		Attempt int    `json:"attempt"`
	}) (map[string]any, error) {
		h.mu.Lock()
		h.attempts = append(h.attempts, in.Attempt)
		h.mu.Unlock()
		switch h.fail {
		case "transient":
			if in.Attempt < 1 {
				return nil, &TransientError{msg: "try again"}
			}
		case "permanent":
			return nil, SimulatedFailure{}
		case "panic":
			panic("boom")
		}
		return map[string]any{"bucket": "b", "key": "results/" + in.JobID + ".json", "records": 100, "bytes": 1234}, nil
	}))
	reg.RegisterFunction("statusUpdate", lambda.NewHandler(func(_ context.Context, in map[string]any) (map[string]any, error) {
		out := map[string]any{"jobId": in["jobId"], "status": in["status"]}
		if r, ok := in["result"]; ok {
			out["result"] = r
		}
		return out, nil
	}))
}

func jobsDefinition(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../statemachine/jobs.asl.json")
	if os.IsNotExist(err) {
		t.Skip("statemachine/jobs.asl.json not found")
	}
	require.NoError(t, err)
	return string(b)
}

// runEngine creates a machine, starts one execution and drives it to its
// end on the fake clock.
func runEngine(t *testing.T, e *Engine, clock *FakeClock, definition, input string) (*execution, []Event) {
	t.Helper()
	sm, err := e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "m", Definition: definition, RoleARN: "role"})
	require.NoError(t, err)
	ex, err := e.startExecution(sm.ARN, "job-1", input)
	require.NoError(t, err)
	require.True(t, drive(e, clock, ex, true), "execution did not settle")
	h, err := e.History(context.Background(), ex.arn)
	require.NoError(t, err)
	return ex, h
}

func eventTypes(evs []Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = string(ev.Type)
	}
	return out
}

func newJobsEngine(fail string) (*Engine, *FakeClock, *jobHandlers) {
	clock := NewFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	reg := NewRegistry()
	h := &jobHandlers{fail: fail}
	h.register(reg)
	e := New(Config{Clock: clock, Invokers: reg, Rand: rand.NewPCG(1, 2)})
	return e, clock, h
}

func TestJobsHappyPath(t *testing.T) {
	e, clock, _ := newJobsEngine("")
	var mu sync.Mutex
	var changes []string
	cancel := e.Subscribe(func(c StatusChange) {
		mu.Lock()
		defer mu.Unlock()
		changes = append(changes, c.Status)
	})
	defer cancel()
	ex, h := runEngine(t, e, clock, jobsDefinition(t), `{"records":10}`)
	d := ex.describe()
	require.Equal(t, StatusSucceeded, d.Status, "error %v cause %v", d.Error, d.Cause)
	assert.JSONEq(t, `{"jobId":"job-1","status":"SUCCEEDED","result":{"bucket":"b","key":"results/job-1.json","records":100,"bytes":1234}}`, *d.Output)
	task := []string{"TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited"}
	want := append([]string{"ExecutionStarted"}, task...)
	want = append(want, task...)
	want = append(want, task...)
	want = append(want, "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded")
	assert.Equal(t, want, eventTypes(h))
	sched := h[2].LambdaFunctionScheduledEventDetails
	require.NotNil(t, sched)
	assert.Equal(t, "arn:aws:lambda:us-east-1:123456789012:function:tracking", sched.Resource)
	assert.Equal(t, int64(30), *sched.TimeoutInSeconds)
	assert.JSONEq(t, `{"jobId":"job-1","executionArn":"`+ex.arn+`","request":{"records":10}}`, *sched.Input)
	for i, ev := range h {
		assert.Equal(t, int64(i+1), ev.ID)
	}
	mu.Lock()
	assert.Equal(t, []string{StatusRunning, StatusSucceeded}, changes)
	mu.Unlock()
}

func TestJobsTransientErrorIsRetried(t *testing.T) {
	e, clock, hs := newJobsEngine("transient")
	start := clock.Now()
	ex, h := runEngine(t, e, clock, jobsDefinition(t), `{}`)
	require.Equal(t, StatusSucceeded, ex.describe().Status)
	assert.Equal(t, []int{0, 1}, hs.attempts, "$$.State.RetryCount counts attempts")
	var failed *Event
	for i := range h {
		if h[i].Type == "LambdaFunctionFailed" {
			failed = &h[i]
		}
	}
	require.NotNil(t, failed)
	assert.Equal(t, "TransientError", *failed.LambdaFunctionFailedEventDetails.Error)
	assert.JSONEq(t, `{"errorMessage":"try again","errorType":"TransientError"}`, *failed.LambdaFunctionFailedEventDetails.Cause)
	// IntervalSeconds 1 with FULL jitter: the retry waited a timer of at most 1s.
	waited := clock.Now().Sub(start)
	assert.LessOrEqual(t, waited, time.Second)
}

func TestJobsPermanentFailureIsCaught(t *testing.T) {
	for _, fail := range []string{"permanent", "panic"} {
		t.Run(fail, func(t *testing.T) {
			e, clock, _ := newJobsEngine(fail)
			ex, h := runEngine(t, e, clock, jobsDefinition(t), `{}`)
			d := ex.describe()
			require.Equal(t, StatusFailed, d.Status)
			wantErr := map[string]string{"permanent": "SimulatedFailure", "panic": "string"}[fail]
			assert.Equal(t, wantErr, *d.Error)
			var cause map[string]string
			require.NoError(t, json.Unmarshal([]byte(*d.Cause), &cause))
			assert.Equal(t, wantErr, cause["errorType"])
			types := eventTypes(h)
			assert.Contains(t, types, "FailStateEntered")
			assert.Equal(t, "ExecutionFailed", types[len(types)-1])
		})
	}
}

func TestTaskTimeoutAndStop(t *testing.T) {
	started := make(chan struct{}, 1)
	cancelled := make(chan struct{}, 1)
	reg := NewRegistry()
	reg.RegisterFunction("block", InvokerFunc(func(ctx context.Context, _ []byte) ([]byte, error) {
		started <- struct{}{}
		<-ctx.Done()
		cancelled <- struct{}{}
		return nil, ctx.Err()
	}))
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:block","TimeoutSeconds":30,"End":true}}}`
	ctx := context.Background()

	t.Run("timeout", func(t *testing.T) {
		clock := NewFakeClock(time.Unix(0, 0))
		e := New(Config{Clock: clock, Invokers: reg})
		sm, err := e.CreateStateMachine(ctx, CreateStateMachineInput{Name: "m", Definition: def, RoleARN: "r"})
		require.NoError(t, err)
		info, err := e.StartExecution(ctx, sm.ARN, "", "{}")
		require.NoError(t, err)
		<-started
		clock.Advance(29 * time.Second)
		assert.Equal(t, StatusRunning, mustDescribe(t, e, info.ExecutionARN).Status)
		clock.Advance(time.Second)
		<-cancelled
		d, err := e.Wait(ctx, info.ExecutionARN)
		require.NoError(t, err)
		assert.Equal(t, StatusFailed, d.Status)
		assert.Equal(t, "States.Timeout", *d.Error)
		h, _ := e.History(ctx, info.ExecutionARN)
		assert.Contains(t, eventTypes(h), "LambdaFunctionTimedOut")
	})
	t.Run("stop aborts the running task", func(t *testing.T) {
		clock := NewFakeClock(time.Unix(0, 0))
		e := New(Config{Clock: clock, Invokers: reg})
		sm, err := e.CreateStateMachine(ctx, CreateStateMachineInput{Name: "m", Definition: def, RoleARN: "r"})
		require.NoError(t, err)
		info, err := e.StartExecution(ctx, sm.ARN, "", "{}")
		require.NoError(t, err)
		<-started
		_, err = e.StopExecution(ctx, info.ExecutionARN, nil, nil)
		require.NoError(t, err)
		<-cancelled
		d := mustDescribe(t, e, info.ExecutionARN)
		assert.Equal(t, StatusAborted, d.Status)
		assert.Equal(t, 0, clock.Pending(), "timers are stopped with the execution")
		h, _ := e.History(ctx, info.ExecutionARN)
		assert.Equal(t, "ExecutionAborted", string(h[len(h)-1].Type))
	})
}

func mustDescribe(t *testing.T, e *Engine, arn string) ExecutionInfo {
	t.Helper()
	d, err := e.DescribeExecution(context.Background(), arn)
	require.NoError(t, err)
	return d
}

func TestLambdaInvokeIntegration(t *testing.T) {
	clock := NewFakeClock(time.Unix(0, 0))
	reg := NewRegistry()
	reg.RegisterFunction("echo", InvokerFunc(func(_ context.Context, p []byte) ([]byte, error) { return p, nil }))
	e := New(Config{Clock: clock, Invokers: reg})
	for name, fn := range map[string]string{
		"name":    `"echo"`,
		"arn":     `"arn:aws:lambda:us-east-1:123456789012:function:echo:$LATEST"`,
		"getatt":  `{"Fn::GetAtt":["echo","Arn"]}`,
		"dynamic": ``,
	} {
		t.Run(name, func(t *testing.T) {
			params := `"FunctionName":` + fn + `,"Payload":{"in.$":"$.v"}`
			if fn == "" {
				params = `"FunctionName.$":"$.fn","Payload":{"in.$":"$.v"}`
			}
			def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{` + params + `},"ResultSelector":{"p.$":"$.Payload","code.$":"$.StatusCode","v.$":"$.ExecutedVersion"},"End":true}}}`
			sm, err := e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "m-" + name, Definition: def, RoleARN: "r"})
			require.NoError(t, err)
			ex, err := e.startExecution(sm.ARN, "x", `{"v":7,"fn":"echo"}`)
			require.NoError(t, err)
			require.True(t, drive(e, clock, ex, true))
			d := ex.describe()
			require.Equal(t, StatusSucceeded, d.Status, "%v %v", d.Error, d.Cause)
			assert.JSONEq(t, `{"p":{"in":7},"code":200,"v":"$LATEST"}`, *d.Output)
			h, _ := e.History(context.Background(), ex.arn)
			assert.Equal(t, []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}, eventTypes(h))
			assert.Equal(t, "lambda", h[2].TaskScheduledEventDetails.ResourceType)
			assert.Equal(t, "invoke", h[2].TaskScheduledEventDetails.Resource)
		})
	}
}

func TestLambdaInvokeAsync(t *testing.T) {
	clock := NewFakeClock(time.Unix(0, 0))
	called := make(chan string, 1)
	reg := NewRegistry()
	reg.RegisterFunction("bg", InvokerFunc(func(_ context.Context, p []byte) ([]byte, error) {
		called <- string(p)
		return []byte(`"ignored"`), nil
	}))
	e := New(Config{Clock: clock, Invokers: reg})
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"bg","InvocationType":"Event","Payload":{"a":1}},"ResultSelector":{"s.$":"$.StatusCode","p.$":"$.Payload"},"End":true}}}`
	ex, _ := runEngine(t, e, clock, def, `{}`)
	d := ex.describe()
	require.Equal(t, StatusSucceeded, d.Status, "%v %v", d.Error, d.Cause)
	assert.JSONEq(t, `{"s":202,"p":""}`, *d.Output)
	assert.JSONEq(t, `{"a":1}`, <-called)
}

func TestMockServiceIntegration(t *testing.T) {
	clock := NewFakeClock(time.Unix(0, 0))
	reg := NewRegistry()
	var got string
	reg.RegisterResource("arn:aws:states:::dynamodb:putItem", InvokerFunc(func(_ context.Context, p []byte) ([]byte, error) {
		got = string(p)
		return []byte(`{"SdkHttpMetadata":{"HttpStatusCode":200}}`), nil
	}))
	e := New(Config{Clock: clock, Invokers: reg})
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","Parameters":{"TableName":"jobs","Item":{"id":{"S.$":"$.id"}}},"ResultPath":"$.put","End":true}}}`
	ex, h := runEngine(t, e, clock, def, `{"id":"a"}`)
	require.Equal(t, StatusSucceeded, ex.describe().Status)
	assert.JSONEq(t, `{"TableName":"jobs","Item":{"id":{"S":"a"}}}`, got)
	assert.Equal(t, "dynamodb", h[2].TaskScheduledEventDetails.ResourceType)
	assert.Equal(t, "putItem", h[2].TaskScheduledEventDetails.Resource)

	_, err := e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "n", RoleARN: "r",
		Definition: strings.Replace(def, "putItem", "getItem", 1)})
	require.Error(t, err)
	assert.Equal(t, codeInvalidDefinition, ErrorCode(err))
	assert.Contains(t, err.Error(), "arn:aws:states:::dynamodb:getItem")
}

func TestHistoryCap(t *testing.T) {
	clock := NewFakeClock(time.Unix(0, 0))
	e := New(Config{Clock: clock})
	def := `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":false,"Next":"A"}],"Default":"C"},"C":{"Type":"Succeed"}}}`
	ex, h := runEngine(t, e, clock, def, `{}`)
	d := ex.describe()
	require.Equal(t, StatusFailed, d.Status)
	assert.Equal(t, "States.Runtime", *d.Error)
	assert.Len(t, h, maxHistoryEvents)
	assert.Equal(t, "ExecutionFailed", string(h[len(h)-1].Type))
}

func TestWaitUsesTheClock(t *testing.T) {
	clock := NewFakeClock(time.Unix(0, 0))
	e := New(Config{Clock: clock})
	def := `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`
	sm, err := e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "w", Definition: def, RoleARN: "r"})
	require.NoError(t, err)
	ex, err := e.startExecution(sm.ARN, "a", `{}`)
	require.NoError(t, err)
	require.True(t, drive(e, clock, ex, false))
	assert.Equal(t, StatusRunning, ex.describe().Status)
	clock.Advance(time.Hour - time.Second)
	assert.Equal(t, StatusRunning, ex.describe().Status)
	clock.Advance(time.Second)
	<-ex.done
	assert.Equal(t, StatusSucceeded, ex.describe().Status)
}

func TestConcurrentExecutions(t *testing.T) {
	e, clock, _ := newJobsEngine("")
	sm, err := e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "m", Definition: jobsDefinition(t), RoleARN: "r"})
	require.NoError(t, err)
	var exs []*execution
	for i := 0; i < 50; i++ {
		ex, err := e.startExecution(sm.ARN, "", `{}`)
		require.NoError(t, err)
		exs = append(exs, ex)
	}
	for _, ex := range exs {
		require.True(t, drive(e, clock, ex, true))
		assert.Equal(t, StatusSucceeded, ex.describe().Status)
	}
	list, err := e.ListExecutions(context.Background(), sm.ARN, StatusSucceeded)
	require.NoError(t, err)
	assert.Len(t, list, 50)
}

func TestStartExecutionErrors(t *testing.T) {
	e := New(Config{})
	_, err := e.StartExecution(context.Background(), "bad", "", "{}")
	assert.Equal(t, codeInvalidArn, ErrorCode(err))
	var ae *APIError
	require.True(t, errors.As(err, &ae))
	assert.Equal(t, "Invalid Arn: 'Invalid ARN prefix: bad'", ae.Message)
}

func TestChoiceAndSucceedApplyPaths(t *testing.T) {
	clock := NewFakeClock(time.Unix(0, 0))
	e := New(Config{Clock: clock})
	def := `{"StartAt":"C","States":{
		"C":{"Type":"Choice","InputPath":"$.a","OutputPath":"$.b","Choices":[{"Variable":"$.b.n","NumericEquals":1,"Next":"S"}]},
		"S":{"Type":"Succeed","OutputPath":"$.n"}}}`
	ex, h := runEngine(t, e, clock, def, `{"a":{"b":{"n":1}}}`)
	d := ex.describe()
	require.Equal(t, StatusSucceeded, d.Status, "%v %v", d.Error, d.Cause)
	assert.Equal(t, "1", *d.Output)
	assert.JSONEq(t, `{"n":1}`, *h[2].StateExitedEventDetails.Output)
}

func TestMapMaxConcurrencyWithWaits(t *testing.T) {
	clock := NewFakeClock(time.Unix(0, 0))
	e := New(Config{Clock: clock})
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":2,"ItemsPath":"$.items",
		"ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$","Next":"P"},"P":{"Type":"Pass","End":true}}},"End":true}}}`
	ex, h := runEngine(t, e, clock, def, `{"items":[3,1,2,1]}`)
	d := ex.describe()
	require.Equal(t, StatusSucceeded, d.Status, "%v %v", d.Error, d.Cause)
	assert.Equal(t, "[3,1,2,1]", *d.Output, "results keep item order")
	// Two slots: 3 and 1 start; 1 ends at t=1 and 2 starts (ends t=3);
	// 3 ends at t=3 and the last 1 ends at t=4.
	assert.Equal(t, time.Unix(4, 0), clock.Now())
	running, peak := 0, 0
	for _, ev := range h {
		switch ev.Type {
		case "MapIterationStarted":
			running++
			peak = max(peak, running)
		case "MapIterationSucceeded":
			running--
		}
	}
	assert.Equal(t, 2, peak)
}

func TestParallelFailureAbortsOtherBranches(t *testing.T) {
	clock := NewFakeClock(time.Unix(0, 0))
	e := New(Config{Clock: clock})
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"Next":"A"},"A":{"Type":"Pass","End":true}}},
		{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Boom","Cause":"branch failed"}}}]}}}`
	ex, h := runEngine(t, e, clock, def, `{}`)
	d := ex.describe()
	require.Equal(t, StatusFailed, d.Status)
	assert.Equal(t, "Boom", *d.Error)
	assert.Equal(t, "branch failed", *d.Cause)
	assert.Equal(t, []string{"ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted", "WaitStateEntered", "FailStateEntered", "ParallelStateFailed", "ExecutionFailed"}, eventTypes(h))
	assert.Equal(t, 0, clock.Pending(), "the aborted branch's wait is cancelled")
}

func TestMachineTimeout(t *testing.T) {
	clock := NewFakeClock(time.Unix(0, 0))
	e := New(Config{Clock: clock})
	def := `{"TimeoutSeconds":5,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`
	ex, h := runEngine(t, e, clock, def, `{}`)
	d := ex.describe()
	assert.Equal(t, StatusTimedOut, d.Status)
	assert.Equal(t, time.Unix(5, 0), d.StopDate)
	assert.Equal(t, "ExecutionTimedOut", string(h[len(h)-1].Type))
}

func TestRetainClosed(t *testing.T) {
	clock := NewFakeClock(time.Unix(0, 0))
	e := New(Config{Clock: clock, RetainClosed: 2})
	ctx := context.Background()
	sm, err := e.CreateStateMachine(ctx, CreateStateMachineInput{Name: "p", Definition: `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, RoleARN: "r"})
	require.NoError(t, err)
	var arns []string
	for i := 0; i < 4; i++ {
		info, err := e.StartExecution(ctx, sm.ARN, "", "{}")
		require.NoError(t, err)
		_, err = e.Wait(ctx, info.ExecutionARN)
		require.NoError(t, err)
		arns = append(arns, info.ExecutionARN)
	}
	_, err = e.DescribeExecution(ctx, arns[0])
	assert.Equal(t, codeExecutionDoesNotExist, ErrorCode(err), "the oldest closed executions are forgotten")
	_, err = e.DescribeExecution(ctx, arns[3])
	assert.NoError(t, err)
	list, err := e.ListExecutions(ctx, sm.ARN, "")
	require.NoError(t, err)
	assert.Len(t, list, 2)
}

func TestWaitIdle(t *testing.T) {
	clock := NewFakeClock(time.Unix(0, 0))
	release := make(chan struct{})
	reg := NewRegistry()
	reg.RegisterFunction("slow", InvokerFunc(func(context.Context, []byte) ([]byte, error) {
		<-release
		return []byte(`{}`), nil
	}))
	e := New(Config{Clock: clock, Invokers: reg})
	ctx := context.Background()
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:slow","Next":"W"},"W":{"Type":"Wait","Seconds":5,"End":true}}}`
	sm, err := e.CreateStateMachine(ctx, CreateStateMachineInput{Name: "m", Definition: def, RoleARN: "r"})
	require.NoError(t, err)
	info, err := e.StartExecution(ctx, sm.ARN, "", "{}")
	require.NoError(t, err)

	short, cancel := context.WithCancel(ctx)
	cancel()
	assert.Error(t, e.WaitIdle(short), "a running task keeps the engine busy")
	close(release)
	require.NoError(t, e.WaitIdle(ctx))
	assert.Equal(t, 1, clock.Pending(), "idle means the Wait's timer is registered")
	clock.Advance(5 * time.Second)
	d, err := e.Wait(ctx, info.ExecutionARN)
	require.NoError(t, err)
	assert.Equal(t, StatusSucceeded, d.Status)
}

func TestDataLimit(t *testing.T) {
	big := `"` + strings.Repeat("x", 256*1024) + `"`
	reg := NewRegistry()
	reg.RegisterFunction("big", InvokerFunc(func(context.Context, []byte) ([]byte, error) { return []byte(big), nil }))
	for name, tt := range map[string]struct {
		catch, status, errName string
	}{
		"uncaught":       {catch: `["States.ALL"]`, status: StatusFailed, errName: "States.DataLimitExceeded"},
		"caught by name": {catch: `["States.DataLimitExceeded"]`, status: StatusSucceeded},
	} {
		t.Run(name, func(t *testing.T) {
			clock := NewFakeClock(time.Unix(0, 0))
			e := New(Config{Clock: clock, Invokers: reg})
			def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:big",
				"Catch":[{"ErrorEquals":` + tt.catch + `,"ResultPath":"$.err","Next":"S"}],"End":true},"S":{"Type":"Succeed"}}}`
			ex, _ := runEngine(t, e, clock, def, `{}`)
			d := ex.describe()
			require.Equal(t, tt.status, d.Status)
			if tt.errName != "" {
				assert.Equal(t, tt.errName, *d.Error)
			} else {
				assert.Contains(t, *d.Output, "States.DataLimitExceeded")
			}
		})
	}
}

// A frame's own goroutine invokes its tasks itself, but a retry fired by
// the clock runs on the clock's goroutine (the test's, with FakeClock):
// its invoker must run elsewhere, or Advance would wait for the task.
func TestRetriedTaskRunsOffTheClockGoroutine(t *testing.T) {
	clock := NewFakeClock(time.Unix(0, 0))
	release := make(chan struct{})
	var calls atomic.Int32
	reg := NewRegistry()
	reg.RegisterFunction("flaky", InvokerFunc(func(ctx context.Context, _ []byte) ([]byte, error) {
		if calls.Add(1) == 1 {
			return nil, errors.New("first call fails")
		}
		select {
		case <-release:
			return []byte(`{"ok":true}`), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}))
	e := New(Config{Clock: clock, Invokers: reg})
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:flaky",` +
		`"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":1}],"End":true}}}`
	sm, err := e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "retry", Definition: def, RoleARN: "r"})
	require.NoError(t, err)
	ex, err := e.startExecution(sm.ARN, "x", `{}`)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return clock.Pending() > 0 && calls.Load() == 1 }, 5*time.Second, time.Millisecond, "the retry is scheduled")

	advanced := make(chan struct{})
	go func() { clock.Advance(time.Minute); close(advanced) }()
	select {
	case <-advanced:
	case <-time.After(5 * time.Second):
		require.FailNow(t, "Advance waited for the retried task's invoker")
	}
	close(release)
	info, err := e.Wait(t.Context(), ex.arn)
	require.NoError(t, err)
	assert.Equal(t, StatusSucceeded, info.Status)
	assert.Equal(t, int32(2), calls.Load())
}

// A frame's task timer is set again for each attempt: a later task with a
// longer timeout is not timed out at the earlier task's deadline, and is
// timed out at its own.
func TestTaskTimeoutPerAttempt(t *testing.T) {
	start := time.Unix(0, 0)
	clock := NewFakeClock(start)
	reg := NewRegistry()
	reg.RegisterFunction("quick", InvokerFunc(func(context.Context, []byte) ([]byte, error) { return []byte(`{}`), nil }))
	reg.RegisterFunction("stuck", InvokerFunc(func(ctx context.Context, _ []byte) ([]byte, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}))
	e := New(Config{Clock: clock, Invokers: reg})
	def := `{"StartAt":"A","States":{
		"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:quick","TimeoutSeconds":2,"Next":"B"},
		"B":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:stuck","TimeoutSeconds":10,"End":true}}}`
	sm, err := e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "timeouts", Definition: def, RoleARN: "r"})
	require.NoError(t, err)
	ex, err := e.startExecution(sm.ARN, "x", `{}`)
	require.NoError(t, err)
	started := func() bool {
		h, _ := e.History(context.Background(), ex.arn)
		n := 0
		for _, ev := range h {
			if ev.Type == "LambdaFunctionStarted" {
				n++
			}
		}
		return n == 2
	}
	require.Eventually(t, started, 5*time.Second, time.Millisecond, "B is running")

	clock.Advance(2 * time.Second)
	assert.Equal(t, StatusRunning, ex.describe().Status, "A's deadline does not time B out")
	clock.Advance(8 * time.Second)
	info, err := e.Wait(t.Context(), ex.arn)
	require.NoError(t, err)
	assert.Equal(t, StatusFailed, info.Status)
	assert.Equal(t, "States.Timeout", deref(info.Error))
	h, err := e.History(context.Background(), ex.arn)
	require.NoError(t, err)
	var timedOut []Event
	for _, ev := range h {
		if ev.Type == "LambdaFunctionTimedOut" {
			timedOut = append(timedOut, ev)
		}
	}
	require.Len(t, timedOut, 1)
	assert.True(t, timedOut[0].Timestamp.Equal(start.Add(10*time.Second)), "timed out at %v", timedOut[0].Timestamp)
	assert.Equal(t, 0, clock.Pending(), "no timer left behind")
}

func TestNewUUIDShape(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		u := NewUUID()
		require.Regexp(t, re, u)
		require.False(t, seen[u], "unique")
		seen[u] = true
	}
}
