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
	"sync/atomic"
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
	// ctx ends every poll and is the invocations' parent; longPolls ends
	// the long polls only (Drain).
	ctx, longPolls          context.Context
	cancel, cancelLongPolls context.CancelFunc
	stopping                atomic.Bool
	wg                      sync.WaitGroup
}

// pollWait is a receive's long poll, in seconds (SQS's longest). Drain and
// Stop end it.
const pollWait = 20

// errorPause is the wait after a failed receive, so that a queue that is
// gone does not spin; drainPause the wait after an empty short poll.
const (
	errorPause = time.Second
	drainPause = 50 * time.Millisecond
)

// PollersPerQueue is how many pollers each mapping runs: the five AWS
// starts an SQS event source mapping with (it adds more as the queue
// grows), so five batches can be in flight at once.
const PollersPerQueue = 5

// Start polls q for each mapping in the background, PollersPerQueue
// pollers each.
func Start(q Queue, mappings []Mapping, log *slog.Logger) *Pollers {
	p := &Pollers{}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.longPolls, p.cancelLongPolls = context.WithCancel(p.ctx)
	for _, m := range mappings {
		for range PollersPerQueue {
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.poll(q, m, log.With("function", m.Source.Function, "queue", m.Source.Queue))
			}()
		}
	}
	return p
}

// Drain ends the long polls: the pollers go on with short ones (a queue
// being shut down answers long polls at once, which would spin), so that
// what reaches the queues while the runtime stops is still handled.
func (p *Pollers) Drain() { p.cancelLongPolls() }

// Stop lets the pollers handle what is visible in their queues within ctx
// (each stops at its first empty receive; messages hidden for a backoff
// are left), then ends them. Invocations in flight are not cancelled: each
// ends within its function's timeout.
func (p *Pollers) Stop(ctx context.Context) {
	p.Drain()
	p.stopping.Store(true)
	done := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		p.cancel()
		<-done
	}
	p.cancel()
}

func (p *Pollers) poll(q Queue, m Mapping, log *slog.Logger) {
	n := min(m.Source.BatchSize, 10)
	for p.ctx.Err() == nil {
		draining := p.longPolls.Err() != nil
		rctx, wait := p.longPolls, pollWait
		if draining {
			rctx, wait = p.ctx, 0
		}
		out, err := q.ReceiveMessage(rctx, sqs.ReceiveMessageInput{QueueUrl: m.QueueURL, MaxNumberOfMessages: &n,
			WaitTimeSeconds: &wait, AttributeNames: []string{"All"}, MessageAttributeNames: []string{"All"}})
		switch {
		case err != nil && rctx.Err() != nil:
			continue // Drain or Stop ended the poll
		case err != nil:
			log.Warn("sqs event source: receive", "err", err)
			sleep(p.ctx, errorPause)
		case len(out.Messages) > 0:
			Batch(p.ctx, q, m, out.Messages, log)
		case draining && p.stopping.Load():
			return
		case draining:
			sleep(p.ctx, drainPause)
		}
	}
}

// Batch is one invocation of m's function with msgs, then the deletes.
// Neither is cut short when ctx ends (Stop): a received batch is handled.
func Batch(ctx context.Context, q Queue, m Mapping, msgs []sqs.Message, log *slog.Logger) {
	ctx = context.WithoutCancel(ctx)
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
