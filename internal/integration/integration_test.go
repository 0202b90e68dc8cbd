package integration_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/dynalite"
	"github.com/asyncjobs/stepjobs/internal/eventbridge"
	"github.com/asyncjobs/stepjobs/internal/faults"
	"github.com/asyncjobs/stepjobs/internal/integration"
	"github.com/asyncjobs/stepjobs/internal/sfn"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
)

const role = "arn:aws:iam::123456789012:role/local"

// harness is an engine whose integrations reach a real dynalite, the
// runtime's event rules and the engine itself.
type harness struct {
	eng      *sfn.Engine
	ddb      *dynamodb.Client
	rules    *eventbridge.Rules
	received *recorder
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	srv, err := dynalite.Start(t.Context(), dynalite.Options{})
	require.NoError(t, err, "start dynalite")
	t.Cleanup(func() { _ = srv.Stop() })
	ddb := srv.Client()
	_, err = ddb.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:            aws.String("jobs"),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	})
	require.NoError(t, err)
	require.NoError(t, dynamodb.NewTableExistsWaiter(ddb).Wait(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String("jobs")}, 10*time.Second))

	rec := &recorder{}
	rules := eventbridge.New([]slsconfig.EventRule{{Function: "listener", Pattern: map[string]any{"source": []any{"app.orders"}}}},
		func(string) (sfn.Invoker, bool) { return rec, true }, "us-east-1", "123456789012", slog.New(slog.DiscardHandler))
	t.Cleanup(func() { rules.Stop(context.Background()) })

	reg := sfn.NewRegistry()
	eng := sfn.New(sfn.Config{Region: "us-east-1", AccountID: "123456789012", Invokers: reg})
	got := integration.Register(reg, integration.Config{Region: "us-east-1", AccountID: "123456789012", DynamoDB: ddb, Events: rules, StepFunctions: eng})
	require.Contains(t, got, "arn:aws:states:::dynamodb:putItem")
	return &harness{eng: eng, ddb: ddb, rules: rules, received: rec}
}

// recorder is a rule's target: it keeps what it receives, and answers
// (in the background, as a worker would) when answer is set.
type recorder struct {
	mu     sync.Mutex
	seen   []string
	answer func(payload string)
}

func (r *recorder) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, string(payload))
	if r.answer != nil {
		go r.answer(string(payload))
	}
	return nil, nil
}

// run creates a machine from def, runs it on input and returns the
// execution and its history.
func (h *harness) run(t *testing.T, name, def, input string) (sfn.ExecutionInfo, []sfn.Event) {
	t.Helper()
	ctx := t.Context()
	sm, err := h.eng.CreateStateMachine(ctx, sfn.CreateStateMachineInput{Name: name, Definition: def, RoleARN: role})
	require.NoError(t, err, "create %s", name)
	started, err := h.eng.StartExecution(ctx, sm.ARN, "", input)
	require.NoError(t, err)
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	done, err := h.eng.Wait(wctx, started.ExecutionARN)
	require.NoError(t, err)
	events, err := h.eng.History(ctx, started.ExecutionARN)
	require.NoError(t, err)
	return done, events
}

func decode(t *testing.T, s *string) map[string]any {
	t.Helper()
	require.NotNil(t, s)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(*s), &m), *s)
	return m
}

func eventsOf(events []sfn.Event, typ string) []sfn.Event {
	var out []sfn.Event
	for _, ev := range events {
		if string(ev.Type) == typ {
			out = append(out, ev)
		}
	}
	return out
}

