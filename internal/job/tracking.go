package job

import (
	"context"
	"encoding/json"
	"time"

	"github.com/asyncjobs/stepjobs/internal/metrics"
)

// TrackingInput is what the Track state passes: the execution's name and
// ARN from the context object, and the execution input as the request.
type TrackingInput struct {
	JobID        string          `json:"jobId"`
	ExecutionARN string          `json:"executionArn"`
	Request      json.RawMessage `json:"request"`
}

// TrackingOutput is tracking's answer (discarded by the state machine with
// ResultPath null, kept small and useful for logs and tests).
type TrackingOutput struct {
	JobID     string    `json:"jobId"`
	Status    Status    `json:"status"`
	CreatedAt time.Time `json:"createdAt"`
}

// Tracking writes the job record when an execution starts.
type Tracking struct {
	jobs Creator
	deps
}

// NewTracking returns the tracking handler writing to jobs.
func NewTracking(jobs Creator, opts ...Option) *Tracking {
	return &Tracking{jobs: jobs, deps: newDeps(opts)}
}

// Handle creates the RUNNING record. A retried invocation finds the record
// of its own execution and succeeds without writing again.
func (h *Tracking) Handle(ctx context.Context, in TrackingInput) (TrackingOutput, error) {
	log := h.jobLogger(ctx, "tracking", in.JobID, in.ExecutionARN)
	j := NewJob(in.JobID, in.ExecutionARN, in.Request, h.now().UTC())
	if err := j.Validate(); err != nil {
		return TrackingOutput{}, fail(ctx, log, err)
	}
	stored, err := h.jobs.Create(ctx, j)
	if err != nil {
		return TrackingOutput{}, fail(ctx, log, taskError("tracking: create job", err))
	}
	log.InfoContext(ctx, "job tracked", "status", stored.Status, "createdAt", stored.CreatedAt)
	// A retry finds the record an earlier attempt wrote: count the job once.
	if stored.Status == StatusRunning && stored.CreatedAt.Equal(j.CreatedAt) {
		h.emit(ctx, log, in.JobID, in.ExecutionARN, metrics.Metric{Name: metrics.JobsStarted, Unit: metrics.Count, Value: 1})
	}
	return TrackingOutput{JobID: stored.ID, Status: stored.Status, CreatedAt: stored.CreatedAt}, nil
}
