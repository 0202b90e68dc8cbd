// Package awserr sorts the errors of AWS SDK calls made by the job
// handlers' stores: what is worth retrying becomes a job.TransientError.
package awserr

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/asyncjobs/stepjobs/internal/job"
)

// transient is the SDK's own judgement of what is worth retrying
// (throttling codes such as SlowDown, 5xx, connection errors, timeouts),
// applied once the SDK's retries are spent, so the state machine's retrier
// takes over.
var transient = retry.IsErrorRetryables(retry.DefaultRetryables)

// Classify returns err, the error of the call op, as a job.TransientError
// when it is worth retrying (or its deadline passed), else wrapped with op.
func Classify(op string, err error) error {
	if transient.IsErrorRetryable(err) == aws.TrueTernary || errors.Is(err, context.DeadlineExceeded) {
		return &job.TransientError{Op: op, Err: err}
	}
	return fmt.Errorf("%s: %w", op, err)
}
