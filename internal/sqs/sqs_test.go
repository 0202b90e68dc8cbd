package sqs_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/localaws"
	"github.com/asyncjobs/stepjobs/internal/sqs"
)

type fixture struct {
	svc    *sqs.Service
	client *awssqs.Client
	clock  *localaws.FakeClock
	url    string
}

// newFixture serves a Service on loopback and returns an SDK client of it.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{clock: localaws.NewFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}
	// The listener comes first: queue URLs carry its address.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f.url = "http://" + ln.Addr().String()
	f.svc = sqs.New(sqs.Config{BaseURL: f.url, Clock: f.clock})
	srv := httptest.NewUnstartedServer(f.svc.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	require.Equal(t, f.url, srv.URL)
	f.client = awssqs.New(awssqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(f.url),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	return f
}

func (f *fixture) createQueue(t *testing.T, name string, attrs map[string]string) string {
	t.Helper()
	out, err := f.client.CreateQueue(context.Background(), &awssqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	require.NoError(t, err)
	return aws.ToString(out.QueueUrl)
}

func (f *fixture) receive(t *testing.T, url string, n int32) []types.Message {
	t.Helper()
	out, err := f.client.ReceiveMessage(context.Background(), &awssqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), MaxNumberOfMessages: n,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	require.NoError(t, err)
	return out.Messages
}

func (f *fixture) attributes(t *testing.T, url string) map[string]string {
	t.Helper()
	out, err := f.client.GetQueueAttributes(context.Background(), &awssqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	require.NoError(t, err)
	return out.Attributes
}

func TestQueueLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	url := f.createQueue(t, "jobs", map[string]string{"VisibilityTimeout": "45"})
	assert.Equal(t, f.url+"/000000000000/jobs", url)

	// CreateQueue again with the same attributes is the same queue.
	assert.Equal(t, url, f.createQueue(t, "jobs", map[string]string{"VisibilityTimeout": "45"}))

	got, err := f.client.GetQueueUrl(ctx, &awssqs.GetQueueUrlInput{QueueName: aws.String("jobs")})
	require.NoError(t, err)
	assert.Equal(t, url, aws.ToString(got.QueueUrl))

	f.createQueue(t, "jobs-dlq", nil)
	f.createQueue(t, "other", nil)
	list, err := f.client.ListQueues(ctx, &awssqs.ListQueuesInput{QueueNamePrefix: aws.String("jobs")})
	require.NoError(t, err)
	assert.Equal(t, []string{url, f.url + "/000000000000/jobs-dlq"}, list.QueueUrls)
	page, err := f.client.ListQueues(ctx, &awssqs.ListQueuesInput{MaxResults: aws.Int32(2)})
	require.NoError(t, err)
	assert.Len(t, page.QueueUrls, 2)
	require.NotNil(t, page.NextToken)
	rest, err := f.client.ListQueues(ctx, &awssqs.ListQueuesInput{MaxResults: aws.Int32(2), NextToken: page.NextToken})
	require.NoError(t, err)
	assert.Equal(t, []string{f.url + "/000000000000/other"}, rest.QueueUrls)

	attrs := f.attributes(t, url)
	assert.Equal(t, map[string]string{
		"QueueArn": "arn:aws:sqs:us-east-1:000000000000:jobs", "ApproximateNumberOfMessages": "0",
		"ApproximateNumberOfMessagesNotVisible": "0", "ApproximateNumberOfMessagesDelayed": "0",
		"CreatedTimestamp": "1767323045", "LastModifiedTimestamp": "1767323045", "VisibilityTimeout": "45",
		"MaximumMessageSize": "1048576", "MessageRetentionPeriod": "345600", "DelaySeconds": "0",
		"ReceiveMessageWaitTimeSeconds": "0", "SqsManagedSseEnabled": "true",
	}, attrs)

	_, err = f.client.SetQueueAttributes(ctx, &awssqs.SetQueueAttributesInput{QueueUrl: aws.String(url),
		Attributes: map[string]string{"DelaySeconds": "5", "RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:jobs-dlq","maxReceiveCount":"3"}`}})
	require.NoError(t, err)
	one, err := f.client.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameDelaySeconds, types.QueueAttributeNameRedrivePolicy}})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"DelaySeconds": "5",
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:jobs-dlq","maxReceiveCount":3}`}, one.Attributes)

	_, err = f.client.TagQueue(ctx, &awssqs.TagQueueInput{QueueUrl: aws.String(url), Tags: map[string]string{"team": "a", "env": "dev"}})
	require.NoError(t, err)
	_, err = f.client.UntagQueue(ctx, &awssqs.UntagQueueInput{QueueUrl: aws.String(url), TagKeys: []string{"env"}})
	require.NoError(t, err)
	tags, err := f.client.ListQueueTags(ctx, &awssqs.ListQueueTagsInput{QueueUrl: aws.String(url)})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"team": "a"}, tags.Tags)

	_, err = f.client.DeleteQueue(ctx, &awssqs.DeleteQueueInput{QueueUrl: aws.String(url)})
	require.NoError(t, err)
	_, err = f.client.GetQueueUrl(ctx, &awssqs.GetQueueUrlInput{QueueName: aws.String("jobs")})
	var missing *types.QueueDoesNotExist
	require.ErrorAs(t, err, &missing)
	assert.Equal(t, "AWS.SimpleQueueService.NonExistentQueue", missing.ErrorCode())

	// The name is free again 60 seconds later, as on AWS.
	_, err = f.client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("jobs")})
	var recently *types.QueueDeletedRecently
	require.ErrorAs(t, err, &recently)
	f.clock.Advance(61 * time.Second)
	f.createQueue(t, "jobs", nil)
}

func TestErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	url := f.createQueue(t, "q", nil)
	fifo := f.createQueue(t, "q.fifo", map[string]string{"FifoQueue": "true"})
	missing := f.url + "/000000000000/nope"
	tests := map[string]struct {
		call func() error
		code string // the SDK's ErrorCode: the query code SQS sends
		as   any    // the SDK's modelled error type, when there is one
	}{
		"no queue": {func() error {
			_, err := f.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &missing, MessageBody: aws.String("x")})
			return err
		}, "AWS.SimpleQueueService.NonExistentQueue", new(*types.QueueDoesNotExist)},
		"other account": {func() error {
			_, err := f.client.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(f.url + "/111111111111/q")})
			return err
		}, "AWS.SimpleQueueService.NonExistentQueue", new(*types.QueueDoesNotExist)},
		"name taken": {func() error {
			_, err := f.client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("q"), Attributes: map[string]string{"DelaySeconds": "3"}})
			return err
		}, "QueueAlreadyExists", new(*types.QueueNameExists)},
		"bad name": {func() error {
			_, err := f.client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("a b")})
			return err
		}, "InvalidParameterValue", nil},
		"fifo name without the attribute": {func() error {
			_, err := f.client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("x.fifo")})
			return err
		}, "InvalidParameterValue", nil},
		"unknown attribute": {func() error {
			_, err := f.client.SetQueueAttributes(ctx, &awssqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"Colour": "red"}})
			return err
		}, "InvalidAttributeName", new(*types.InvalidAttributeName)},
		"attribute out of range": {func() error {
			_, err := f.client.SetQueueAttributes(ctx, &awssqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"VisibilityTimeout": "50000"}})
			return err
		}, "InvalidAttributeValue", new(*types.InvalidAttributeValue)},
		"dead-letter queue missing": {func() error {
			_, err := f.client.SetQueueAttributes(ctx, &awssqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{
				"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:none","maxReceiveCount":2}`}})
			return err
		}, "InvalidParameterValue", nil},
		"empty body": {func() error {
			_, err := f.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("")})
			return err
		}, "MissingParameter", nil},
		"invalid characters": {func() error {
			_, err := f.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("a\x00b")})
			return err
		}, "InvalidMessageContents", new(*types.InvalidMessageContents)},
		"delay too long": {func() error {
			_, err := f.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), DelaySeconds: 901})
			return err
		}, "InvalidParameterValue", nil},
		"attribute without value": {func() error {
			_, err := f.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"),
				MessageAttributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("String")}}})
			return err
		}, "InvalidParameterValue", nil},
		"fifo without group": {func() error {
			_, err := f.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &fifo, MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")})
			return err
		}, "MissingParameter", nil},
		"fifo without deduplication": {func() error {
			_, err := f.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &fifo, MessageBody: aws.String("x"), MessageGroupId: aws.String("g")})
			return err
		}, "InvalidParameterValue", nil},
		"too many messages asked": {func() error {
			_, err := f.client.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 11})
			return err
		}, "InvalidParameterValue", nil},
		"wait too long": {func() error {
			_, err := f.client.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 21})
			return err
		}, "InvalidParameterValue", nil},
		"bad receipt handle": {func() error {
			_, err := f.client.DeleteMessage(ctx, &awssqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: aws.String("garbage")})
			return err
		}, "ReceiptHandleIsInvalid", new(*types.ReceiptHandleIsInvalid)},
		"empty batch": {func() error {
			_, err := f.client.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: &url, Entries: []types.SendMessageBatchRequestEntry{}})
			return err
		}, "AWS.SimpleQueueService.EmptyBatchRequest", new(*types.EmptyBatchRequest)},
		"batch too big": {func() error {
			entries := make([]types.SendMessageBatchRequestEntry, 11)
			for i := range entries {
				entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String("x")}
			}
			_, err := f.client.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries})
			return err
		}, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", new(*types.TooManyEntriesInBatchRequest)},
		"batch ids repeated": {func() error {
			_, err := f.client.DeleteMessageBatch(ctx, &awssqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: []types.DeleteMessageBatchRequestEntry{
				{Id: aws.String("a"), ReceiptHandle: aws.String("h")}, {Id: aws.String("a"), ReceiptHandle: aws.String("h")}}})
			return err
		}, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", new(*types.BatchEntryIdsNotDistinct)},
		"batch id malformed": {func() error {
			_, err := f.client.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: &url, Entries: []types.SendMessageBatchRequestEntry{
				{Id: aws.String("a b"), MessageBody: aws.String("x")}}})
			return err
		}, "AWS.SimpleQueueService.InvalidBatchEntryId", new(*types.InvalidBatchEntryId)},
		"purge twice": {func() error {
			if _, err := f.client.PurgeQueue(ctx, &awssqs.PurgeQueueInput{QueueUrl: &fifo}); err != nil {
				return err
			}
			_, err := f.client.PurgeQueue(ctx, &awssqs.PurgeQueueInput{QueueUrl: &fifo})
			return err
		}, "AWS.SimpleQueueService.PurgeQueueInProgress", new(*types.PurgeQueueInProgress)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := tc.call()
			var apiErr smithy.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.code, apiErr.ErrorCode())
			assert.NotEmpty(t, apiErr.ErrorMessage())
			if tc.as != nil {
				assert.ErrorAs(t, err, tc.as)
			}
		})
	}
}

func TestSendReceiveDelete(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	url := f.createQueue(t, "q", map[string]string{"VisibilityTimeout": "10"})
	body := `{"job":"é ✓ 😀"}`
	sent, err := f.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: &body,
		MessageAttributes: map[string]types.MessageAttributeValue{
			"kind":  {DataType: aws.String("String"), StringValue: aws.String("weather")},
			"count": {DataType: aws.String("Number"), StringValue: aws.String("3")},
			"blob":  {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},
		}})
	require.NoError(t, err) // the SDK checks MD5OfMessageBody
	assert.Equal(t, "62d855ab4d228062bcd5cc598567b1da", aws.ToString(sent.MD5OfMessageBody))
	assert.Len(t, aws.ToString(sent.MD5OfMessageAttributes), 32)

	f.clock.Advance(time.Second)
	msgs := f.receive(t, url, 10)
	require.Len(t, msgs, 1)
	m := msgs[0]
	assert.Equal(t, aws.ToString(sent.MessageId), aws.ToString(m.MessageId))
	assert.Equal(t, body, aws.ToString(m.Body))
	assert.Equal(t, aws.ToString(sent.MD5OfMessageAttributes), aws.ToString(m.MD5OfMessageAttributes))
	assert.Equal(t, []byte{0, 1, 2}, m.MessageAttributes["blob"].BinaryValue)
	assert.Equal(t, "weather", aws.ToString(m.MessageAttributes["kind"].StringValue))
	assert.Equal(t, "1", m.Attributes["ApproximateReceiveCount"])
	assert.Equal(t, "1767323045000", m.Attributes["SentTimestamp"])
	assert.Equal(t, "1767323046000", m.Attributes["ApproximateFirstReceiveTimestamp"])
	assert.Equal(t, "1", f.attributes(t, url)["ApproximateNumberOfMessagesNotVisible"])

	// Invisible until the visibility timeout ends, then received again.
	assert.Empty(t, f.receive(t, url, 10))
	f.clock.Advance(10 * time.Second)
	again := f.receive(t, url, 10)
	require.Len(t, again, 1)
	assert.Equal(t, "2", again[0].Attributes["ApproximateReceiveCount"])
	assert.NotEqual(t, aws.ToString(m.ReceiptHandle), aws.ToString(again[0].ReceiptHandle))

	_, err = f.client.DeleteMessage(ctx, &awssqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: again[0].ReceiptHandle})
	require.NoError(t, err)
	// Deleting it again succeeds, as on AWS.
	_, err = f.client.DeleteMessage(ctx, &awssqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: again[0].ReceiptHandle})
	require.NoError(t, err)
	f.clock.Advance(time.Minute)
	assert.Empty(t, f.receive(t, url, 10))
	assert.Equal(t, "0", f.attributes(t, url)["ApproximateNumberOfMessagesNotVisible"])
}

func TestSelectedAttributes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	url := f.createQueue(t, "q", nil)
	_, err := f.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"job.id":   {DataType: aws.String("String"), StringValue: aws.String("1")},
			"job.kind": {DataType: aws.String("String"), StringValue: aws.String("a")},
			"other":    {DataType: aws.String("String"), StringValue: aws.String("b")},
		}})
	require.NoError(t, err)
	out, err := f.client.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: &url,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameSentTimestamp},
		MessageAttributeNames:       []string{"job.*"}})
	require.NoError(t, err)
	require.Len(t, out.Messages, 1)
	assert.Equal(t, []string{"SentTimestamp"}, keys(out.Messages[0].Attributes))
	assert.ElementsMatch(t, []string{"job.id", "job.kind"}, keys(out.Messages[0].MessageAttributes))
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestDelayAndVisibility(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	url := f.createQueue(t, "q", map[string]string{"DelaySeconds": "30"})
	_, err := f.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("queue delay")})
	require.NoError(t, err)
	_, err = f.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("no delay"), DelaySeconds: 0})
	require.NoError(t, err)
	// DelaySeconds 0 is not sent by the SDK (a zero value), so the queue's
	// delay holds for both.
	assert.Equal(t, "2", f.attributes(t, url)["ApproximateNumberOfMessagesDelayed"])
	assert.Empty(t, f.receive(t, url, 10))
	f.clock.Advance(30 * time.Second)
	msgs := f.receive(t, url, 10)
	require.Len(t, msgs, 2)

	// ChangeMessageVisibility 0 makes one receivable at once.
	_, err = f.client.ChangeMessageVisibility(ctx, &awssqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: msgs[0].ReceiptHandle, VisibilityTimeout: 0})
	require.NoError(t, err)
	back := f.receive(t, url, 10)
	require.Len(t, back, 1)
	assert.Equal(t, aws.ToString(msgs[0].MessageId), aws.ToString(back[0].MessageId))

	// A longer timeout, by batch.
	out, err := f.client.ChangeMessageVisibilityBatch(ctx, &awssqs.ChangeMessageVisibilityBatchInput{QueueUrl: &url,
		Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
			{Id: aws.String("a"), ReceiptHandle: back[0].ReceiptHandle, VisibilityTimeout: 100},
			{Id: aws.String("b"), ReceiptHandle: aws.String("garbage"), VisibilityTimeout: 100},
		}})
	require.NoError(t, err)
	require.Len(t, out.Successful, 1)
	require.Len(t, out.Failed, 1)
	assert.Equal(t, "ReceiptHandleIsInvalid", aws.ToString(out.Failed[0].Code))
	assert.True(t, out.Failed[0].SenderFault)
	f.clock.Advance(31 * time.Second) // msgs[1]'s default 30 s are over
	later := f.receive(t, url, 10)
	require.Len(t, later, 1)
	assert.Equal(t, aws.ToString(msgs[1].MessageId), aws.ToString(later[0].MessageId))

	// A message no longer in flight cannot change visibility.
	_, err = f.client.ChangeMessageVisibility(ctx, &awssqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: later[0].ReceiptHandle, VisibilityTimeout: 0})
	require.NoError(t, err)
	_, err = f.client.ChangeMessageVisibility(ctx, &awssqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: later[0].ReceiptHandle, VisibilityTimeout: 5})
	var notInflight *types.MessageNotInflight
	require.ErrorAs(t, err, &notInflight)

	// Receive's own VisibilityTimeout overrides the queue's.
	out2, err := f.client.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: &url, VisibilityTimeout: 5})
	require.NoError(t, err)
	require.Len(t, out2.Messages, 1)
	f.clock.Advance(5 * time.Second)
	assert.Len(t, f.receive(t, url, 10), 1)
}

func TestBatches(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	url := f.createQueue(t, "q", nil)
	sent, err := f.client.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: &url, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("one")},
		{Id: aws.String("b"), MessageBody: aws.String("two"), DelaySeconds: 5},
		{Id: aws.String("c"), MessageBody: aws.String("bad \x01")},
	}})
	require.NoError(t, err)
	require.Len(t, sent.Successful, 2)
	require.Len(t, sent.Failed, 1)
	assert.Equal(t, "c", aws.ToString(sent.Failed[0].Id))
	assert.Equal(t, "InvalidMessageContents", aws.ToString(sent.Failed[0].Code))

	f.clock.Advance(5 * time.Second)
	msgs := f.receive(t, url, 10)
	require.Len(t, msgs, 2)
	del, err := f.client.DeleteMessageBatch(ctx, &awssqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("x"), ReceiptHandle: msgs[0].ReceiptHandle},
		{Id: aws.String("y"), ReceiptHandle: msgs[1].ReceiptHandle},
		{Id: aws.String("z"), ReceiptHandle: aws.String("nope")},
	}})
	require.NoError(t, err)
	assert.Len(t, del.Successful, 2)
	require.Len(t, del.Failed, 1)
	assert.Equal(t, "z", aws.ToString(del.Failed[0].Id))
	f.clock.Advance(time.Minute)
	assert.Empty(t, f.receive(t, url, 10))
}

func TestLongPoll(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	url := f.createQueue(t, "q", nil)
	go func() {
		time.Sleep(50 * time.Millisecond)
		_, _ = f.svc.SendMessage(ctx, sqs.SendMessageInput{QueueUrl: url, MessageBody: "late"})
	}()
	start := time.Now()
	out, err := f.client.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 10})
	require.NoError(t, err)
	require.Len(t, out.Messages, 1)
	assert.Equal(t, "late", aws.ToString(out.Messages[0].Body))
	assert.Less(t, time.Since(start), 5*time.Second, "the send woke the poll")

	// An empty long poll answers empty once its wait is over.
	start = time.Now()
	out, err = f.client.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 1})
	require.NoError(t, err)
	assert.Empty(t, out.Messages)
	assert.GreaterOrEqual(t, time.Since(start), time.Second)

	// A cancelled caller ends the poll.
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = f.svc.ReceiveMessage(cctx, sqs.ReceiveMessageInput{QueueUrl: url, WaitTimeSeconds: aws.Int(20)})
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	// Stop ends a poll at once, empty.
	done := make(chan error, 1)
	go func() {
		out, err := f.client.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 20})
		if err == nil && len(out.Messages) > 0 {
			err = errors.New("a message from an empty queue")
		}
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	start = time.Now()
	f.svc.Stop()
	require.NoError(t, <-done)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestRetentionAndPurge(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	url := f.createQueue(t, "q", map[string]string{"MessageRetentionPeriod": "60"})
	_, err := f.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("old")})
	require.NoError(t, err)
	f.clock.Advance(60 * time.Second)
	assert.Equal(t, "0", f.attributes(t, url)["ApproximateNumberOfMessages"])

	_, err = f.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("new")})
	require.NoError(t, err)
	assert.Equal(t, "1", f.attributes(t, url)["ApproximateNumberOfMessages"])
	_, err = f.client.PurgeQueue(ctx, &awssqs.PurgeQueueInput{QueueUrl: &url})
	require.NoError(t, err)
	assert.Empty(t, f.receive(t, url, 10))
	f.clock.Advance(60 * time.Second)
	_, err = f.client.PurgeQueue(ctx, &awssqs.PurgeQueueInput{QueueUrl: &url})
	require.NoError(t, err, "a purge is allowed again 60 s later")
}

func TestFIFO(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	url := f.createQueue(t, "q.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	send := func(group, body string) *awssqs.SendMessageOutput {
		out, err := f.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(body), MessageGroupId: aws.String(group)})
		require.NoError(t, err)
		return out
	}
	a1 := send("a", "a1")
	send("a", "a2")
	send("b", "b1")
	dup := send("a", "a1") // same body: deduplicated by content
	assert.Equal(t, aws.ToString(a1.MessageId), aws.ToString(dup.MessageId))
	assert.Equal(t, aws.ToString(a1.SequenceNumber), aws.ToString(dup.SequenceNumber))
	assert.Equal(t, "3", f.attributes(t, url)["ApproximateNumberOfMessages"])

	first := f.receive(t, url, 1)
	require.Len(t, first, 1)
	assert.Equal(t, "a1", aws.ToString(first[0].Body))
	assert.Equal(t, "a", first[0].Attributes["MessageGroupId"])
	assert.NotEmpty(t, first[0].Attributes["SequenceNumber"])
	// Group a is blocked while a1 is in flight: only b1 comes.
	next := f.receive(t, url, 10)
	require.Len(t, next, 1)
	assert.Equal(t, "b1", aws.ToString(next[0].Body))
	_, err := f.client.DeleteMessage(ctx, &awssqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: first[0].ReceiptHandle})
	require.NoError(t, err)
	last := f.receive(t, url, 10)
	require.Len(t, last, 1)
	assert.Equal(t, "a2", aws.ToString(last[0].Body))

	// The deduplication window is 5 minutes.
	f.clock.Advance(5 * time.Minute)
	again := send("a", "a1")
	assert.NotEqual(t, aws.ToString(a1.MessageId), aws.ToString(again.MessageId))
}

func TestRedrive(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	dlq := f.createQueue(t, "dlq", nil)
	url := f.createQueue(t, "q", map[string]string{"VisibilityTimeout": "1",
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":2}`})
	_, err := f.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("poison")})
	require.NoError(t, err)
	for range 2 {
		require.Len(t, f.receive(t, url, 1), 1)
		f.clock.Advance(time.Second)
	}
	assert.Empty(t, f.receive(t, url, 1), "the third receive moves it")
	moved := f.receive(t, dlq, 1)
	require.Len(t, moved, 1)
	assert.Equal(t, "poison", aws.ToString(moved[0].Body))
	assert.Equal(t, "arn:aws:sqs:us-east-1:000000000000:q", moved[0].Attributes["DeadLetterQueueSourceArn"])
}

