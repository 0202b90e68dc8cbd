package sns_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/localaws"
	"github.com/asyncjobs/stepjobs/internal/sns"
	"github.com/asyncjobs/stepjobs/internal/sqs"
)

type fixture struct {
	sns    *sns.Service
	sqs    *sqs.Service
	client *awssns.Client
	url    string // the SNS endpoint
	sqsURL string // the SQS endpoint
}

// serve serves h on a loopback listener made first, so that the services
// know their URL before they serve.
func serve(t *testing.T, ln net.Listener, h http.Handler) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
}

func listen(t *testing.T) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return ln, "http://" + ln.Addr().String()
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clock := localaws.NewFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC))
	f := &fixture{}
	snsLn, snsURL := listen(t)
	sqsLn, sqsURL := listen(t)
	f.url, f.sqsURL = snsURL, sqsURL
	f.sqs = sqs.New(sqs.Config{BaseURL: sqsURL, Clock: clock})
	f.sns = sns.New(sns.Config{BaseURL: snsURL, Clock: clock, Queues: f.sqs})
	serve(t, snsLn, f.sns.Handler())
	serve(t, sqsLn, f.sqs.Handler())
	f.client = awssns.New(awssns.Options{Region: "us-east-1", BaseEndpoint: aws.String(snsURL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	return f
}

func (f *fixture) queue(t *testing.T, name string, attrs map[string]string) (url, arn string) {
	t.Helper()
	out, err := f.sqs.CreateQueue(context.Background(), sqs.CreateQueueInput{QueueName: name, Attributes: attrs})
	require.NoError(t, err)
	return out.QueueUrl, f.sqs.QueueARN(name)
}

func (f *fixture) receiveAll(t *testing.T, url string) []sqs.Message {
	t.Helper()
	out, err := f.sqs.ReceiveMessage(context.Background(), sqs.ReceiveMessageInput{QueueUrl: url,
		MaxNumberOfMessages: aws.Int(10), MessageAttributeNames: []string{"All"}})
	require.NoError(t, err)
	return out.Messages
}

func TestTopicsAndSubscriptions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	created, err := f.client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("events"),
		Attributes: map[string]string{"DisplayName": "Events"}, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}})
	require.NoError(t, err)
	arn := aws.ToString(created.TopicArn)
	assert.Equal(t, "arn:aws:sns:us-east-1:000000000000:events", arn)
	again, err := f.client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("events")})
	require.NoError(t, err)
	assert.Equal(t, arn, aws.ToString(again.TopicArn))
	_, err = f.client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("other")})
	require.NoError(t, err)

	list, err := f.client.ListTopics(ctx, &awssns.ListTopicsInput{})
	require.NoError(t, err)
	require.Len(t, list.Topics, 2)
	assert.Equal(t, arn, aws.ToString(list.Topics[0].TopicArn))

	_, qarn := f.queue(t, "inbox", nil)
	sub, err := f.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &arn, Protocol: aws.String("sqs"), Endpoint: &qarn,
		ReturnSubscriptionArn: true})
	require.NoError(t, err)
	subARN := aws.ToString(sub.SubscriptionArn)
	assert.True(t, strings.HasPrefix(subARN, arn+":"), subARN)
	same, err := f.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &arn, Protocol: aws.String("sqs"), Endpoint: &qarn})
	require.NoError(t, err)
	assert.Equal(t, subARN, aws.ToString(same.SubscriptionArn), "subscribing again is the same subscription")

	_, err = f.client.SetSubscriptionAttributes(ctx, &awssns.SetSubscriptionAttributesInput{SubscriptionArn: &subARN,
		AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("true")})
	require.NoError(t, err)
	sattrs, err := f.client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &subARN})
	require.NoError(t, err)
	assert.Equal(t, "true", sattrs.Attributes["RawMessageDelivery"])
	assert.Equal(t, qarn, sattrs.Attributes["Endpoint"])
	assert.Equal(t, "false", sattrs.Attributes["PendingConfirmation"])

	tattrs, err := f.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: &arn})
	require.NoError(t, err)
	assert.Equal(t, "Events", tattrs.Attributes["DisplayName"])
	assert.Equal(t, "1", tattrs.Attributes["SubscriptionsConfirmed"])
	assert.Equal(t, arn, tattrs.Attributes["TopicArn"])
	_, err = f.client.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: &arn,
		AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("Renamed")})
	require.NoError(t, err)
	tattrs, err = f.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: &arn})
	require.NoError(t, err)
	assert.Equal(t, "Renamed", tattrs.Attributes["DisplayName"])

	subs, err := f.client.ListSubscriptions(ctx, &awssns.ListSubscriptionsInput{})
	require.NoError(t, err)
	require.Len(t, subs.Subscriptions, 1)
	assert.Equal(t, types.Subscription{SubscriptionArn: &subARN, Owner: aws.String("000000000000"),
		Protocol: aws.String("sqs"), Endpoint: &qarn, TopicArn: &arn}, subs.Subscriptions[0])
	byTopic, err := f.client.ListSubscriptionsByTopic(ctx, &awssns.ListSubscriptionsByTopicInput{TopicArn: &arn})
	require.NoError(t, err)
	assert.Len(t, byTopic.Subscriptions, 1)

	_, err = f.client.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: &subARN})
	require.NoError(t, err)
	byTopic, err = f.client.ListSubscriptionsByTopic(ctx, &awssns.ListSubscriptionsByTopicInput{TopicArn: &arn})
	require.NoError(t, err)
	assert.Empty(t, byTopic.Subscriptions)

	_, err = f.client.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: &arn})
	require.NoError(t, err)
	_, err = f.client.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: &arn})
	require.NoError(t, err, "deleting a deleted topic succeeds")
	_, err = f.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: &arn})
	var nf *types.NotFoundException
	require.ErrorAs(t, err, &nf)
}

