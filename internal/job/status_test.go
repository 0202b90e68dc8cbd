package job_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/asyncjobs/stepjobs/internal/job"
)

func TestStatusTransitions(t *testing.T) {
	all := []job.Status{job.StatusRunning, job.StatusSucceeded, job.StatusFailed, job.StatusAborted, job.StatusTimedOut}
	allowed := map[[2]job.Status]bool{}
	for _, s := range all {
		allowed[[2]job.Status{s, s}] = true // a repeated write is not a move
		if s != job.StatusRunning {
			allowed[[2]job.Status{job.StatusRunning, s}] = true
		}
	}
	for _, from := range append(all, "PAUSED", "") {
		for _, to := range append(all, "PAUSED", "") {
			want := allowed[[2]job.Status{from, to}]
			assert.Equal(t, want, from.CanBecome(to), "%q -> %q", from, to)
		}
	}
	for _, s := range all {
		assert.True(t, s.Valid())
		assert.Equal(t, s != job.StatusRunning, s.Terminal(), s)
	}
	assert.False(t, job.Status("PAUSED").Valid())
	assert.False(t, job.Status("PAUSED").Terminal())
	assert.False(t, job.Status("running").Valid(), "statuses are upper case, as Step Functions writes them")
}

func TestResolveFinish(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	run := job.NewJob("j", "arn", nil, at)
	failed := job.Outcome{JobID: "j", ExecutionARN: "arn", Status: job.StatusFailed, Error: "E", Cause: "C", At: at.Add(time.Second)}
	succeeded := job.Outcome{JobID: "j", ExecutionARN: "arn", Status: job.StatusSucceeded, Result: &job.Result{Bucket: "b", Key: "k"}, At: at.Add(time.Second)}
	done := failed.Apply(run)
	won := succeeded.Apply(run)
	// RecordFailure's outcome: FAILED unless the execution already succeeded.
	unlessSucceeded := failed
	unlessSucceeded.UnlessSucceeded = true
	otherWon := won
	otherWon.ExecutionARN = "other"
	// The status change rule's ABORTED and TIMED_OUT: the execution was
	// stopped, or timed out, after RecordSuccess wrote (its answer lost).
	aborted := job.Outcome{JobID: "j", ExecutionARN: "arn", Status: job.StatusAborted, At: at.Add(time.Minute)}
	timedOut := job.Outcome{JobID: "j", ExecutionARN: "arn", Status: job.StatusTimedOut, Error: "States.Timeout", At: at.Add(time.Minute)}
	otherAborted := aborted
	otherAborted.ExecutionARN = "other"

	tests := []struct {
		name      string
		existing  *job.Job
		outcome   job.Outcome
		wantWrite bool
		want      job.Job
		wantErr   error
	}{
		{"absent, failure creates", nil, failed, true, job.Job{ID: "j", ExecutionARN: "arn", Status: job.StatusFailed,
			Error: "E", Cause: "C", CreatedAt: failed.At, UpdatedAt: failed.At}, nil},
		{"absent, success is not found", nil, succeeded, false, job.Job{}, job.ErrNotFound},
		{"running to failed", &run, failed, true, done, nil},
		{"failed again", &done, failed, false, done, nil},
		{"failed to succeeded", &done, succeeded, false, job.Job{}, job.ErrConflict},
		{"other execution", &run, job.Outcome{JobID: "j", ExecutionARN: "other", Status: job.StatusFailed, At: at}, false, job.Job{}, job.ErrConflict},
		{"succeeded to failed is a conflict (the status change rule)", &won, failed, false, job.Job{}, job.ErrConflict},
		{"succeeded, RecordFailure: the record is the answer, unwritten", &won, unlessSucceeded, false, won, nil},
		{"succeeded, then stopped: the result stays, unwritten", &won, aborted, false, won, nil},
		{"succeeded, then timed out: the result stays, unwritten", &won, timedOut, false, won, nil},
		{"succeeded by another execution, then stopped: a conflict", &won, otherAborted, false, job.Job{}, job.ErrConflict},
		{"failed, then stopped: a conflict", &done, aborted, false, job.Job{}, job.ErrConflict},
		{"running to aborted", &run, aborted, true, aborted.Apply(run), nil},
		{"succeeded by another execution, RecordFailure: a conflict", &otherWon, unlessSucceeded, false, job.Job{}, job.ErrConflict},
		{"running, RecordFailure: failed is written", &run, unlessSucceeded, true, unlessSucceeded.Apply(run), nil},
		{"failed, RecordFailure again: unwritten", &done, unlessSucceeded, false, done, nil},
		{"absent, RecordFailure creates", nil, unlessSucceeded, true, job.Job{ID: "j", ExecutionARN: "arn", Status: job.StatusFailed,
			Error: "E", Cause: "C", CreatedAt: failed.At, UpdatedAt: failed.At}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, write, err := job.ResolveFinish(tc.existing, tc.outcome)
			assert.ErrorIs(t, err, tc.wantErr)
			assert.Equal(t, tc.wantWrite, write)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestOutcomeApplyKeepsCreation(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	j := job.NewJob("j", "arn", []byte(`{"records":1}`), at)
	got := job.Outcome{JobID: "j", ExecutionARN: "arn", Status: job.StatusAborted, At: at.Add(time.Hour)}.Apply(j)
	assert.Equal(t, at, got.CreatedAt)
	assert.Equal(t, at.Add(time.Hour), got.UpdatedAt)
	assert.Equal(t, job.StatusAborted, got.Status)
	assert.JSONEq(t, `{"records":1}`, string(got.Request))
}
