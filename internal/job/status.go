package job

import (
	"context"
	"fmt"
	"time"

	"github.com/asyncjobs/stepjobs/internal/metrics"
)

// StatusInput is what RecordSuccess and RecordFailure pass: the final status
// with either the result location or the error and cause caught by Catch.
// The status change rule passes the same fields for an execution that ended
// FAILED, ABORTED or TIMED_OUT.
type StatusInput struct {
	JobID        string  `json:"jobId"`
	ExecutionARN string  `json:"executionArn"`
	Status       Status  `json:"status"`
	Result       *Result `json:"result,omitempty"`
	Error        string  `json:"error,omitempty"`
	Cause        string  `json:"cause,omitempty"`
	// Source names the caller when it needs other rules than the default:
	// SourceRecordFailure, or empty (RecordSuccess, the status change rule,
	// an operator's redrive).
	Source string `json:"source,omitempty"`
}

// SourceRecordFailure is the Source of the state machine's RecordFailure.
// Its FAILED gives way to a SUCCEEDED record of the same execution: the
// job's work succeeded and RecordSuccess wrote it, but its answer was lost
// (a timeout or an error after the write) and Catch came here. Instead of a
// conflict, status-update then writes nothing and answers the stored
// record, and the state machine ends SUCCEEDED with it. Every other caller
// keeps the strict rule: a FAILED delivered for a SUCCEEDED record (the
// status change rule, a redrive) is a conflict an operator must see.
const SourceRecordFailure = "RecordFailure"

// StatusOutput is status-update's answer; for SUCCEEDED it is the
// execution's output.
type StatusOutput struct {
	JobID  string  `json:"jobId"`
	Status Status  `json:"status"`
	Result *Result `json:"result,omitempty"`
}

// StatusUpdate writes a job's final status.
type StatusUpdate struct {
	jobs Finisher
	deps
}

// NewStatusUpdate returns the status-update handler writing to jobs.
func NewStatusUpdate(jobs Finisher, opts ...Option) *StatusUpdate {
	return &StatusUpdate{jobs: jobs, deps: newDeps(opts)}
}

// Handle writes the final status under the rules of ResolveFinish: a
// terminal status is never overwritten, a repeated update is success, and a
// failure is recorded even when tracking never wrote the record. From
// RecordFailure (Source SourceRecordFailure), a record the same execution
// already marked SUCCEEDED is the answer, without a write or an error; so
// it is for an ABORTED or TIMED_OUT from any caller (a stop that came
// after RecordSuccess wrote).
func (h *StatusUpdate) Handle(ctx context.Context, in StatusInput) (StatusOutput, error) {
	log := h.jobLogger(ctx, "statusUpdate", in.JobID, in.ExecutionARN)
	o := Outcome{
		JobID:        in.JobID,
		ExecutionARN: in.ExecutionARN,
		Status:       in.Status,
		Result:       in.Result,
		Error:        in.Error,
		Cause:        in.Cause,
		At:           h.now().UTC(),
	}
	if h.recordTTL > 0 {
		o.ExpiresAt = o.At.Add(h.recordTTL).Truncate(time.Second)
	}
	switch in.Source {
	case "":
	case SourceRecordFailure:
		o.UnlessSucceeded = true
	default:
		return StatusOutput{}, fail(ctx, log, invalid(fmt.Sprintf("source %q: want %q or none", in.Source, SourceRecordFailure)))
	}
	if err := o.Validate(); err != nil {
		return StatusOutput{}, fail(ctx, log, err)
	}
	stored, err := h.jobs.Finish(ctx, o)
	if err != nil {
		return StatusOutput{}, fail(ctx, log, taskError("status-update: finish job", err))
	}
	switch {
	case o.UnlessSucceeded && stored.Status == StatusSucceeded:
		// RecordSuccess wrote the record, then its answer was lost: the job
		// succeeded, and the state machine ends so with this answer.
		log.WarnContext(ctx, "job already succeeded: failure not recorded", "status", stored.Status, "error", o.Error)
	case stored.Status == StatusSucceeded && o.Status != StatusSucceeded:
		// Stopped or timed out after RecordSuccess wrote (see
		// ResolveFinish): the result stays; the execution says otherwise.
		log.WarnContext(ctx, "job already succeeded: the execution's later end not recorded, the result stays",
			"status", stored.Status, "executionStatus", o.Status)
	default:
		log.InfoContext(ctx, "job finished", "status", stored.Status, "error", stored.Error)
	}
	// Only the write that finished the job counts: a repeated update finds
	// the record as an earlier one left it (another UpdatedAt).
	if stored.UpdatedAt.Equal(o.At) && stored.Status == o.Status {
		h.emit(ctx, log, in.JobID, in.ExecutionARN, finishMetrics(stored)...)
	}
	return StatusOutput{JobID: stored.ID, Status: stored.Status, Result: stored.Result}, nil
}

// outcomeMetric names the counter of each final status.
var outcomeMetric = map[Status]string{
	StatusSucceeded: metrics.JobsSucceeded,
	StatusFailed:    metrics.JobsFailed,
	StatusAborted:   metrics.JobsAborted,
	StatusTimedOut:  metrics.JobsTimedOut,
}

// finishMetrics are the metrics of a job that just finished: its outcome
// counter and its duration since tracking created the record. A record the
// outcome itself created (the job failed before tracking) has no duration.
func finishMetrics(j Job) []metrics.Metric {
	ms := []metrics.Metric{{Name: outcomeMetric[j.Status], Unit: metrics.Count, Value: 1}}
	if !j.CreatedAt.IsZero() && j.UpdatedAt.After(j.CreatedAt) {
		ms = append(ms, metrics.Metric{Name: metrics.JobDuration, Unit: metrics.Milliseconds,
			Value: float64(j.UpdatedAt.Sub(j.CreatedAt).Milliseconds())})
	}
	return ms
}
