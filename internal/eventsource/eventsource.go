// Package eventsource emulates, for the local runtime, Lambda's SQS event
// source mapping: the poller AWS runs for a function's sqs event. It
// long-polls the queue, invokes the function with the messages as an
// events.SQSEvent (messageId, receiptHandle, body, attributes with
// ApproximateReceiveCount, eventSource aws:sqs, eventSourceARN), deletes
// what the function handled, and leaves the rest in the queue for their
// visibility timeout: all of a batch when the invocation fails, or only the
// messages it names with ReportBatchItemFailures. The queue's own redrive
// policy (maxReceiveCount) moves a message that keeps failing to its
// dead-letter queue, as on AWS.
package eventsource

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/asyncjobs/stepjobs/internal/sfn"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
	"github.com/asyncjobs/stepjobs/internal/sqs"
)

// Queue is the SQS calls a mapping makes: the local SQS, in-process.
type Queue interface {
	ReceiveMessage(ctx context.Context, in sqs.ReceiveMessageInput) (sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in sqs.DeleteMessageInput) error
}

// Mapping is one function's sqs event, ready to poll.
type Mapping struct {
	Source slsconfig.QueueSource
	// QueueURL is Source.Queue's URL in the local SQS; Region its region.
	QueueURL, Region string
	// Function is the function's invoker; Timeout bounds an invocation.
	Function sfn.Invoker
	Timeout  time.Duration
}

// Pollers run mappings until Stop.
type Pollers struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// pollWait is a receive's long poll, in seconds (SQS's longest). Stop
// cancels it.
const pollWait = 20

// errorPause is the wait after a failed receive, so that a queue that is
// gone does not spin.
const errorPause = time.Second

// Start polls q for each mapping in the background, one poller each (AWS
// scales pollers with the queue's depth; one is enough locally).
func Start(q Queue, mappings []Mapping, log *slog.Logger) *Pollers {
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pollers{cancel: cancel}
	for _, m := range mappings {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			poll(ctx, q, m, log.With("function", m.Source.Function, "queue", m.Source.Queue))
		}()
	}
	return p
}

// Stop ends the polls and waits for the invocations in flight.
func (p *Pollers) Stop() {
	p.cancel()
	p.wg.Wait()
}

func poll(ctx context.Context, q Queue, m Mapping, log *slog.Logger) {
	n := min(m.Source.BatchSize, 10)
	wait := pollWait
	for ctx.Err() == nil {
		out, err := q.ReceiveMessage(ctx, sqs.ReceiveMessageInput{QueueUrl: m.QueueURL, MaxNumberOfMessages: &n,
			WaitTimeSeconds: &wait, AttributeNames: []string{"All"}, MessageAttributeNames: []string{"All"}})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Warn("sqs event source: receive", "err", err)
			sleep(ctx, errorPause)
			continue
		}
		if len(out.Messages) > 0 {
			Batch(ctx, q, m, out.Messages, log)
		}
	}
}

// Batch is one invocation of m's function with msgs, then the deletes.
func Batch(ctx context.Context, q Queue, m Mapping, msgs []sqs.Message, log *slog.Logger) {
	ev := Event(m, msgs)
	payload, err := json.Marshal(ev)
	if err != nil {
		log.Error("sqs event source: encode event", "err", err)
		return
	}
	ictx, cancel := context.WithTimeout(ctx, m.Timeout)
	resp, err := m.Function.Invoke(ictx, payload)
	cancel()
	if err != nil {
		log.Warn("sqs event source: invocation failed: the batch stays in the queue", "messages", len(msgs), "err", err)
		return
	}
	keep, err := failed(m.Source, resp, msgs)
	if err != nil {
		log.Warn("sqs event source: the batch stays in the queue", "err", err)
		return
	}
	for _, msg := range msgs {
		if keep[msg.MessageId] {
			continue
		}
		if err := q.DeleteMessage(ctx, sqs.DeleteMessageInput{QueueUrl: m.QueueURL, ReceiptHandle: msg.ReceiptHandle}); err != nil {
			log.Warn("sqs event source: delete", "messageId", msg.MessageId, "err", err)
		}
	}
	if len(keep) > 0 {
		log.Info("sqs event source: messages left for their visibility timeout", "failed", len(keep), "messages", len(msgs))
	}
}

// failed are the message ids the function reported as failed; an error
// when the response cannot be read as a batch response or names a message
// not in the batch, in which case Lambda keeps the whole batch too.
func failed(src slsconfig.QueueSource, resp []byte, msgs []sqs.Message) (map[string]bool, error) {
	if !src.ReportBatchItemFailures || len(resp) == 0 || string(resp) == "null" {
		return nil, nil
	}
	var r events.SQSEventResponse
	if err := json.Unmarshal(resp, &r); err != nil {
		return nil, fmt.Errorf("batch item failures: %w", err)
	}
	in := make(map[string]bool, len(msgs))
	for _, m := range msgs {
		in[m.MessageId] = true
	}
	out := map[string]bool{}
	for _, f := range r.BatchItemFailures {
		if !in[f.ItemIdentifier] {
			return nil, fmt.Errorf("batch item failures: %q is not a message of the batch", f.ItemIdentifier)
		}
		out[f.ItemIdentifier] = true
	}
	return out, nil
}

// Event is the event Lambda gives m's function for msgs.
func Event(m Mapping, msgs []sqs.Message) events.SQSEvent {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
	for i, msg := range msgs {
		rec := events.SQSMessage{MessageId: msg.MessageId, ReceiptHandle: msg.ReceiptHandle, Body: msg.Body, Md5OfBody: msg.MD5OfBody,
			Attributes: msg.Attributes, EventSource: "aws:sqs", EventSourceARN: m.Source.Queue, AWSRegion: m.Region}
		if msg.MD5OfMessageAttributes != "" {
			rec.Md5OfMessageAttributes = msg.MD5OfMessageAttributes
		}
		if len(msg.MessageAttributes) > 0 {
			rec.MessageAttributes = map[string]events.SQSMessageAttribute{}
			for k, v := range msg.MessageAttributes {
				a := events.SQSMessageAttribute{DataType: v.DataType, BinaryValue: v.BinaryValue, StringValue: v.StringValue}
				rec.MessageAttributes[k] = a
			}
		}
		ev.Records[i] = rec
	}
	return ev
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
