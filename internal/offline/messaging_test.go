package offline

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/syncbuf"
)

// The runtime serves SQS and SNS on ports of their own, logs them when
// ready, and a topic's sqs subscription delivers into the local queue.
func TestMessagingEndpoints(t *testing.T) {
	var logs syncbuf.Buffer
	srv := startServer(t, Config{Dir: "../..", Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	u := srv.URLs()
	require.True(t, strings.HasPrefix(u.SQS, "http://127.0.0.1:"), u.SQS)
	require.True(t, strings.HasPrefix(u.SNS, "http://127.0.0.1:"), u.SNS)
	var ready map[string]any
	for line := range strings.SplitSeq(logs.String(), "\n") {
		if strings.Contains(line, `"msg":"ready"`) {
			require.NoError(t, json.Unmarshal([]byte(line), &ready))
		}
	}
	assert.Equal(t, u.SQS, ready["sqs"])
	assert.Equal(t, u.SNS, ready["sns"])

	creds := credentials.NewStaticCredentialsProvider("local", "local", "")
	sqsc := awssqs.New(awssqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(u.SQS), Credentials: creds})
	snsc := awssns.New(awssns.Options{Region: "us-east-1", BaseEndpoint: aws.String(u.SNS), Credentials: creds})
	ctx := t.Context()
	q, err := sqsc.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("jobs-events")})
	require.NoError(t, err)
	assert.Equal(t, u.SQS+"/000000000000/jobs-events", aws.ToString(q.QueueUrl))
	topic, err := snsc.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("jobs")})
	require.NoError(t, err)
	_, err = snsc.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String("arn:aws:sqs:us-east-1:000000000000:jobs-events"), Attributes: map[string]string{"RawMessageDelivery": "true"}})
	require.NoError(t, err)
	_, err = snsc.Publish(ctx, &awssns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("job 1 done")})
	require.NoError(t, err)
	got, err := sqsc.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 1})
	require.NoError(t, err)
	require.Len(t, got.Messages, 1)
	assert.Equal(t, "job 1 done", aws.ToString(got.Messages[0].Body))
}

// The queues, topics and sqs subscriptions serverless.yml declares exist
// in the local SQS and SNS at start, and a state machine names them by Ref
// and Fn::GetAtt as it deploys: its sqs:sendMessage and sns:publish reach
// them (the email subscription, which nothing local receives, is left out),
// and its events:putEvents names the stack's event bus.
func TestStackMessaging(t *testing.T) {
	dir := t.TempDir()
	yml := `service: demo
provider:
  name: aws
plugins:
  - serverless-step-functions
stepFunctions:
  stateMachines:
    notify:
      name: demo-notify
      definition:
        StartAt: Send
        States:
          Send:
            Type: Task
            Resource: arn:aws:states:::sqs:sendMessage
            Parameters:
              QueueUrl:
                Ref: WorkQueue
              MessageBody.$: $.job
            ResultPath: null
            Next: Publish
          Publish:
            Type: Task
            Resource: arn:aws:states:::sns:publish
            Parameters:
              TopicArn:
                Ref: DoneTopic
              Message.$: $.job
            ResultPath: null
            Next: Announce
          Announce:
            Type: Task
            Resource: arn:aws:states:::events:putEvents
            Parameters:
              Entries:
                - Source: demo.orders
                  DetailType: Shipped
                  Detail: {}
                  EventBusName:
                    Fn::GetAtt: [OrdersBus, Arn]
            End: true
resources:
  Resources:
    WorkQueue:
      Type: AWS::SQS::Queue
      Properties:
        VisibilityTimeout: 60
        RedrivePolicy:
          deadLetterTargetArn:
            Fn::GetAtt: [WorkDLQ, Arn]
          maxReceiveCount: 3
    WorkDLQ:
      Type: AWS::SQS::Queue
      Properties:
        QueueName: demo-work-dlq
    DoneTopic:
      Type: AWS::SNS::Topic
    DoneToQueue:
      Type: AWS::SNS::Subscription
      Properties:
        TopicArn:
          Ref: DoneTopic
        Protocol: sqs
        Endpoint:
          Fn::GetAtt: [WorkDLQ, Arn]
        RawMessageDelivery: true
    OrdersBus:
      Type: AWS::Events::EventBus
      Properties:
        Name: demo-orders
    DoneByEmail:
      Type: AWS::SNS::Subscription
      Properties:
        TopicArn:
          Ref: DoneTopic
        Protocol: email
        Endpoint: ops@example.com
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "serverless.yml"), []byte(yml), 0o644))
	modules, err := filepath.Abs("../../node_modules")
	require.NoError(t, err)
	require.NoError(t, os.Symlink(modules, filepath.Join(dir, "node_modules")), "dynalite, from the project's npm install")
	srv := startServer(t, Config{Dir: dir, Logger: slog.New(slog.DiscardHandler)})
	u := srv.URLs()
	creds := credentials.NewStaticCredentialsProvider("local", "local", "")
	sqsc := awssqs.New(awssqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(u.SQS), Credentials: creds})
	ctx := t.Context()
	work := u.SQS + "/000000000000/demo-dev-WorkQueue"
	attrs, err := sqsc.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(work), AttributeNames: []sqstypes.QueueAttributeName{"All"}})
	require.NoError(t, err, "the stack's queue exists, under the name CloudFormation's stands in for")
	assert.Equal(t, "60", attrs.Attributes["VisibilityTimeout"])
	assert.JSONEq(t, `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:demo-work-dlq","maxReceiveCount":3}`, attrs.Attributes["RedrivePolicy"])

	info, err := srv.Engine().StartExecution(ctx, srv.Resources().StateMachines["notify"], "", `{"job":"j-7"}`)
	require.NoError(t, err)
	done, err := srv.Engine().Wait(ctx, info.ExecutionARN)
	require.NoError(t, err)
	require.Equal(t, "SUCCEEDED", done.Status, "%v %v", done.Error, done.Cause)
	assert.Contains(t, *done.Output, `"FailedEntryCount":0`, "the bus named by Fn::GetAtt took the event")
	for queue, want := range map[string]string{work: "j-7", u.SQS + "/000000000000/demo-work-dlq": "j-7"} {
		got, err := sqsc.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(queue), WaitTimeSeconds: 1})
		require.NoError(t, err)
		require.Len(t, got.Messages, 1, queue)
		assert.Equal(t, want, aws.ToString(got.Messages[0].Body), queue)
	}
}

// startServer starts the runtime for cfg (ports 0: free ones) and closes it
// when the test ends.
func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	srv, err := Start(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		assert.NoError(t, srv.Close(ctx))
	})
	return srv
}
