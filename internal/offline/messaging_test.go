package offline

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The runtime serves SQS and SNS on ports of their own, logs them when
// ready, and a topic's sqs subscription delivers into the local queue.
func TestMessagingEndpoints(t *testing.T) {
	var logs lockedBuffer
	srv, err := Start(t.Context(), Config{Dir: "../..", Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		assert.NoError(t, srv.Close(ctx))
	})
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