// The in-process API returns *sqs.Error, matched with errors.As.
func TestServiceErrors(t *testing.T) {
	svc := sqs.New(sqs.Config{})
	_, err := svc.SendMessage(context.Background(), sqs.SendMessageInput{QueueUrl: "http://localhost/000000000000/none", MessageBody: "x"})
	var e *sqs.Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, "QueueDoesNotExist", e.Code())
	assert.Equal(t, "AWS.SimpleQueueService.NonExistentQueue", e.QueryCode())
	assert.Equal(t, 400, e.Status())
	assert.Equal(t, "QueueDoesNotExist", sqs.ErrorCode(err))
}

// The raw wire: __type and x-amzn-query-error as SQS sends them, and a
// query-protocol request refused in its own XML.
func TestWireErrors(t *testing.T) {
	f := newFixture(t)
	post := func(target, contentType, body string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, f.url, stringsReader(body))
		require.NoError(t, err)
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
		}
		req.Header.Set("Content-Type", contentType)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { _ = resp.Body.Close() })
		return resp
	}
	tests := map[string]struct {
		target, contentType, body string
		status                    int
		queryError, bodyHas       string
	}{
		"no queue": {"AmazonSQS.GetQueueUrl", "application/x-amz-json-1.0", `{"QueueName":"nope"}`, 400,
			"AWS.SimpleQueueService.NonExistentQueue;Sender", `"__type":"com.amazonaws.sqs#QueueDoesNotExist"`},
		"unknown action": {"AmazonSQS.Fly", "application/x-amz-json-1.0", `{}`, 400, "InvalidAction;Sender", `UnknownOperationException`},
		"bad json":       {"AmazonSQS.CreateQueue", "application/x-amz-json-1.0", `{"QueueName":3}`, 400, "MalformedInput;Sender", `SerializationException`},
		"query protocol": {"", "application/x-www-form-urlencoded", "Action=ListQueues", 400, "", "<Code>InvalidAction</Code>"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp := post(tc.target, tc.contentType, tc.body)
			assert.Equal(t, tc.status, resp.StatusCode)
			assert.Equal(t, tc.queryError, resp.Header.Get("x-amzn-query-error"))
			assert.NotEmpty(t, resp.Header.Get("x-amzn-RequestId"))
			b := readAll(t, resp)
			assert.Contains(t, b, tc.bodyHas)
		})
	}
}
