package client

import (
	"context"
	"errors"
	"fmt"
)

// WaitOption configures a Wait.
type WaitOption func(*waitOptions)

type waitOptions struct {
	onStatus func(*Status)
}

// OnStatus calls f with every status Wait reads, RUNNING ones included (a
// progress display, a log line). f runs on Wait's goroutine: keep it short.
func OnStatus(f func(*Status)) WaitOption { return func(o *waitOptions) { o.onStatus = f } }

// Wait polls the job ref names (an execution ARN or a job id) until it ends,
// sleeping between polls with the client's backoff and full jitter (the
// sleep before poll n+1 is uniform in [0, min(Max, Initial*Multiplier^n))),
// or the server's Retry-After when it sends one.
//
// It returns the final status, and:
//   - nil when the job SUCCEEDED;
//   - a *JobFailedError (error name and cause) when it FAILED;
//   - an error matching ErrAborted or ErrTimedOut when it was stopped or
//     timed out;
//   - the context's error (joined with the last failure, if any) when ctx
//     ends first; the status is then the last one read, possibly nil;
//   - ErrNotFound, ErrUnauthorized, ErrForbidden or another *APIError for a
//     failure that polling again would not fix.
//
// Throttling (429), 502/503/504 and network errors are retried; WithMaxAttempts
// of them in a row end the Wait with the last one.
func (c *Client) Wait(ctx context.Context, ref string, opts ...WaitOption) (*Status, error) {
	var o waitOptions
	for _, opt := range opts {
		opt(&o)
	}
	id := jobIDOf(ref)
	var last *Status
	fails := 0
	for n := 0; ; n++ {
		st, err := c.describe(ctx, ref, retryPolicy{attempts: 1})
		switch {
		case err != nil && ctx.Err() != nil:
			return last, fmt.Errorf("wait %s: %w", id, errors.Join(ctx.Err(), err))
		case err != nil:
			var ae *APIError
			var ns *notSentError
			fails++
			if errors.As(err, &ns) || errors.As(err, &ae) && !ae.Temporary() || fails >= c.maxAttempts {
				return last, fmt.Errorf("wait %s: %w", id, err)
			}
		default:
			fails = 0
			last = st
			if o.onStatus != nil {
				o.onStatus(st)
			}
			if st.Status.Terminal() {
				return st, outcome(st)
			}
		}
		if serr := c.clock.Sleep(ctx, c.delay(n, err)); serr != nil {
			return last, fmt.Errorf("wait %s: %w", id, errors.Join(serr, err))
		}
	}
}

// outcome is the error a terminal status stands for.
func outcome(st *Status) error {
	switch st.Status {
	case StatusSucceeded:
		return nil
	case StatusAborted:
		return fmt.Errorf("job %s: %w", st.JobID, ErrAborted)
	case StatusTimedOut:
		return fmt.Errorf("job %s: %w", st.JobID, ErrTimedOut)
	default: // FAILED, PENDING_REDRIVE, and any status this client does not know
		return &JobFailedError{JobID: st.JobID, Status: st.Status, ErrorName: st.Error, Cause: st.Cause}
	}
}
