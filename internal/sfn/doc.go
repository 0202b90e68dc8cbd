// Package sfn is the local AWS Step Functions engine: it runs Amazon
// States Language definitions (parsed and evaluated by internal/asl). Its
// methods are the Step Functions operations for in-process callers;
// internal/sfnapi serves them as the AWS JSON 1.0 API, so the AWS SDK and
// CLI can drive the engine on loopback.
//
// # Using the engine
//
//	reg := sfn.NewRegistry()
//	reg.RegisterFunction("tracking", lambda.NewHandler(tracking.Handle)) // by function name
//	reg.RegisterFunction("batchSimulation", sfn.LambdaFunc(sim.Handle))  // concurrency-safe adapter
//	reg.RegisterResource("arn:aws:states:::sqs:sendMessage", mySQSMock)  // any other integration
//
//	eng := sfn.New(sfn.Config{Region: "us-east-1", AccountID: "123456789012", Invokers: reg})
//	stop := eng.Subscribe(func(c sfn.StatusChange) { ... })             // RUNNING, SUCCEEDED, FAILED, ...
//	defer stop()
//	sm, err := eng.CreateStateMachine(ctx, sfn.CreateStateMachineInput{Name: "jobs", Definition: def, RoleARN: role})
//	http.Handle("/", sfnapi.Handler(eng))                                // the JSON 1.0 API
//
// The engine's methods are the API operations for in-process callers
// (CreateStateMachine, UpdateStateMachine, DescribeStateMachine,
// ListStateMachines, DeleteStateMachine, ValidateStateMachineDefinition,
// StartExecution, DescribeExecution, DescribeStateMachineForExecution,
// StopExecution, ListExecutions, History, SendTaskSuccess, SendTaskFailure,
// SendTaskHeartbeat, CreateActivity, DescribeActivity, ListActivities,
// DeleteActivity, GetActivityTask, TestState), plus Wait and WaitIdle. Their errors are *APIError,
// with AWS's codes and messages, so the protocol passes them on unchanged.
//
// TestState (teststate.go) runs one state once outside any execution, as
// AWS's TestState API does: with the state's own data-flow steps shown,
// Retry and Catch decided from stateConfiguration, and mocked results
// checked against the service's response shapes (mockshape.go). It uses
// the asl package's steps one at a time and calls invokers directly, so an
// execution's path is not involved.
//
// # Task resources and invokers
//
// Every Task Resource is resolved when the state machine is created, so an
// unknown resource is an InvalidDefinition error naming it, never a runtime
// surprise. Lambda functions are registered by name and match a function
// ARN (any region, account or qualifier), {"Fn::GetAtt": [name, "Arn"]} (as
// serverless-step-functions accepts), and arn:aws:states:::lambda:invoke
// with Parameters.FunctionName (a name, an ARN or Fn::GetAtt; FunctionName.$
// is resolved at run time). Direct Lambda resources record
// LambdaFunctionScheduled/Started/Succeeded/Failed/TimedOut; lambda:invoke
// records TaskScheduled/Started/Succeeded/Failed and returns AWS's envelope
// {ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata,
// StatusCode}. A handler error is named as Lambda names it: the Go type name
// of the error (aws-lambda-go's rule), or messages.InvokeResponse_Error.Type;
// the cause is {"errorMessage": ..., "errorType": ...}. Panics are recovered
// and reported the same way (the type name of the panic value).
//
// To mock another service integration, register an Invoker for its exact
// Resource string with RegisterResource: it receives the state's effective
// Parameters as JSON and returns the task result (or an error, named as
// above). Callback tasks (a Resource ending in .waitForTaskToken, including
// lambda:invoke.waitForTaskToken) see $$.Task.Token; their invoker's return
// is recorded as TaskSubmitted, and SendTaskSuccess, SendTaskFailure or the
// heartbeat and timeout timers end them (SendTaskHeartbeat restarts the
// heartbeat). An invoker that returns a TaskError names the failure as a
// service does (DynamoDB.ConditionalCheckFailedException) rather than as
// Lambda does; a JobInvoker runs the run-a-job pattern (.sync): its
// submission is recorded as TaskSubmitted and the task ends as the job does.
//
// Step Functions Local's mock configurations (Config.Mocks, read by
// internal/sfn/mockconfig) mock Tasks per execution instead:
// StartExecution with "<stateMachineArn>#<TestCase>" answers each attempt of
// a state the test case names with its next numbered response, recording
// the events the real integration would, and States.Runtime once the
// responses run out.
// internal/integration registers the integrations the local runtime serves.
//
// A Resource that is an activity ARN resolves at creation whether or not
// the activity exists; each attempt records ActivityScheduled and waits in
// the activity's queue until GetActivityTask (a long poll of up to 60 s on
// Config.Clock) hands it to a worker with a token, recording
// ActivityStarted. The token then works as a callback token:
// SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat record
// ActivitySucceeded and ActivityFailed, and the timeout and heartbeat,
// which count from ActivityStarted, ActivityTimedOut. A missing activity
// fails the attempt with ActivityScheduleFailed (States.Runtime). See
// activity.go.
//
// # Time
//
// Waits, retry backoffs (with FULL jitter from Config.Rand), task timeouts
// and heartbeats, and the machine's TimeoutSeconds are timers on
// Config.Clock, never sleeping goroutines. Tests use FakeClock and move time
// explicitly, after Engine.WaitIdle has confirmed that every execution is
// waiting on a timer. Executions run on goroutines; a goroutine runs states in a
// flat loop until the execution waits, then gives itself back.
//
// # Fidelity
//
// Histories use AWS's event types, detail shapes and numbering, capped at
// 25,000 events (the execution then fails with States.Runtime). Payloads
// over 256 KiB fail with States.DataLimitExceeded; inputs over 256 KiB are
// InvalidExecutionInput. conformance_test.go replays the executions
// recorded on real AWS in ../shared/conformance and writes its failures to
// testdata/conformance-failures.txt (a local report, not tracked). Both
// query languages run: JSONPath, and JSONata through internal/jsonata (the
// asl package compiles and evaluates the {% %} fields). Not implemented:
// redrive, versions and aliases, tags, distributed Map item
// readers and result writers.
//
// # Durable state
//
// New keeps everything in memory; Config.RetainClosed bounds how many
// closed executions are kept. Open with Config.DataFile also keeps state
// machines (every version), activities, executions, histories and pending
// retry times in a bbolt file, as a write-ahead log: the history events are
// the state, and an execution is rebuilt by replaying them (recover.go). The file is
// package journal's (internal/sfn/journal), reached through the journal
// interface (journal.go, which also encodes the records). Events are
// committed in groups (one transaction and one fsync for many executions'
// events, on a 5 ms tick, at 4096 queued writes, or at once when somebody
// waits); a new execution runs nothing, StartExecution answers and a
// terminal status is reported to subscribers and waiters only once
// committed, so nothing a client was told is lost in a crash and no task
// runs for an execution a crash could take back. After a restart, Resume goes on with each running
// execution from its last recorded event; Open documents what that means
// for a task that was in flight (it is invoked again: handlers must be
// idempotent), for waits and retries (their original times) and for the
// machine's TimeoutSeconds (from the original start).
package sfn