// The optimized DynamoDB integration writes to and reads from the local
// DynamoDB, answers with the API's fields plus the SDK's HTTP metadata,
// and names a failed condition DynamoDB.ConditionalCheckFailedException.
func TestDynamoDBOptimized(t *testing.T) {
	h := newHarness(t)
	def := `{"StartAt":"Put","States":{
	  "Put":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","Parameters":{"TableName":"jobs","Item":{"id":{"S.$":"$.id"},"n":{"N":"1"}}},"ResultPath":"$.put","Next":"Update"},
	  "Update":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:updateItem","Parameters":{"TableName":"jobs","Key":{"id":{"S.$":"$.id"}},"UpdateExpression":"SET n = n + :one","ExpressionAttributeValues":{":one":{"N":"1"}},"ReturnValues":"UPDATED_NEW"},"ResultPath":"$.update","Next":"Get"},
	  "Get":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:getItem","Parameters":{"TableName":"jobs","Key":{"id":{"S.$":"$.id"}}},"ResultPath":"$.get","Next":"PutAgain"},
	  "PutAgain":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","Parameters":{"TableName":"jobs","Item":{"id":{"S.$":"$.id"}},"ConditionExpression":"attribute_not_exists(id)"},
	    "Catch":[{"ErrorEquals":["DynamoDB.ConditionalCheckFailedException"],"ResultPath":"$.caught","Next":"Delete"}],"End":true},
	  "Delete":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:deleteItem","Parameters":{"TableName":"jobs","Key":{"id":{"S.$":"$.id"}}},"ResultPath":"$.delete","End":true}}}`
	done, events := h.run(t, "ddb", def, `{"id":"job-1"}`)
	require.Equal(t, sfn.StatusSucceeded, done.Status, "%v %v", done.Error, done.Cause)
	out := decode(t, done.Output)

	assert.Equal(t, map[string]any{"n": map[string]any{"N": "2"}}, out["update"].(map[string]any)["Attributes"])
	get := out["get"].(map[string]any)
	assert.Equal(t, map[string]any{"id": map[string]any{"S": "job-1"}, "n": map[string]any{"N": "2"}}, get["Item"])
	meta := get["SdkHttpMetadata"].(map[string]any)
	assert.EqualValues(t, 200, meta["HttpStatusCode"])
	assert.Equal(t, "application/x-amz-json-1.0", meta["HttpHeaders"].(map[string]any)["Content-Type"])
	assert.NotEmpty(t, get["SdkResponseMetadata"].(map[string]any)["RequestId"])

	caught := out["caught"].(map[string]any)
	assert.Equal(t, "DynamoDB.ConditionalCheckFailedException", caught["Error"])
	assert.Regexp(t, `^The conditional request failed \(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; Request ID: \S+; Proxy: null\)$`, caught["Cause"])

	_, err := h.ddb.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String("jobs"), Key: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "job-1"}}})
	require.NoError(t, err)

	sched := eventsOf(events, "TaskScheduled")
	require.Len(t, sched, 5)
	assert.Equal(t, "dynamodb", sched[0].TaskScheduledEventDetails.ResourceType)
	assert.Equal(t, "putItem", sched[0].TaskScheduledEventDetails.Resource)
	failed := eventsOf(events, "TaskFailed")
	require.Len(t, failed, 1)
	assert.Equal(t, "DynamoDB.ConditionalCheckFailedException", *failed[0].TaskFailedEventDetails.Error)
}

// The AWS SDK integration answers with the API's fields alone, and names
// errors <ServiceId>.<Code>Exception.
func TestDynamoDBSDK(t *testing.T) {
	h := newHarness(t)
	def := `{"StartAt":"Put","States":{
	  "Put":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:dynamodb:putItem","Parameters":{"TableName":"jobs","Item":{"id":{"S":"a"}}},"ResultPath":"$.put","Next":"Query"},
	  "Query":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:dynamodb:query","Parameters":{"TableName":"jobs","KeyConditionExpression":"id = :id","ExpressionAttributeValues":{":id":{"S":"a"}}},"ResultPath":"$.query","Next":"Missing"},
	  "Missing":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:dynamodb:getItem","Parameters":{"TableName":"nope","Key":{"id":{"S":"a"}}},
	    "Catch":[{"ErrorEquals":["DynamoDb.ResourceNotFoundException"],"ResultPath":"$.caught","Next":"Done"}],"End":true},
	  "Done":{"Type":"Succeed"}}}`
	done, events := h.run(t, "sdk", def, `{}`)
	require.Equal(t, sfn.StatusSucceeded, done.Status, "%v %v", done.Error, done.Cause)
	out := decode(t, done.Output)
	assert.Equal(t, map[string]any{}, out["put"], "no SDK metadata in an aws-sdk answer")
	assert.EqualValues(t, 1, out["query"].(map[string]any)["Count"])
	caught := out["caught"].(map[string]any)
	assert.Equal(t, "DynamoDb.ResourceNotFoundException", caught["Error"])
	assert.Regexp(t, `^Requested resource not found \(Service: DynamoDb, Status Code: 400, Request ID: \S+\)$`, caught["Cause"])
	sched := eventsOf(events, "TaskScheduled")
	require.NotEmpty(t, sched)
	assert.Equal(t, "aws-sdk:dynamodb", sched[0].TaskScheduledEventDetails.ResourceType)
	assert.Equal(t, "putItem", sched[0].TaskScheduledEventDetails.Resource)
}

