package eventsource_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/eventsource"
	"github.com/asyncjobs/stepjobs/internal/sfn"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
	"github.com/asyncjobs/stepjobs/internal/sqs"
)

// queues makes a work queue whose redrive policy moves a message to its
// dead-letter queue after maxReceives receives.
func queues(t *testing.T, maxReceives int) (svc *sqs.Service, work, dlq string) {
	t.Helper()
	svc = sqs.New(sqs.Config{})
	d, err := svc.CreateQueue(t.Context(), sqs.CreateQueueInput{QueueName: "dlq"})
	require.NoError(t, err)
	policy := `{"deadLetterTargetArn":"` + svc.QueueARN("dlq") + `","maxReceiveCount":` + strconv.Itoa(maxReceives) + `}`
	w, err := svc.CreateQueue(t.Context(), sqs.CreateQueueInput{QueueName: "work",
		Attributes: map[string]string{"VisibilityTimeout": "60", "RedrivePolicy": policy}})
	require.NoError(t, err)
	return svc, w.QueueUrl, d.QueueUrl
}

func send(t *testing.T, svc *sqs.Service, url string, bodies ...string) {
	t.Helper()
	for _, b := range bodies {
		_, err := svc.SendMessage(t.Context(), sqs.SendMessageInput{QueueUrl: url, MessageBody: b})
		require.NoError(t, err)
	}
}

// depth is how many messages url holds, visible or not.
func depth(t *testing.T, svc *sqs.Service, url string) string {
	t.Helper()
	out, err := svc.GetQueueAttributes(t.Context(), sqs.GetQueueAttributesInput{QueueUrl: url,
		AttributeNames: []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
	require.NoError(t, err)
	visible, err := strconv.Atoi(out.Attributes["ApproximateNumberOfMessages"])
	require.NoError(t, err)
	hidden, err := strconv.Atoi(out.Attributes["ApproximateNumberOfMessagesNotVisible"])
	require.NoError(t, err)
	return strconv.Itoa(visible + hidden)
}

func receive(t *testing.T, svc *sqs.Service, url string, n int) []sqs.Message {
	t.Helper()
	out, err := svc.ReceiveMessage(t.Context(), sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: &n, AttributeNames: []string{"All"}})
	require.NoError(t, err)
	return out.Messages
}

// function answers with fail's batch response for each event it gets.
func function(fail func(events.SQSEvent) (events.SQSEventResponse, error)) (sfn.Invoker, *[]events.SQSEvent) {
	var mu sync.Mutex
	var got []events.SQSEvent
	return sfn.InvokerFunc(func(_ context.Context, payload []byte) ([]byte, error) {
		var ev events.SQSEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, err
		}
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
		resp, err := fail(ev)
		if err != nil {
			return nil, err
		}
		return json.Marshal(resp)
	}), &got
}

func TestBatch(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		name   string
		report bool
		answer func(events.SQSEvent) (events.SQSEventResponse, error)
		left   string
	}{
		{"all handled", true, func(events.SQSEvent) (events.SQSEventResponse, error) { return events.SQSEventResponse{}, nil }, "0"},
		{"one reported", true, func(ev events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: ev.Records[1].MessageId}}}, nil
		}, "1"},
		{"reports ignored without ReportBatchItemFailures", false, func(ev events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: ev.Records[1].MessageId}}}, nil
		}, "0"},
		{"an unknown id keeps the batch", true, func(events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: "nope"}}}, nil
		}, "3"},
		{"a failed invocation keeps the batch", true, func(events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{}, errors.New("boom")
		}, "3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, work, _ := queues(t, 5)
			send(t, svc, work, "a", "b", "c")
			inv, got := function(tc.answer)
			m := eventsource.Mapping{Source: slsconfig.QueueSource{Function: "f", Queue: svc.QueueARN("work"), BatchSize: 10,
				ReportBatchItemFailures: tc.report}, QueueURL: work, Region: "us-east-1", Function: inv, Timeout: time.Minute}
			eventsource.Batch(t.Context(), svc, m, receive(t, svc, work, 10), log)
			require.Len(t, *got, 1)
			ev := (*got)[0]
			require.Len(t, ev.Records, 3)
			for i, r := range ev.Records {
				assert.Equal(t, []string{"a", "b", "c"}[i], r.Body)
				assert.Equal(t, "aws:sqs", r.EventSource)
				assert.Equal(t, svc.QueueARN("work"), r.EventSourceARN)
				assert.Equal(t, "1", r.Attributes["ApproximateReceiveCount"])
				assert.NotEmpty(t, r.MessageId)
				assert.NotEmpty(t, r.ReceiptHandle)
			}
			assert.Equal(t, tc.left, depth(t, svc, work))
		})
	}
}

