package integration_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	snssdk "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/integration"
	"github.com/asyncjobs/stepjobs/internal/sfn"
	"github.com/asyncjobs/stepjobs/internal/sns"
	"github.com/asyncjobs/stepjobs/internal/sqs"
)

// serve serves a handler made once its URL is known (queue URLs and
// unsubscribe links name the server's address).
func serve(t *testing.T, make func(url string) http.Handler) string {
	t.Helper()
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	h = make(srv.URL)
	return srv.URL
}

// sqs:sendMessage and sns:publish reach the local SQS and SNS: a message
// sent from the state machine is received from the queue, a publish to a
// topic with an sqs subscription lands in its queue, and AWS's error names
// come back for a missing queue and topic.
func TestMessaging(t *testing.T) {
	var queues *sqs.Service
	sqsURL := serve(t, func(url string) http.Handler {
		queues = sqs.New(sqs.Config{Region: "us-east-1", AccountID: "123456789012", BaseURL: url})
		return queues.Handler()
	})
	t.Cleanup(queues.Stop)
	snsURL := serve(t, func(url string) http.Handler {
		return sns.New(sns.Config{Region: "us-east-1", AccountID: "123456789012", BaseURL: url, Queues: queues}).Handler()
	})
	snsClient := snssdk.New(snssdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(snsURL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})

	reg := sfn.NewRegistry()
	eng := sfn.New(sfn.Config{Region: "us-east-1", AccountID: "123456789012", Invokers: reg})
	integration.Register(reg, integration.Config{Region: "us-east-1", SQS: &integration.Endpoint{URL: sqsURL}, SNS: snsClient})
	h := &harness{eng: eng}
	done, events := h.run(t, "messaging", `{"StartAt":"Queue","States":{
	  "Queue":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sqs:createQueue","Parameters":{"QueueName":"jobs"},"ResultPath":"$.queue","Next":"Attrs"},
	  "Attrs":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sqs:getQueueAttributes","Parameters":{"QueueUrl.$":"$.queue.QueueUrl","AttributeNames":["QueueArn"]},"ResultSelector":{"arn.$":"$.Attributes.QueueArn"},"ResultPath":"$.attrs","Next":"Send"},
	  "Send":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl.$":"$.queue.QueueUrl","MessageBody":{"job":"j-1"}},"ResultPath":"$.sent","Next":"Receive"},
	  "Receive":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sqs:receiveMessage","Parameters":{"QueueUrl.$":"$.queue.QueueUrl"},"ResultSelector":{"body.$":"$.Messages[0].Body"},"ResultPath":"$.received","Next":"Topic"},
	  "Topic":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sns:createTopic","Parameters":{"Name":"done"},"ResultPath":"$.topic","Next":"Subscribe"},
	  "Subscribe":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sns:subscribe","Parameters":{"TopicArn.$":"$.topic.TopicArn","Protocol":"sqs","Endpoint.$":"$.attrs.arn","Attributes":{"RawMessageDelivery":"true"}},"ResultPath":null,"Next":"Publish"},
	  "Publish":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","Parameters":{"TopicArn.$":"$.topic.TopicArn","Message":{"status":"SUCCEEDED"}},"ResultPath":"$.published","Next":"Delivered"},
	  "Delivered":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sqs:receiveMessage","Parameters":{"QueueUrl.$":"$.queue.QueueUrl","WaitTimeSeconds":1},"ResultSelector":{"body.$":"$.Messages[0].Body"},"ResultPath":"$.delivered","Next":"NoQueue"},
	  "NoQueue":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl":"`+sqsURL+`/123456789012/nope","MessageBody":"x"},
	    "Catch":[{"ErrorEquals":["SQS.AmazonSQSException"],"ResultPath":"$.noQueue","Next":"NoTopic"}],"End":true},
	  "NoTopic":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","Parameters":{"TopicArn":"arn:aws:sns:us-east-1:123456789012:nope","Message":"x"},
	    "Catch":[{"ErrorEquals":["SNS.NotFoundException"],"ResultPath":"$.noTopic","Next":"Done"}],"End":true},
	  "Done":{"Type":"Succeed"}}}`, `{}`)
	require.Equal(t, sfn.StatusSucceeded, done.Status, "%v %v", done.Error, done.Cause)
	out := decode(t, done.Output)

	sent := out["sent"].(map[string]any)
	assert.NotEmpty(t, sent["MessageId"])
	assert.Equal(t, "0e150c25e27264e7cf6c23e971dbc5ff", sent["MD5OfMessageBody"], `the MD5 of {"job":"j-1"}`)
	assert.EqualValues(t, 200, sent["SdkHttpMetadata"].(map[string]any)["HttpStatusCode"])
	assert.Equal(t, map[string]any{"body": `{"job":"j-1"}`}, out["received"], "a MessageBody given as JSON is sent as its text")

	published := out["published"].(map[string]any)
	assert.NotEmpty(t, published["MessageId"])
	assert.Equal(t, "text/xml", published["SdkHttpMetadata"].(map[string]any)["HttpHeaders"].(map[string]any)["Content-Type"])
	assert.Equal(t, map[string]any{"body": `{"status":"SUCCEEDED"}`}, out["delivered"], "the publish reached the subscribed queue")

	noQueue := out["noQueue"].(map[string]any)
	assert.Regexp(t, `^The specified queue does not exist.* \(Service: AmazonSQS; Status Code: 400; Error Code: AWS\.SimpleQueueService\.NonExistentQueue; Request ID: \S+; Proxy: null\)$`, noQueue["Cause"])
	noTopic := out["noTopic"].(map[string]any)
	assert.Regexp(t, `^Topic does not exist \(Service: AmazonSNS; Status Code: 404; Error Code: NotFound; Request ID: \S*; Proxy: null\)$`, noTopic["Cause"])

	sched := eventsOf(events, "TaskScheduled")
	require.NotEmpty(t, sched)
	assert.Equal(t, "aws-sdk:sqs", sched[0].TaskScheduledEventDetails.ResourceType)
	var kinds []string
	for _, ev := range sched {
		kinds = append(kinds, ev.TaskScheduledEventDetails.ResourceType+":"+ev.TaskScheduledEventDetails.Resource)
	}
	assert.Contains(t, kinds, "sqs:sendMessage")
	assert.Contains(t, kinds, "sns:publish")
}
