package callback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Visibility is the SQS call the notifier makes on a failed message, with
// the SDK's signature: *sqs.Client on AWS and locally, a fake in tests.
type Visibility interface {
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

var _ Visibility = (*sqs.Client)(nil)

// The AWS defaults: the notifier's backoff (CALLBACK_RETRY_FIRST,
// CALLBACK_RETRY_MAX) and the callbacks queue's maxReceiveCount
// (resources/callbacks.yml). Together they retry for about 7 hours
// (Backoff.Window) before the dead-letter queue.
const (
	DefaultFirstRetry  = 30 * time.Second
	DefaultMaxRetry    = 30 * time.Minute
	DefaultMaxReceives = 20
)

// maxVisibility is SQS's longest visibility timeout (12 hours).
const maxVisibility = 12 * time.Hour

// Backoff is the pause before a callback's next attempt: First after the
// first failed receive, doubling with each receive, at most Max. SQS counts
// the receives (ApproximateReceiveCount), so the schedule needs no state of
// ours; the queue's redrive policy (maxReceiveCount) ends it.
type Backoff struct {
	First, Max time.Duration
}

// After is the pause after the receiveCount-th failed attempt (1 for the
// first), in whole seconds as ChangeMessageVisibility takes it: rounded
// up, at most 12 hours.
func (b Backoff) After(receiveCount int) time.Duration {
	d := b.First
	for i := 1; i < receiveCount && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max, maxVisibility)
	return ((d + time.Second - 1) / time.Second) * time.Second
}

// Window is the time from a callback's first attempt to its last, when
// every one of maxReceives attempts fails: the pauses after the first
// maxReceives-1 (the attempt's own time aside). After the last failed
// attempt's pause the message goes to the dead-letter queue.
func (b Backoff) Window(maxReceives int) time.Duration {
	var total time.Duration
	for n := 1; n < maxReceives; n++ {
		total += b.After(n)
	}
	return total
}

// HandleMessages delivers the callback of each message of the callbacks
// queue (a status change event, as the rule put it there), one attempt
// each. A failed message is reported in the response's batch item failures
// (the event source mapping's ReportBatchItemFailures), so SQS keeps it,
// after its visibility is set to the backoff for its receive count: it is
// received, and attempted, again then. A refused target is given a
// visibility of 0: no retry changes it, so it reaches the dead-letter queue
// within seconds rather than hours. The others are deleted by the event
// source mapping. The error is non-nil only when the batch could not be
// handled at all.
func (n *Notifier) HandleMessages(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var out events.SQSEventResponse
	for _, m := range ev.Records {
		if err := n.handleMessage(ctx, m); err != nil {
			out.BatchItemFailures = append(out.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return out, nil
}

// handleMessage is one message's attempt, and its next visibility when it
// failed.
func (n *Notifier) handleMessage(ctx context.Context, m events.SQSMessage) error {
	var ev Event
	if err := json.Unmarshal([]byte(m.Body), &ev); err != nil {
		// Not an event of the rule's: it cannot become one, so it goes to
		// the dead-letter queue for a person to read.
		n.log.ErrorContext(ctx, "callbacks queue: not a status change event", "messageId", m.MessageId, "err", err)
		return n.retryAfter(ctx, m, 0, err)
	}
	receives, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
	receives = max(receives, 1)
	log := n.log.With("jobId", ev.Detail.Name, "status", ev.Detail.Status, "receive", receives)
	err := n.Deliver(ctx, ev)
	switch {
	case err == nil:
		log.InfoContext(ctx, "callback delivered")
		return nil
	case errors.Is(err, ErrRefused):
		log.ErrorContext(ctx, "callback target refused: to the dead-letter queue", "err", err)
		return n.retryAfter(ctx, m, 0, err)
	default:
		next := n.cfg.Backoff.After(receives)
		log.WarnContext(ctx, "callback attempt failed", "next", next, "err", err)
		return n.retryAfter(ctx, m, next, err)
	}
}

// retryAfter makes m visible again after d and returns cause. If the
// visibility cannot be changed, m comes back after the queue's visibility
// timeout instead: later than planned, never lost.
func (n *Notifier) retryAfter(ctx context.Context, m events.SQSMessage, d time.Duration, cause error) error {
	_, err := n.queue.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(n.cfg.QueueURL),
		ReceiptHandle: aws.String(m.ReceiptHandle), VisibilityTimeout: int32(d / time.Second)})
	if err != nil {
		n.log.WarnContext(ctx, "callbacks queue: visibility not changed; the queue's own timeout applies", "messageId", m.MessageId, "err", err)
		return fmt.Errorf("%w (visibility: %w)", cause, err)
	}
	return cause
}
