package job

import (
	"errors"
	"fmt"
)

// The handlers' errors are Go types because aws-lambda-go names a returned
// error by its type name, and Step Functions matches that name in Retry and
// Catch (ErrorEquals). Renaming a type changes the state machine's contract.

// InvalidJobInput is returned when a job's input can never succeed. The
// state machine does not retry it.
type InvalidJobInput struct {
	Reason string
}

func (e *InvalidJobInput) Error() string { return "invalid job input: " + e.Reason }

// TransientError is returned when a dependency failed in a way that may pass
// on a later attempt (throttling, 5xx, timeouts). The state machine retries
// it. Adapters wrap such failures in it; Op says what was being done.
type TransientError struct {
	Op  string
	Err error
}

func (e *TransientError) Error() string {
	if e.Op == "" {
		return "transient: " + e.Err.Error()
	}
	return e.Op + ": " + e.Err.Error()
}

// Unwrap returns the underlying failure.
func (e *TransientError) Unwrap() error { return e.Err }

// SimulatedFailure is the failure a job asks for with simulateFailure
// "permanent" (allowed only where the handler is configured to allow it).
type SimulatedFailure struct {
	JobID   string
	Attempt int
}

func (e *SimulatedFailure) Error() string {
	return fmt.Sprintf("simulated permanent failure of job %s (attempt %d)", e.JobID, e.Attempt)
}

// Sentinels for store outcomes, matched with errors.Is.
var (
	// ErrConflict: the write would overwrite a different execution's record
	// or replace a terminal status by another one.
	ErrConflict = errors.New("job conflict")
	// ErrNotFound: there is no record for the job.
	ErrNotFound = errors.New("job not found")
)

// JobConflict details an ErrConflict; errors.Is(err, ErrConflict) matches it.
type JobConflict struct {
	JobID  string
	Reason string
}

func (e *JobConflict) Error() string { return "job " + e.JobID + ": conflict: " + e.Reason }

// Is makes errors.Is(err, ErrConflict) true.
func (e *JobConflict) Is(target error) bool { return target == ErrConflict }

// JobNotFound details an ErrNotFound; errors.Is(err, ErrNotFound) matches it.
type JobNotFound struct {
	JobID string
}

func (e *JobNotFound) Error() string { return "job " + e.JobID + " not found" }

// Is makes errors.Is(err, ErrNotFound) true.
func (e *JobNotFound) Is(target error) bool { return target == ErrNotFound }

// StoreError is a permanent failure of a store (access denied, missing
// table, ...). It gets its own type so the state machine records a readable
// error name rather than the name of a wrapper type.
type StoreError struct {
	Op  string
	Err error
}

func (e *StoreError) Error() string { return e.Op + ": " + e.Err.Error() }

// Unwrap returns the underlying failure.
func (e *StoreError) Unwrap() error { return e.Err }

// IsTransient reports whether err, or an error it wraps, is a TransientError.
func IsTransient(err error) bool {
	var t *TransientError
	return errors.As(err, &t)
}

// taskError turns a store error into the error a handler returns. Lambda
// names the error by its outermost type, so the type that matters for
// Retry/Catch must be outermost: wrapping with fmt.Errorf would hide it.
func taskError(op string, err error) error {
	var (
		invalid  *InvalidJobInput
		conflict *JobConflict
		notFound *JobNotFound
	)
	switch {
	case IsTransient(err):
		return &TransientError{Op: op, Err: err}
	case errors.As(err, &invalid):
		return invalid
	case errors.As(err, &conflict):
		return conflict
	case errors.As(err, &notFound):
		return notFound
	}
	return &StoreError{Op: op, Err: err}
}
