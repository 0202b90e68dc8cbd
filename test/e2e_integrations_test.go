package test

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestE2EServiceIntegrations runs a user's workflow that calls services
// straight from the state machine, created with the AWS SDK on the local
// runtime: it writes to the runtime's own jobs table with dynamodb:putItem,
// reads the record back with the AWS SDK integration, and runs a child
// workflow with states:startExecution.sync:2. The item is in the table
// afterwards, as the runtime's DynamoDB holds it.
func TestE2EServiceIntegrations(t *testing.T) {
	rt := shared(t)
	if rt.deployed {
		t.Skip("creates state machines on the local runtime")
	}
	ctx := t.Context()
	create := func(name, def string) string {
		t.Helper()
		sm, err := rt.sfn.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
			Name: aws.String(uniqueKey(name)), Definition: aws.String(def), RoleArn: aws.String("arn:aws:iam::000000000000:role/stepjobs-local")})
		require.NoError(t, err, "create %s", name)
		return aws.ToString(sm.StateMachineArn)
	}
	child := create("child", `{"StartAt":"Echo","States":{"Echo":{"Type":"Pass","Parameters":{"echo.$":"$.id"},"End":true}}}`)
	id := uniqueKey("integration")
	parent := create("parent", `{"StartAt":"Put","States":{
	  "Put":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","Parameters":{"TableName":"`+rt.table+`","Item":{"jobId":{"S.$":"$.id"},"status":{"S":"CUSTOM"}}},"ResultPath":null,"Next":"Get"},
	  "Get":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:dynamodb:getItem","Parameters":{"TableName":"`+rt.table+`","Key":{"jobId":{"S.$":"$.id"}}},"ResultSelector":{"status.$":"$.Item.status.S"},"ResultPath":"$.got","Next":"Child"},
	  "Child":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","Parameters":{"StateMachineArn":"`+child+`","Input":{"id.$":"$.id"}},"ResultSelector":{"output.$":"$.Output"},"ResultPath":"$.child","End":true}}}`)

	started, err := rt.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(parent), Input: aws.String(`{"id":"` + id + `"}`)})
	require.NoError(t, err)
	var d *sfn.DescribeExecutionOutput
	require.Eventually(t, func() bool {
		d, err = rt.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: started.ExecutionArn})
		return err == nil && d.Status != sfntypes.ExecutionStatusRunning
	}, 30*time.Second, 20*time.Millisecond)
	require.Equal(t, sfntypes.ExecutionStatusSucceeded, d.Status, "error %s cause %s", aws.ToString(d.Error), aws.ToString(d.Cause))
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(d.Output)), &out))
	assert.Equal(t, map[string]any{"status": "CUSTOM"}, out["got"])
	assert.Equal(t, map[string]any{"output": map[string]any{"echo": id}}, out["child"])

	item, err := rt.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(rt.table),
		Key: map[string]ddbtypes.AttributeValue{"jobId": &ddbtypes.AttributeValueMemberS{Value: id}}})
	require.NoError(t, err)
	assert.Equal(t, &ddbtypes.AttributeValueMemberS{Value: "CUSTOM"}, item.Item["status"])

	history, err := rt.sfn.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: started.ExecutionArn})
	require.NoError(t, err)
	var types []sfntypes.HistoryEventType
	for _, ev := range history.Events {
		if ev.TaskScheduledEventDetails != nil {
			types = append(types, ev.Type)
			assert.Contains(t, []string{"dynamodb", "aws-sdk:dynamodb", "states"}, aws.ToString(ev.TaskScheduledEventDetails.ResourceType))
		}
	}
	assert.Len(t, types, 3)
}

// TestE2ESampleWorkflow runs test/testdata/sample/order.asl.json, the
// sample that uses several integrations together, on the local runtime as
// a user would with the AWS SDK: DynamoDB (putItem, updateItem), SQS
// (createQueue, sendMessage), an activity that a worker completes, and a
// .sync:2 child. The order record and the queued message are where the
// workflow put them.
func TestE2ESampleWorkflow(t *testing.T) {
	rt := shared(t)
	if rt.deployed {
		t.Skip("creates state machines and an activity on the local runtime")
	}
	ctx := t.Context()
	read := func(path string) string {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		return string(b)
	}
	role := aws.String("arn:aws:iam::000000000000:role/stepjobs-local")
	_, err := rt.sfn.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("sample-approval")})
	require.NoError(t, err)
	shipping, err := rt.sfn.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(uniqueKey("shipping")),
		Definition: aws.String(read("testdata/sample/shipping.asl.json")), RoleArn: role})
	require.NoError(t, err)
	order, err := rt.sfn.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(uniqueKey("order")),
		Definition: aws.String(read("testdata/sample/order.asl.json")), RoleArn: role})
	require.NoError(t, err)

	// The approver: a worker that long-polls the activity and approves.
	worker := make(chan error, 1)
	go func() {
		task, err := rt.sfn.GetActivityTask(ctx, &sfn.GetActivityTaskInput{
			ActivityArn: aws.String("arn:aws:states:us-east-1:000000000000:activity:sample-approval"), WorkerName: aws.String("approver")})
		if err == nil && aws.ToString(task.TaskToken) == "" {
			err = errors.New("the long poll ended without a task")
		}
		if err == nil {
			_, err = rt.sfn.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`{"approved":true}`)})
		}
		worker <- err
	}()

	orderID := uniqueKey("order")
	queue := uniqueKey("fulfilment")
	input := `{"orderId":"` + orderID + `","items":3,"table":"` + rt.table + `","queue":"` + queue + `","shipping":"` + aws.ToString(shipping.StateMachineArn) + `"}`
	started, err := rt.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: order.StateMachineArn, Input: aws.String(input)})
	require.NoError(t, err)
	var d *sfn.DescribeExecutionOutput
	require.Eventually(t, func() bool {
		d, err = rt.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: started.ExecutionArn})
		return err == nil && d.Status != sfntypes.ExecutionStatusRunning
	}, 60*time.Second, 20*time.Millisecond)
	require.NoError(t, <-worker, "the worker got the task and answered")
	require.Equal(t, sfntypes.ExecutionStatusSucceeded, d.Status, "error %s cause %s", aws.ToString(d.Error), aws.ToString(d.Cause))

	item, err := rt.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(rt.table),
		Key: map[string]ddbtypes.AttributeValue{"jobId": &ddbtypes.AttributeValueMemberS{Value: orderID}}})
	require.NoError(t, err)
	assert.Equal(t, &ddbtypes.AttributeValueMemberS{Value: "SHIPPED"}, item.Item["status"])
	assert.Equal(t, &ddbtypes.AttributeValueMemberS{Value: "TRK-" + orderID}, item.Item["tracking"])

	sqsc := awssqs.New(awssqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(rt.srv.URLs().SQS),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	msgs, err := sqsc.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(rt.srv.URLs().SQS + "/000000000000/" + queue)})
	require.NoError(t, err)
	require.Len(t, msgs.Messages, 1)
	assert.JSONEq(t, `{"orderId":"`+orderID+`","items":3}`, aws.ToString(msgs.Messages[0].Body))

	history, err := rt.sfn.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: started.ExecutionArn, MaxResults: 1000})
	require.NoError(t, err)
	seen := map[sfntypes.HistoryEventType]bool{}
	for _, ev := range history.Events {
		seen[ev.Type] = true
	}
	for _, typ := range []sfntypes.HistoryEventType{"ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskSubmitted", "TaskSucceeded"} {
		assert.True(t, seen[typ], "history has %s", typ)
	}
}