// A Resource the runtime cannot serve is refused when the machine is
// created, named.
func TestUnservedResourceRefused(t *testing.T) {
	h := newHarness(t)
	_, err := h.eng.CreateStateMachine(t.Context(), sfn.CreateStateMachineInput{Name: "ec2", RoleARN: role,
		Definition: `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:ec2:describeInstances","End":true}}}`})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "arn:aws:states:::aws-sdk:ec2:describeInstances")
}

// events:putEvents reaches the rules; a refused entry fails the task with
// EventBridge.FailedEntry and the whole answer as cause.
func TestPutEvents(t *testing.T) {
	h := newHarness(t)
	def := `{"StartAt":"Put","States":{
	  "Put":{"Type":"Task","Resource":"arn:aws:states:::events:putEvents","Parameters":{"Entries":[{"Source":"app.orders","DetailType":"OrderPlaced","Detail":{"id.$":"$.id"}}]},"ResultPath":"$.put","Next":"Bad"},
	  "Bad":{"Type":"Task","Resource":"arn:aws:states:::events:putEvents","Parameters":{"Entries":[{"DetailType":"NoSource","Detail":"{}"}]},
	    "Catch":[{"ErrorEquals":["EventBridge.FailedEntry"],"ResultPath":"$.caught","Next":"Done"}],"End":true},
	  "Done":{"Type":"Succeed"}}}`
	done, _ := h.run(t, "events", def, `{"id":"o-1"}`)
	require.Equal(t, sfn.StatusSucceeded, done.Status, "%v %v", done.Error, done.Cause)
	out := decode(t, done.Output)
	put := out["put"].(map[string]any)
	assert.EqualValues(t, 0, put["FailedEntryCount"])
	assert.NotEmpty(t, put["Entries"].([]any)[0].(map[string]any)["EventId"])
	caught := out["caught"].(map[string]any)
	assert.Equal(t, "EventBridge.FailedEntry", caught["Error"])
	assert.JSONEq(t, `{"Entries":[{"ErrorCode":"InvalidArgument","ErrorMessage":"Parameter Source is not valid. Reason: Source is a required argument."}],"FailedEntryCount":1}`, caught["Cause"].(string))

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	require.NoError(t, h.rules.Wait(ctx))
	h.received.mu.Lock()
	defer h.received.mu.Unlock()
	require.Len(t, h.received.seen, 1)
	var ev map[string]any
	require.NoError(t, json.Unmarshal([]byte(h.received.seen[0]), &ev))
	assert.Equal(t, map[string]any{"id": "o-1"}, ev["detail"], "a Detail given as JSON is sent as its text")
}