func TestPublishDelivers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	created, err := f.client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("events")})
	require.NoError(t, err)
	arn := aws.ToString(created.TopicArn)
	envURL, envARN := f.queue(t, "enveloped", nil)
	rawURL, rawARN := f.queue(t, "raw", nil)
	sub, err := f.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &arn, Protocol: aws.String("sqs"), Endpoint: &envARN})
	require.NoError(t, err)
	_, err = f.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &arn, Protocol: aws.String("sqs"), Endpoint: &rawARN,
		Attributes: map[string]string{"RawMessageDelivery": "true"}})
	require.NoError(t, err)

	pub, err := f.client.Publish(ctx, &awssns.PublishInput{TopicArn: &arn, Message: aws.String(`{"job":"42"} & <ok>`),
		Subject: aws.String("Job done"), MessageAttributes: map[string]types.MessageAttributeValue{
			"kind": {DataType: aws.String("String"), StringValue: aws.String("done")},
			"blob": {DataType: aws.String("Binary"), BinaryValue: []byte{1, 2, 3}},
		}})
	require.NoError(t, err)
	id := aws.ToString(pub.MessageId)
	assert.Len(t, id, 36)

	env := f.receiveAll(t, envURL)
	require.Len(t, env, 1)
	assert.True(t, strings.HasPrefix(env[0].Body, "{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : "), env[0].Body)
	assert.Contains(t, env[0].Body, `"Message" : "{\"job\":\"42\"} & <ok>"`, "no HTML escapes, as SNS writes it")
	var n map[string]any
	require.NoError(t, json.Unmarshal([]byte(env[0].Body), &n))
	unsubscribe := f.url + "/?Action=Unsubscribe&SubscriptionArn=" + url.QueryEscape(aws.ToString(sub.SubscriptionArn))
	assert.Equal(t, map[string]any{
		"Type": "Notification", "MessageId": id, "TopicArn": arn, "Subject": "Job done",
		"Message": `{"job":"42"} & <ok>`, "Timestamp": "2026-01-02T03:04:05.678Z", "SignatureVersion": "1",
		"Signature": n["Signature"], "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-local.pem",
		"UnsubscribeURL": unsubscribe,
		"MessageAttributes": map[string]any{
			"kind": map[string]any{"Type": "String", "Value": "done"},
			"blob": map[string]any{"Type": "Binary", "Value": "AQID"},
		},
	}, n)
	assert.NotEmpty(t, n["Signature"])
	assert.Empty(t, env[0].MessageAttributes, "an enveloped delivery carries the attributes in the body")

	raw := f.receiveAll(t, rawURL)
	require.Len(t, raw, 1)
	assert.Equal(t, `{"job":"42"} & <ok>`, raw[0].Body)
	assert.Equal(t, "done", aws.ToString(raw[0].MessageAttributes["kind"].StringValue))
	assert.Equal(t, []byte{1, 2, 3}, raw[0].MessageAttributes["blob"].BinaryValue)

	// The UnsubscribeURL works with a plain GET.
	resp, err := http.Get(unsubscribe)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	_, err = f.client.Publish(ctx, &awssns.PublishInput{TopicArn: &arn, Message: aws.String("second")})
	require.NoError(t, err)
	assert.Empty(t, f.receiveAll(t, envURL), "unsubscribed")
	assert.Len(t, f.receiveAll(t, rawURL), 1)
}

