package job

import (
	"context"
	"fmt"
)

// Creator creates job records; tracking needs it.
type Creator interface {
	// Create stores j if there is no record for j.ID yet and returns the
	// stored record. A record for the same execution is success (a retried
	// tracking call); one for another execution is a *JobConflict.
	Create(ctx context.Context, j Job) (Job, error)
}

// Finisher writes final statuses; status-update needs it.
type Finisher interface {
	// Finish writes o onto the record of o.JobID and returns the stored
	// record. See ResolveFinish for the rules every implementation follows.
	Finish(ctx context.Context, o Outcome) (Job, error)
}

// Getter reads job records.
type Getter interface {
	// Get returns the record of id, or a *JobNotFound.
	Get(ctx context.Context, id string) (Job, error)
}

// Store is a complete job store, as the contract test (internal/job/jobtest)
// exercises it.
type Store interface {
	Creator
	Finisher
	Getter
}

// ResultStore stores job results; batch-simulation needs it.
type ResultStore interface {
	// PutResult stores body, a JSON document, under key and returns the
	// bucket it was written to.
	PutResult(ctx context.Context, key string, body []byte) (bucket string, err error)
}

// ResolveCreate decides the outcome of creating j when existing is already
// stored under j.ID: the same execution returns existing (whatever its
// status, so a late retry never moves a job backwards); another execution is
// a conflict.
func ResolveCreate(existing, j Job) (Job, error) {
	if existing.ExecutionARN == j.ExecutionARN {
		return existing, nil
	}
	return Job{}, &JobConflict{JobID: j.ID, Reason: fmt.Sprintf(
		"record belongs to execution %s, not %s", existing.ExecutionARN, j.ExecutionARN)}
}

// ResolveFinish decides what finishing with o does given the stored record
// (nil when there is none). It returns the record to keep and whether it has
// to be written:
//   - no record: created when o.CreatesRecord, otherwise *JobNotFound;
//   - a record of another execution: *JobConflict;
//   - the same status again: success without a write (idempotent retry);
//   - SUCCEEDED, and o.UnlessSucceeded: the record without a write (the
//     state machine's RecordFailure after RecordSuccess wrote but its answer
//     was lost: the job succeeded);
//   - SUCCEEDED, and o is ABORTED or TIMED_OUT: the record without a write.
//     The execution was stopped, or timed out, after RecordSuccess wrote
//     but before Step Functions heard its answer (lost, or slower than the
//     stop): the job's work is done and its result recorded, and an end
//     that came too late does not take it back. Nobody has anything to
//     decide, so it is no conflict either (a FAILED is: the state machine
//     concluded the work failed);
//   - RUNNING to terminal: written;
//   - any other change (terminal to another terminal): *JobConflict.
func ResolveFinish(existing *Job, o Outcome) (Job, bool, error) {
	switch {
	case existing == nil && o.CreatesRecord():
		return o.Apply(Job{}), true, nil
	case existing == nil:
		return Job{}, false, &JobNotFound{JobID: o.JobID}
	case existing.ExecutionARN != o.ExecutionARN:
		return Job{}, false, &JobConflict{JobID: o.JobID, Reason: fmt.Sprintf(
			"record belongs to execution %s, not %s", existing.ExecutionARN, o.ExecutionARN)}
	case existing.Status == o.Status:
		return *existing, false, nil
	case existing.Status == StatusSucceeded && (o.UnlessSucceeded || o.Status == StatusAborted || o.Status == StatusTimedOut):
		return *existing, false, nil
	case existing.Status.CanBecome(o.Status):
		return o.Apply(*existing), true, nil
	}
	return Job{}, false, &JobConflict{JobID: o.JobID, Reason: fmt.Sprintf(
		"status %s is final, cannot become %s", existing.Status, o.Status)}
}