// states:startExecution starts a child on the same engine in each pattern:
// fire and forget, .sync (output as a string) and .sync:2 (as JSON); a
// failed child fails the .sync task with States.TaskFailed.
func TestStartExecution(t *testing.T) {
	h := newHarness(t)
	child, err := h.eng.CreateStateMachine(t.Context(), sfn.CreateStateMachineInput{Name: "child", RoleARN: role,
		Definition: `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.fail","BooleanEquals":true,"Next":"Boom"}],"Default":"Ok"},
		  "Ok":{"Type":"Pass","Result":{"done":true},"End":true},"Boom":{"Type":"Fail","Error":"ChildFailed","Cause":"asked to"}}}`})
	require.NoError(t, err)
	def := `{"StartAt":"Fire","States":{
	  "Fire":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution","Parameters":{"StateMachineArn":"` + child.ARN + `","Input":{"fail":false}},"ResultPath":"$.fire","Next":"Sync"},
	  "Sync":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync","Parameters":{"StateMachineArn":"` + child.ARN + `","Input":{"fail":false}},"ResultPath":"$.sync","Next":"Sync2"},
	  "Sync2":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","Parameters":{"StateMachineArn":"` + child.ARN + `","Name":"named-child","Input":{"fail":false}},"ResultPath":"$.sync2","Next":"Again"},
	  "Again":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution","Parameters":{"StateMachineArn":"` + child.ARN + `","Name":"named-child","Input":{"fail":true}},
	    "Catch":[{"ErrorEquals":["StepFunctions.ExecutionAlreadyExistsException"],"ResultPath":"$.exists","Next":"Fails"}],"End":true},
	  "Fails":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","Parameters":{"StateMachineArn":"` + child.ARN + `","Input":{"fail":true}},
	    "Catch":[{"ErrorEquals":["States.TaskFailed"],"ResultPath":"$.failed","Next":"Done"}],"End":true},
	  "Done":{"Type":"Succeed"}}}`
	done, events := h.run(t, "parent", def, `{}`)
	require.Equal(t, sfn.StatusSucceeded, done.Status, "%v %v", done.Error, done.Cause)
	out := decode(t, done.Output)

	fire := out["fire"].(map[string]any)
	assert.Contains(t, fire["ExecutionArn"], ":execution:child:")
	assert.Contains(t, fire, "SdkHttpMetadata")
	assert.IsType(t, float64(0), fire["StartDate"], "dates are epoch milliseconds")

	sync := out["sync"].(map[string]any)
	assert.Equal(t, "SUCCEEDED", sync["Status"])
	assert.Equal(t, `{"done":true}`, sync["Output"], ".sync: the output as a string")
	assert.Equal(t, `{"fail":false}`, sync["Input"])

	sync2 := out["sync2"].(map[string]any)
	assert.Equal(t, map[string]any{"done": true}, sync2["Output"], ".sync:2: the output as JSON")
	assert.Equal(t, "named-child", sync2["Name"])

	assert.Equal(t, "StepFunctions.ExecutionAlreadyExistsException", out["exists"].(map[string]any)["Error"])

	failed := out["failed"].(map[string]any)
	assert.Equal(t, "States.TaskFailed", failed["Error"])
	var cause map[string]any
	require.NoError(t, json.Unmarshal([]byte(failed["Cause"].(string)), &cause))
	assert.Equal(t, "FAILED", cause["Status"])
	assert.Equal(t, "ChildFailed", cause["Error"])
	assert.Equal(t, "asked to", cause["Cause"])

	submitted := eventsOf(events, "TaskSubmitted")
	require.Len(t, submitted, 3, "each .sync task records the start as TaskSubmitted")
	assert.Equal(t, "startExecution.sync", submitted[0].TaskSubmittedEventDetails.Resource)
	assert.True(t, strings.Contains(*submitted[0].TaskSubmittedEventDetails.Output, "ExecutionArn"))
}

// Every integration has one target name for all its patterns, which the
// runtime's --fault takes.
func TestTargets(t *testing.T) {
	targets := integration.Targets()
	for _, want := range []string{"dynamodb.putItem", "aws-sdk.dynamodb.query", "events.putEvents", "states.startExecution", "aws-sdk.sfn.startExecution"} {
		assert.Contains(t, targets, want)
	}
	assert.NotContains(t, targets, "states.startExecution.sync")
}

