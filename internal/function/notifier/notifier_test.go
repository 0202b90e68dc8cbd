package notifier_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	sqssdk "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/client"
	"github.com/asyncjobs/stepjobs/internal/callback"
	"github.com/asyncjobs/stepjobs/internal/function"
	"github.com/asyncjobs/stepjobs/internal/function/notifier"
	"github.com/asyncjobs/stepjobs/internal/secretstore"
	"github.com/asyncjobs/stepjobs/internal/sqs"
)

const (
	arn   = "arn:aws:secretsmanager:us-east-1:000000000000:secret:CallbackSigningSecret"
	queue = "http://127.0.0.1:9324/000000000000/stepjobs-dev-callbacks"
)

func env(vars map[string]string) function.Env {
	return function.Env{Getenv: func(k string) string { return vars[k] }}
}

func TestNewRefusesBadConfiguration(t *testing.T) {
	for name, tc := range map[string]struct {
		vars map[string]string
		want string
	}{
		"no secret":       {map[string]string{"CALLBACK_QUEUE_URL": queue}, "notifier: CALLBACK_SECRET_ARN is required"},
		"no queue":        {map[string]string{"CALLBACK_SECRET_ARN": arn}, "notifier: CALLBACK_QUEUE_URL is required"},
		"a bad duration":  {map[string]string{"CALLBACK_SECRET_ARN": arn, "CALLBACK_QUEUE_URL": queue, "CALLBACK_RETRY_MAX": "soon"}, `notifier: CALLBACK_RETRY_MAX: time: invalid duration "soon"`},
		"a bad boolean":   {map[string]string{"CALLBACK_SECRET_ARN": arn, "CALLBACK_QUEUE_URL": queue, "CALLBACK_ALLOW_LOOPBACK": "yes please"}, `notifier: CALLBACK_ALLOW_LOOPBACK: strconv.ParseBool: parsing "yes please": invalid syntax`},
		"a bad log level": {map[string]string{"CALLBACK_SECRET_ARN": arn, "CALLBACK_QUEUE_URL": queue, "LOG_LEVEL": "LOUD"}, "LOG_LEVEL"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := notifier.New(t.Context(), env(tc.vars), nil, nil)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

// The function as the local runtime builds it: the secret read through
// the SDK's client from a Secrets Manager, the callback signed with it; a
// message it could not deliver made visible again through the SDK's SQS
// client after the backoff, and reported as failed.
func TestFunctionDelivers(t *testing.T) {
	store := secretstore.New()
	secret := store.Generate(arn, "CallbackSigningSecret")
	sm := httptest.NewServer(store.Handler())
	defer sm.Close()
	got := make(chan client.Callback, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cb, err := client.VerifyCallbackRequest(r, []byte(secret), 0)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		got <- cb
	}))
	defer receiver.Close()
	sqsSrv := httptest.NewUnstartedServer(nil)
	queues := sqs.New(sqs.Config{BaseURL: "http://" + sqsSrv.Listener.Addr().String()})
	sqsSrv.Config.Handler = queues.Handler()
	sqsSrv.Start()
	defer sqsSrv.Close()
	q, err := queues.CreateQueue(t.Context(), sqs.CreateQueueInput{QueueName: "callbacks"})
	require.NoError(t, err)

	creds := credentials.NewStaticCredentialsProvider("local", "local", "")
	smc := secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String(sm.URL), Credentials: creds})
	sqsc := sqssdk.New(sqssdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(sqsSrv.URL), Credentials: creds})
	vars := map[string]string{"CALLBACK_SECRET_ARN": arn, "CALLBACK_QUEUE_URL": q.QueueUrl, "CALLBACK_ALLOW_LOOPBACK": "true", "CALLBACK_RETRY_FIRST": "5s"}
	h, err := notifier.New(t.Context(), env(vars), smc, sqsc)
	require.NoError(t, err)
	in := `{"callbackUrl":"` + receiver.URL + `/cb"}`
	body, err := json.Marshal(callback.Event{Detail: callback.Detail{Name: "j", Status: "ABORTED", Input: &in}})
	require.NoError(t, err)
	_, err = queues.SendMessage(t.Context(), sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: string(body)})
	require.NoError(t, err)
	one := 1
	rcv, err := queues.ReceiveMessage(t.Context(), sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: &one, AttributeNames: []string{"All"}})
	require.NoError(t, err)
	require.Len(t, rcv.Messages, 1)
	m := rcv.Messages[0]
	ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: m.MessageId, ReceiptHandle: m.ReceiptHandle, Body: m.Body, Attributes: m.Attributes}}}

	resp, err := h(t.Context(), ev)
	require.NoError(t, err)
	assert.Empty(t, resp.BatchItemFailures)
	assert.Equal(t, client.Callback{JobID: "j", Status: "ABORTED"}, <-got)

	// Without CALLBACK_ALLOW_LOOPBACK, as on AWS, the same receiver is
	// refused: the message fails, made visible at once (no retry helps).
	delete(vars, "CALLBACK_ALLOW_LOOPBACK")
	h, err = notifier.New(t.Context(), env(vars), smc, sqsc)
	require.NoError(t, err)
	resp, err = h(t.Context(), ev)
	require.NoError(t, err)
	assert.Equal(t, []events.SQSBatchItemFailure{{ItemIdentifier: m.MessageId}}, resp.BatchItemFailures)
	rcv, err = queues.ReceiveMessage(t.Context(), sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, AttributeNames: []string{"All"}})
	require.NoError(t, err)
	require.Len(t, rcv.Messages, 1, "visible again")
	assert.Equal(t, "2", rcv.Messages[0].Attributes["ApproximateReceiveCount"])

	// A receiver that is down: the message is hidden for the first backoff.
	receiver.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	vars["CALLBACK_ALLOW_LOOPBACK"] = "true"
	h, err = notifier.New(t.Context(), env(vars), smc, sqsc)
	require.NoError(t, err)
	m = rcv.Messages[0]
	resp, err = h(t.Context(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: m.MessageId, ReceiptHandle: m.ReceiptHandle, Body: m.Body, Attributes: m.Attributes}}})
	require.NoError(t, err)
	assert.Equal(t, []events.SQSBatchItemFailure{{ItemIdentifier: m.MessageId}}, resp.BatchItemFailures)
	attrs, err := queues.GetQueueAttributes(t.Context(), sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl,
		AttributeNames: []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "1"}, attrs.Attributes,
		"hidden for its backoff")
}