func TestPublishVariants(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	created, err := f.client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("t")})
	require.NoError(t, err)
	arn := aws.ToString(created.TopicArn)
	qurl, qarn := f.queue(t, "q", nil)
	_, err = f.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &arn, Protocol: aws.String("sqs"), Endpoint: &qarn,
		Attributes: map[string]string{"RawMessageDelivery": "true"}})
	require.NoError(t, err)

	// MessageStructure json: the sqs entry, else the default.
	_, err = f.client.Publish(ctx, &awssns.PublishInput{TopicArn: &arn, MessageStructure: aws.String("json"),
		Message: aws.String(`{"default":"for all","sqs":"for queues"}`)})
	require.NoError(t, err)
	_, err = f.client.Publish(ctx, &awssns.PublishInput{TargetArn: &arn, MessageStructure: aws.String("json"),
		Message: aws.String(`{"default":"for all"}`)})
	require.NoError(t, err)

	batch, err := f.client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: &arn, PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
		{Id: aws.String("a"), Message: aws.String("one")},
		{Id: aws.String("b"), Message: aws.String("")},
		{Id: aws.String("c"), Message: aws.String("three"), MessageAttributes: map[string]types.MessageAttributeValue{
			"n": {DataType: aws.String("Number"), StringValue: aws.String("7")}}},
	}})
	require.NoError(t, err)
	require.Len(t, batch.Successful, 2)
	require.Len(t, batch.Failed, 1)
	assert.Equal(t, "b", aws.ToString(batch.Failed[0].Id))
	assert.Equal(t, "InvalidParameter", aws.ToString(batch.Failed[0].Code))
	assert.True(t, batch.Failed[0].SenderFault)

	var bodies []string
	for _, m := range f.receiveAll(t, qurl) {
		bodies = append(bodies, m.Body)
	}
	assert.Equal(t, []string{"for queues", "for all", "one", "three"}, bodies)
}

func TestFIFOTopic(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	created, err := f.client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("t.fifo"),
		Attributes: map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"}})
	require.NoError(t, err)
	arn := aws.ToString(created.TopicArn)
	_, stdARN := f.queue(t, "std", nil)
	_, err = f.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &arn, Protocol: aws.String("sqs"), Endpoint: &stdARN})
	var ip *types.InvalidParameterException
	require.ErrorAs(t, err, &ip, "a FIFO topic takes FIFO queues only")
	qurl, qarn := f.queue(t, "q.fifo", map[string]string{"FifoQueue": "true"})
	_, err = f.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &arn, Protocol: aws.String("sqs"), Endpoint: &qarn})
	require.NoError(t, err)
	_, err = f.client.Publish(ctx, &awssns.PublishInput{TopicArn: &arn, Message: aws.String("x")})
	require.ErrorAs(t, err, &ip, "a group id is required")
	first, err := f.client.Publish(ctx, &awssns.PublishInput{TopicArn: &arn, Message: aws.String("x"), MessageGroupId: aws.String("g")})
	require.NoError(t, err)
	assert.NotEmpty(t, aws.ToString(first.SequenceNumber))
	_, err = f.client.Publish(ctx, &awssns.PublishInput{TopicArn: &arn, Message: aws.String("x"), MessageGroupId: aws.String("g")})
	require.NoError(t, err)
	msgs := f.receiveAll(t, qurl)
	require.Len(t, msgs, 1, "the queue deduplicates by the topic's content-based id")
	var n map[string]any
	require.NoError(t, json.Unmarshal([]byte(msgs[0].Body), &n))
	assert.Equal(t, aws.ToString(first.SequenceNumber), n["SequenceNumber"])
}

func TestErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	created, err := f.client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("t")})
	require.NoError(t, err)
	arn := aws.ToString(created.TopicArn)
	missing := "arn:aws:sns:us-east-1:000000000000:none"
	_, qarn := f.queue(t, "q", nil)
	tests := map[string]struct {
		call func() error
		code string
		as   any
	}{
		"publish to a missing topic": {func() error {
			_, err := f.client.Publish(ctx, &awssns.PublishInput{TopicArn: &missing, Message: aws.String("x")})
			return err
		}, "NotFound", new(*types.NotFoundException)},
		"subscribe to a missing topic": {func() error {
			_, err := f.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &missing, Protocol: aws.String("sqs"), Endpoint: &qarn})
			return err
		}, "NotFound", new(*types.NotFoundException)},
		"http subscription": {func() error {
			_, err := f.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &arn, Protocol: aws.String("https"), Endpoint: aws.String("https://example.com")})
			return err
		}, "InvalidParameter", new(*types.InvalidParameterException)},
		"filter policy": {func() error {
			_, err := f.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &arn, Protocol: aws.String("sqs"), Endpoint: &qarn,
				Attributes: map[string]string{"FilterPolicy": `{"a":["b"]}`}})
			return err
		}, "InvalidParameter", new(*types.InvalidParameterException)},
		"not a queue ARN": {func() error {
			_, err := f.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &arn, Protocol: aws.String("sqs"), Endpoint: aws.String("queue")})
			return err
		}, "InvalidParameter", new(*types.InvalidParameterException)},
		"bad topic name": {func() error {
			_, err := f.client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("a b")})
			return err
		}, "InvalidParameter", new(*types.InvalidParameterException)},
		"empty message": {func() error {
			_, err := f.client.Publish(ctx, &awssns.PublishInput{TopicArn: &arn, Message: aws.String("")})
			return err
		}, "InvalidParameter", new(*types.InvalidParameterException)},
		"subject with a newline": {func() error {
			_, err := f.client.Publish(ctx, &awssns.PublishInput{TopicArn: &arn, Message: aws.String("x"), Subject: aws.String("a\nb")})
			return err
		}, "InvalidParameter", new(*types.InvalidParameterException)},
		"message too long": {func() error {
			_, err := f.client.Publish(ctx, &awssns.PublishInput{TopicArn: &arn, Message: aws.String(strings.Repeat("x", 262145))})
			return err
		}, "InvalidParameter", new(*types.InvalidParameterException)},
		"attribute without value": {func() error {
			_, err := f.client.Publish(ctx, &awssns.PublishInput{TopicArn: &arn, Message: aws.String("x"),
				MessageAttributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("String")}}})
			return err
		}, "ParameterValueInvalid", new(*types.InvalidParameterValueException)},
		"sms": {func() error {
			_, err := f.client.Publish(ctx, &awssns.PublishInput{PhoneNumber: aws.String("+15555550100"), Message: aws.String("x")})
			return err
		}, "InvalidParameter", new(*types.InvalidParameterException)},
		"unsubscribe unknown": {func() error {
			_, err := f.client.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: aws.String(arn + ":nope")})
			return err
		}, "NotFound", new(*types.NotFoundException)},
		"empty batch": {func() error {
			_, err := f.client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: &arn, PublishBatchRequestEntries: []types.PublishBatchRequestEntry{}})
			return err
		}, "EmptyBatchRequest", new(*types.EmptyBatchRequestException)},
		"batch ids repeated": {func() error {
			_, err := f.client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: &arn, PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
				{Id: aws.String("a"), Message: aws.String("x")}, {Id: aws.String("a"), Message: aws.String("y")}}})
			return err
		}, "BatchEntryIdsNotDistinct", new(*types.BatchEntryIdsNotDistinctException)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := tc.call()
			var apiErr smithy.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.code, apiErr.ErrorCode())
			assert.NotEmpty(t, apiErr.ErrorMessage())
			assert.ErrorAs(t, err, tc.as)
		})
	}
}

// The in-process API returns *sns.Error, matched with errors.As.
func TestServiceErrors(t *testing.T) {
	svc := sns.New(sns.Config{})
	_, err := svc.Publish(context.Background(), sns.PublishInput{TopicArn: "arn:aws:sns:us-east-1:000000000000:none", Message: "x"})
	var e *sns.Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, "NotFound", e.Code())
	assert.Equal(t, "NotFoundException", e.Exception())
	assert.Equal(t, 404, e.Status())
	assert.Equal(t, "NotFound", sns.ErrorCode(err))
}

func TestWire(t *testing.T) {
	f := newFixture(t)
	tests := map[string]struct {
		form   string
		status int
		has    []string
	}{
		"create": {"Action=CreateTopic&Name=wire&Version=2010-03-31", 200, []string{
			`<CreateTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><CreateTopicResult><TopicArn>arn:aws:sns:us-east-1:000000000000:wire</TopicArn></CreateTopicResult><ResponseMetadata><RequestId>`}},
		"not found": {"Action=GetTopicAttributes&TopicArn=arn:aws:sns:us-east-1:000000000000:none", 404, []string{
			`<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error><RequestId>`}},
		"unknown action": {"Action=Fly", 400, []string{`<Code>InvalidAction</Code>`}},
		"no action":      {"Name=x", 400, []string{`<Code>MissingAction</Code>`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp, err := http.Post(f.url, "application/x-www-form-urlencoded", strings.NewReader(tc.form))
			require.NoError(t, err)
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			assert.Equal(t, tc.status, resp.StatusCode)
			assert.Equal(t, "text/xml", resp.Header.Get("Content-Type"))
			for _, h := range tc.has {
				assert.Contains(t, string(b), h)
			}
		})
	}
}