// Config.Wrap reaches every integration, .sync ones included: an injected
// fault fails the task (and Retry or Catch sees it); a .sync task stays a
// run-a-job task under a fault that lets it through.
func TestWrapInjectsFaults(t *testing.T) {
	srv, err := dynalite.Start(t.Context(), dynalite.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	reg := sfn.NewRegistry()
	eng := sfn.New(sfn.Config{Region: "us-east-1", AccountID: "123456789012", Invokers: reg})
	var wrapped []string
	integration.Register(reg, integration.Config{DynamoDB: srv.Client(), StepFunctions: eng,
		Wrap: func(target string, inv sfn.Invoker) sfn.Invoker {
			wrapped = append(wrapped, target)
			switch target {
			case "dynamodb.putItem":
				return faults.NewInvoker(target, inv, faults.TaskFault{ErrorRate: 1, ErrorType: "DynamoDB.ProvisionedThroughputExceededException"}, 1)
			case "states.startExecution":
				return faults.NewInvoker(target, inv, faults.TaskFault{Latency: time.Millisecond}, 1)
			}
			return inv
		}})
	assert.Contains(t, wrapped, "aws-sdk.dynamodb.getItem")

	h := &harness{eng: eng}
	child, err := eng.CreateStateMachine(t.Context(), sfn.CreateStateMachineInput{Name: "child", RoleARN: role,
		Definition: `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`})
	require.NoError(t, err)
	done, events := h.run(t, "faulty", `{"StartAt":"Put","States":{
	  "Put":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","Parameters":{"TableName":"t","Item":{"id":{"S":"a"}}},
	    "Retry":[{"ErrorEquals":["DynamoDB.ProvisionedThroughputExceededException"],"MaxAttempts":1,"IntervalSeconds":1}],
	    "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.caught","Next":"Child"}],"End":true},
	  "Child":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync","Parameters":{"StateMachineArn":"`+child.ARN+`"},"ResultPath":"$.child","End":true}}}`, `{}`)
	require.Equal(t, sfn.StatusSucceeded, done.Status, "%v %v", done.Error, done.Cause)
	out := decode(t, done.Output)
	assert.Equal(t, "DynamoDB.ProvisionedThroughputExceededException", out["caught"].(map[string]any)["Error"])
	assert.Len(t, eventsOf(events, "TaskFailed"), 2, "the attempt and its retry")
	assert.Len(t, eventsOf(events, "TaskSubmitted"), 1, "the faulted .sync task is still submitted, then awaited")
}

// events:putEvents.waitForTaskToken sends the event, then the task waits
// until the rule's target answers with the token.
func TestPutEventsWaitForTaskToken(t *testing.T) {
	h := newHarness(t)
	h.received.answer = func(payload string) {
		var ev struct {
			Detail struct{ Token, Execution string } `json:"detail"`
		}
		if json.Unmarshal([]byte(payload), &ev) != nil {
			return
		}
		// A worker answers once the task waits for it (an answer that
		// comes while the event is being put ends the task too, before
		// TaskSubmitted is recorded).
		for range 1000 {
			events, _ := h.eng.History(context.Background(), ev.Detail.Execution)
			if len(eventsOf(events, "TaskSubmitted")) > 0 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		_ = h.eng.SendTaskSuccess(context.Background(), ev.Detail.Token, `{"approved":true}`)
	}
	done, events := h.run(t, "callback", `{"StartAt":"Ask","States":{
	  "Ask":{"Type":"Task","Resource":"arn:aws:states:::events:putEvents.waitForTaskToken","TimeoutSeconds":10,
	    "Parameters":{"Entries":[{"Source":"app.orders","DetailType":"Approve","Detail":{"Token.$":"$$.Task.Token","Execution.$":"$$.Execution.Id"}}]},"End":true}}}`, `{}`)
	require.Equal(t, sfn.StatusSucceeded, done.Status, "%v %v", done.Error, done.Cause)
	assert.JSONEq(t, `{"approved":true}`, *done.Output)
	submitted := eventsOf(events, "TaskSubmitted")
	require.Len(t, submitted, 1)
	assert.Equal(t, "putEvents.waitForTaskToken", submitted[0].TaskSubmittedEventDetails.Resource)
	assert.Contains(t, *submitted[0].TaskSubmittedEventDetails.Output, `"FailedEntryCount":0`)
}
