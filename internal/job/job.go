// Package job is the domain of stepjobs: the job record, its status and the
// allowed transitions, the stores it needs (declared here, implemented by
// adapters such as internal/dynamo, internal/objects and internal/memstore)
// and the three task handlers the state machine invokes.
//
// The package knows nothing of Lambda, HTTP or the local runtime: cmd/*
// wraps a handler's Handle method with lambda.Start, and the local runtime
// calls the very same methods in-process.
package job

import (
	"encoding/json"
	"fmt"
	"time"
)

// Status is the lifecycle state of a job. The values are those of Step
// Functions' execution status, so a job record and DescribeExecution agree.
type Status string

// The statuses a job can be in. RUNNING is the only non-terminal one.
const (
	StatusRunning   Status = "RUNNING"
	StatusSucceeded Status = "SUCCEEDED"
	StatusFailed    Status = "FAILED"
	StatusAborted   Status = "ABORTED"
	StatusTimedOut  Status = "TIMED_OUT"
)

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusRunning, StatusSucceeded, StatusFailed, StatusAborted, StatusTimedOut:
		return true
	}
	return false
}

// Terminal reports whether s is a final status that can never change again.
func (s Status) Terminal() bool {
	return s.Valid() && s != StatusRunning
}

// CanBecome reports whether a job in status s may be written with status
// next: RUNNING may move to any terminal status, and writing the status a job
// already has is allowed (a retried write is not a transition). Everything
// else, going backwards or replacing one terminal status by another, is not.
func (s Status) CanBecome(next Status) bool {
	if !s.Valid() || !next.Valid() {
		return false
	}
	return s == next || (s == StatusRunning && next.Terminal())
}

// Result locates the output of a succeeded job.
type Result struct {
	Bucket  string `json:"bucket"`
	Key     string `json:"key"`
	Records int    `json:"records"`
	Bytes   int64  `json:"bytes"`
}

// Job is the record kept for every execution of the state machine.
type Job struct {
	// ID is the execution name, which is unique per state machine.
	ID           string          `json:"jobId"`
	ExecutionARN string          `json:"executionArn"`
	Status       Status          `json:"status"`
	Request      json.RawMessage `json:"request,omitempty"`
	// Result is set when Status is SUCCEEDED.
	Result *Result `json:"result,omitempty"`
	// Error and Cause are set when the job failed (from the state machine's Catch).
	Error     string    `json:"error,omitempty"`
	Cause     string    `json:"cause,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// Progress is batch-simulation's last report; nil before the first.
	Progress *Progress `json:"progress,omitempty"`
	// ExpiresAt is when the record expires (DynamoDB TTL), set with the
	// final status; zero while the job runs.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
}

// Expired reports whether the record is past its expiry at now. An expired
// record is answered as a missing one, whether or not the store has
// deleted it yet.
func (j Job) Expired(now time.Time) bool {
	return !j.ExpiresAt.IsZero() && !now.Before(j.ExpiresAt)
}

// DefaultRecordTTL is how long a job record is kept after its final status.
const DefaultRecordTTL = 30 * 24 * time.Hour

// NewJob returns the record tracking writes when an execution starts.
func NewJob(id, executionARN string, request json.RawMessage, now time.Time) Job {
	return Job{
		ID:           id,
		ExecutionARN: executionARN,
		Status:       StatusRunning,
		Request:      request,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
}

// Validate checks that j is a record a store may create: a RUNNING job with
// an id, an execution ARN and timestamps. Stores call it so that the
// in-memory and the DynamoDB store reject the same records.
func (j Job) Validate() error {
	switch {
	case j.ID == "":
		return invalid("jobId is required")
	case j.ExecutionARN == "":
		return invalid("executionArn is required")
	case j.Status != StatusRunning:
		return invalid(fmt.Sprintf("a new job must be %s, got %q", StatusRunning, j.Status))
	case j.CreatedAt.IsZero() || j.UpdatedAt.IsZero():
		return invalid("createdAt and updatedAt are required")
	case len(j.Request) > 0 && !json.Valid(j.Request):
		return invalid("request is not valid JSON")
	}
	return nil
}

// Outcome is the final status written for a job by status-update.
type Outcome struct {
	JobID        string
	ExecutionARN string
	Status       Status
	Result       *Result // required for SUCCEEDED, absent otherwise
	Error        string
	Cause        string
	At           time.Time
	// ExpiresAt is when the finished record expires; zero: never.
	ExpiresAt time.Time
	// UnlessSucceeded makes a FAILED (ABORTED, TIMED_OUT) outcome give way
	// to a SUCCEEDED record of the same execution: no write, no conflict,
	// the record is the answer (see ResolveFinish). Only the state
	// machine's RecordFailure asks for it (SourceRecordFailure).
	UnlessSucceeded bool
}

// Validate checks that o is a final status a store may write.
func (o Outcome) Validate() error {
	switch {
	case o.JobID == "":
		return invalid("jobId is required")
	case o.ExecutionARN == "":
		return invalid("executionArn is required")
	case !o.Status.Terminal():
		return invalid(fmt.Sprintf("status must be one of %s, %s, %s, %s; got %q",
			StatusSucceeded, StatusFailed, StatusAborted, StatusTimedOut, o.Status))
	case o.Status == StatusSucceeded && o.Result == nil:
		return invalid("result is required with status SUCCEEDED")
	case o.Status == StatusSucceeded && (o.Result.Bucket == "" || o.Result.Key == ""):
		return invalid("result.bucket and result.key are required")
	case o.Status != StatusSucceeded && o.Result != nil:
		return invalid(fmt.Sprintf("result is only allowed with status SUCCEEDED, got %s", o.Status))
	case o.Status == StatusSucceeded && o.UnlessSucceeded:
		return invalid("a SUCCEEDED status cannot give way to a SUCCEEDED record")
	case o.At.IsZero():
		return invalid("the update time is required")
	}
	return nil
}

// CreatesRecord reports whether finishing with o may create the record when
// there is none: a job can fail (or be aborted) before tracking wrote it, and
// the failure must still be recorded. A success always follows tracking, so a
// missing record then is an error.
func (o Outcome) CreatesRecord() bool {
	return o.Status.Terminal() && o.Status != StatusSucceeded
}

// Apply returns the record after o is written onto j (j.Status must be able
// to become o.Status). It is the single definition of a finished record,
// shared by the stores.
func (o Outcome) Apply(j Job) Job {
	if j.ID == "" {
		j = Job{ID: o.JobID, ExecutionARN: o.ExecutionARN, CreatedAt: o.At}
	}
	j.Status = o.Status
	j.Result = o.Result
	if o.Result != nil {
		// A success is every record generated: the final status write says
		// so, and batch-simulation spares the table its own final report.
		j.Progress = &Progress{Generated: o.Result.Records, Total: o.Result.Records, UpdatedAt: o.At}
	}
	j.Error = o.Error
	j.Cause = o.Cause
	j.UpdatedAt = o.At
	j.ExpiresAt = o.ExpiresAt
	return j
}

func invalid(msg string) error { return &InvalidJobInput{Reason: msg} }