// A message the function always reports as failed (after making it visible
// again at once, as the notifier does with its backoff) is received again
// and again by the pollers, its receive count growing, until the queue's
// redrive policy moves it to the dead-letter queue.
func TestPollersRedriveToDeadLetterQueue(t *testing.T) {
	svc, work, dlq := queues(t, 3)
	var mu sync.Mutex
	var counts []string
	seen := make(chan struct{}, 8)
	inv, _ := function(func(ev events.SQSEvent) (events.SQSEventResponse, error) {
		mu.Lock()
		counts = append(counts, ev.Records[0].Attributes["ApproximateReceiveCount"])
		mu.Unlock()
		seen <- struct{}{}
		if err := svc.ChangeMessageVisibility(context.Background(), sqs.ChangeMessageVisibilityInput{QueueUrl: work,
			ReceiptHandle: ev.Records[0].ReceiptHandle, VisibilityTimeout: new(0)}); err != nil {
			return events.SQSEventResponse{}, err
		}
		return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: ev.Records[0].MessageId}}}, nil
	})
	p := eventsource.Start(svc, []eventsource.Mapping{{Source: slsconfig.QueueSource{Function: "f", Queue: svc.QueueARN("work"), BatchSize: 1,
		ReportBatchItemFailures: true}, QueueURL: work, Function: inv, Timeout: time.Minute}}, slog.New(slog.DiscardHandler))
	send(t, svc, work, "never delivered")
	for range 3 {
		select {
		case <-seen:
		case <-time.After(30 * time.Second): // a guard against a hang
			t.Fatal("the function was not invoked three times")
		}
	}
	// The fourth receive moves it; a long poll of the dead-letter queue
	// waits for that.
	wait := 20
	out, err := svc.ReceiveMessage(t.Context(), sqs.ReceiveMessageInput{QueueUrl: dlq, WaitTimeSeconds: &wait})
	require.NoError(t, err)
	p.Stop(t.Context())
	require.Len(t, out.Messages, 1)
	assert.Equal(t, "never delivered", out.Messages[0].Body)
	assert.Equal(t, []string{"1", "2", "3"}, counts)
	assert.Equal(t, "0", depth(t, svc, work))
}

// Stop handles what is visible in the queue before it returns: a runtime
// that stops does not leave behind what was sent just before.
func TestPollersStopDrains(t *testing.T) {
	svc, work, _ := queues(t, 5)
	inv, got := function(func(events.SQSEvent) (events.SQSEventResponse, error) { return events.SQSEventResponse{}, nil })
	p := eventsource.Start(svc, []eventsource.Mapping{{Source: slsconfig.QueueSource{Function: "f", Queue: svc.QueueARN("work"), BatchSize: 1,
		ReportBatchItemFailures: true}, QueueURL: work, Function: inv, Timeout: time.Minute}}, slog.New(slog.DiscardHandler))
	p.Drain() // as Close does first
	for i := range 25 {
		send(t, svc, work, strconv.Itoa(i))
	}
	p.Stop(t.Context())
	assert.Len(t, *got, 25, "every message handled")
	assert.Equal(t, "0", depth(t, svc, work))
}
