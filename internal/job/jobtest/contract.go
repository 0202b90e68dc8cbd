package jobtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/job"
)

// T0 is the creation time used by the contract's cases.
var T0 = time.Date(2026, time.March, 4, 5, 6, 7, 123456789, time.UTC)

const (
	arnA = "arn:aws:states:us-east-1:123456789012:execution:stepjobs-dev:job-1"
	arnB = "arn:aws:states:us-east-1:123456789012:execution:stepjobs-dev:job-1-other"
)

func running(id, arn string) job.Job {
	return job.NewJob(id, arn, json.RawMessage(`{"records":10,"seed":42,"nested":{"a":[1,"x",null]}}`), T0)
}

func success(id, arn string, at time.Time) job.Outcome {
	return job.Outcome{JobID: id, ExecutionARN: arn, Status: job.StatusSucceeded, At: at,
		Result: &job.Result{Bucket: "results-bucket", Key: job.ResultKey(id), Records: 10, Bytes: 2048}}
}

func failure(id, arn string, at time.Time) job.Outcome {
	return job.Outcome{JobID: id, ExecutionARN: arn, Status: job.StatusFailed, At: at,
		Error: "InvalidJobInput", Cause: `{"errorMessage":"invalid job input: records must be between 1 and 100000, got -1","errorType":"InvalidJobInput"}`}
}

// contractCase runs against a fresh store; id is unique per case.
type contractCase struct {
	name string
	run  func(t *testing.T, ctx context.Context, s job.Store, id string)
}

var cases = []contractCase{
	{"create stores a running job", func(t *testing.T, ctx context.Context, s job.Store, id string) {
		j := running(id, arnA)
		got := create(t, ctx, s, j)
		assertJob(t, j, got)
		assertStored(t, ctx, s, id, j)
	}},
	{"create without request", func(t *testing.T, ctx context.Context, s job.Store, id string) {
		j := job.NewJob(id, arnA, nil, T0)
		create(t, ctx, s, j)
		assertStored(t, ctx, s, id, j)
	}},
	{"create retried by the same execution returns the first record", func(t *testing.T, ctx context.Context, s job.Store, id string) {
		first := running(id, arnA)
		create(t, ctx, s, first)
		retry := job.NewJob(id, arnA, json.RawMessage(`{"other":true}`), T0.Add(time.Minute))
		got := create(t, ctx, s, retry)
		assertJob(t, first, got)
		assertStored(t, ctx, s, id, first)
	}},
	{"create by another execution is a conflict", func(t *testing.T, ctx context.Context, s job.Store, id string) {
		first := running(id, arnA)
		create(t, ctx, s, first)
		_, err := s.Create(ctx, running(id, arnB))
		require.ErrorIs(t, err, job.ErrConflict)
		var conflict *job.JobConflict
		require.ErrorAs(t, err, &conflict)
		assert.Equal(t, id, conflict.JobID)
		assert.Contains(t, conflict.Reason, arnA)
		assertStored(t, ctx, s, id, first)
	}},
	{"create rejects invalid records", func(t *testing.T, ctx context.Context, s job.Store, id string) {
		for name, j := range map[string]job.Job{
			"no id":          job.NewJob("", arnA, nil, T0),
			"no arn":         job.NewJob(id, "", nil, T0),
			"not running":    func() job.Job { j := running(id, arnA); j.Status = job.StatusFailed; return j }(),
			"no time":        job.NewJob(id, arnA, nil, time.Time{}),
			"invalid json":   job.NewJob(id, arnA, json.RawMessage(`{"records":`), T0),
			"unknown status": func() job.Job { j := running(id, arnA); j.Status = "PAUSED"; return j }(),
		} {
			_, err := s.Create(ctx, j)
			var invalid *job.InvalidJobInput
			assert.ErrorAs(t, err, &invalid, name)
		}
		_, err := s.Get(ctx, id)
		assert.ErrorIs(t, err, job.ErrNotFound)
	}},
	{"create after finish never moves the job backwards", func(t *testing.T, ctx context.Context, s job.Store, id string) {
		create(t, ctx, s, running(id, arnA))
		done := finish(t, ctx, s, success(id, arnA, T0.Add(time.Second)))
		got := create(t, ctx, s, running(id, arnA))
		assert.Equal(t, job.StatusSucceeded, got.Status)
		assertStored(t, ctx, s, id, done)
	}},
	{"finish running to succeeded keeps request and creation time", func(t *testing.T, ctx context.Context, s job.Store, id string) {
		j := running(id, arnA)
		create(t, ctx, s, j)
		o := success(id, arnA, T0.Add(90*time.Second))
		got := finish(t, ctx, s, o)
		want := j
		want.Status, want.Result, want.UpdatedAt = job.StatusSucceeded, o.Result, o.At
		want.Progress = &job.Progress{Generated: o.Result.Records, Total: o.Result.Records, UpdatedAt: o.At}
		assertJob(t, want, got)
		assertStored(t, ctx, s, id, want)
	}},
	{"finish running to each failure status", func(t *testing.T, ctx context.Context, s job.Store, id string) {
		for _, status := range []job.Status{job.StatusFailed, job.StatusAborted, job.StatusTimedOut} {
			jobID := id + "-" + string(status)
			create(t, ctx, s, running(jobID, arnA))
			o := failure(jobID, arnA, T0.Add(time.Second))
			o.Status = status
			got, err := s.Finish(ctx, o)
			require.NoError(t, err, status)
			assert.Equal(t, status, got.Status)
			assert.Equal(t, o.Error, got.Error)
			assert.Equal(t, o.Cause, got.Cause)
			assert.Nil(t, got.Result)
		}
	}},
	{"finish repeated is success and keeps the first write", func(t *testing.T, ctx context.Context, s job.Store, id string) {
		create(t, ctx, s, running(id, arnA))
		first := finish(t, ctx, s, success(id, arnA, T0.Add(time.Second)))
		again := success(id, arnA, T0.Add(time.Hour))
		again.Result.Bytes = 1
		got := finish(t, ctx, s, again)
		assertJob(t, first, got)
		assertStored(t, ctx, s, id, first)
	}},
	{"a terminal status is never replaced", func(t *testing.T, ctx context.Context, s job.Store, id string) {
		for _, tc := range []struct{ first, then job.Outcome }{
			{success(id+"-s", arnA, T0.Add(time.Second)), failure(id+"-s", arnA, T0.Add(2*time.Second))},
			{failure(id+"-f", arnA, T0.Add(time.Second)), success(id+"-f", arnA, T0.Add(2*time.Second))},
		} {
			create(t, ctx, s, running(tc.first.JobID, arnA))
			done := finish(t, ctx, s, tc.first)
			_, err := s.Finish(ctx, tc.then)
			require.ErrorIs(t, err, job.ErrConflict)
			assert.Contains(t, err.Error(), "is final")
			assertStored(t, ctx, s, tc.first.JobID, done)
		}
	}},
	{"a stop or timeout after a success: the result stays, unwritten, and no error", func(t *testing.T, ctx context.Context, s job.Store, id string) {
		for _, status := range []job.Status{job.StatusAborted, job.StatusTimedOut} {
			jobID := id + "-" + string(status)
			create(t, ctx, s, running(jobID, arnA))
			done := finish(t, ctx, s, success(jobID, arnA, T0.Add(time.Second)))
			o := failure(jobID, arnA, T0.Add(time.Minute))
			o.Status = status
			got, err := s.Finish(ctx, o)
			require.NoError(t, err, status)
			assertJob(t, done, got)
			assertStored(t, ctx, s, jobID, done)
			// Another execution's stop is still a conflict.
			o.ExecutionARN = arnB
			_, err = s.Finish(ctx, o)
			require.ErrorIs(t, err, job.ErrConflict, status)
		}
	}},
	{"RecordFailure after a success: the record is the answer, unwritten", func(t *testing.T, ctx context.Context, s job.Store, id string) {
		create(t, ctx, s, running(id, arnA))
		done := finish(t, ctx, s, success(id, arnA, T0.Add(time.Second)))
		o := failure(id, arnA, T0.Add(2*time.Second))
		o.UnlessSucceeded = true
		got := finish(t, ctx, s, o)
		assertJob(t, done, got)
		assertStored(t, ctx, s, id, done)

		// Without it (the status change rule), the same failure is a conflict.
		_, err := s.Finish(ctx, failure(id, arnA, T0.Add(3*time.Second)))
		require.ErrorIs(t, err, job.ErrConflict)
		// And another execution's success never answers for this one.
		o.ExecutionARN = arnB
		_, err = s.Finish(ctx, o)
		require.ErrorIs(t, err, job.ErrConflict)
		assertStored(t, ctx, s, id, done)
	}},
	{"RecordFailure on a running job writes the failure", func(t *testing.T, ctx context.Context, s job.Store, id string) {
		create(t, ctx, s, running(id, arnA))
		o := failure(id, arnA, T0.Add(time.Second))
		o.UnlessSucceeded = true
		got := finish(t, ctx, s, o)
		assert.Equal(t, job.StatusFailed, got.Status)
		assert.Equal(t, o.Error, got.Error)
		assertStored(t, ctx, s, id, got)
	}},
	{"finish by another execution is a conflict", func(t *testing.T, ctx context.Context, s job.Store, id string) {
		j := running(id, arnA)
		create(t, ctx, s, j)
		_, err := s.Finish(ctx, failure(id, arnB, T0.Add(time.Second)))
		require.ErrorIs(t, err, job.ErrConflict)
		assertStored(t, ctx, s, id, j)
	}},
	{"failure without a record creates it", func(t *testing.T, ctx context.Context, s job.Store, id string) {
		o := failure(id, arnA, T0)
		got := finish(t, ctx, s, o)
		want := job.Job{ID: id, ExecutionARN: arnA, Status: job.StatusFailed,
			Error: o.Error, Cause: o.Cause, CreatedAt: T0, UpdatedAt: T0}
		assertJob(t, want, got)
		assertStored(t, ctx, s, id, want)
		// A late tracking retry finds the failure and does not revive the job.
		again := create(t, ctx, s, running(id, arnA))
		assert.Equal(t, job.StatusFailed, again.Status)
	}},
	{"success without a record is not found", func(t *testing.T, ctx context.Context, s job.Store, id string) {
		_, err := s.Finish(ctx, success(id, arnA, T0))
		require.ErrorIs(t, err, job.ErrNotFound)
		_, err = s.Get(ctx, id)
		require.ErrorIs(t, err, job.ErrNotFound)
	}},
	{"finish rejects invalid outcomes", func(t *testing.T, ctx context.Context, s job.Store, id string) {
		j := running(id, arnA)
		create(t, ctx, s, j)
		noResult := success(id, arnA, T0)
		noResult.Result = nil
		resultOnFailure := failure(id, arnA, T0)
		resultOnFailure.Result = &job.Result{Bucket: "b", Key: "k"}
		toRunning := failure(id, arnA, T0)
		toRunning.Status = job.StatusRunning
		for name, o := range map[string]job.Outcome{
			"success without result": noResult,
			"result on failure":      resultOnFailure,
			"back to running":        toRunning,
			"no execution":           failure(id, "", T0),
			"no time":                failure(id, arnA, time.Time{}),
		} {
			_, err := s.Finish(ctx, o)
			var invalid *job.InvalidJobInput
			assert.ErrorAs(t, err, &invalid, name)
		}
		assertStored(t, ctx, s, id, j)
	}},
	{"get of a missing job is not found", func(t *testing.T, ctx context.Context, s job.Store, id string) {
		_, err := s.Get(ctx, id)
		var notFound *job.JobNotFound
		require.ErrorAs(t, err, &notFound)
		assert.Equal(t, id, notFound.JobID)
	}},
	{"large cause is kept whole", func(t *testing.T, ctx context.Context, s job.Store, id string) {
		o := failure(id, arnA, T0)
		o.Cause = strings.Repeat("é", 16*1024) // Step Functions caps cause at 32,768 characters
		got := finish(t, ctx, s, o)
		assert.Equal(t, o.Cause, got.Cause)
	}},
	{"concurrent creates: one execution wins", func(t *testing.T, ctx context.Context, s job.Store, id string) {
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, errs[i] = s.Create(ctx, running(id, fmt.Sprintf("%s-%d", arnA, i)))
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else {
				assert.ErrorIs(t, err, job.ErrConflict)
			}
		}
		assert.Equal(t, 1, won)
	}},
	{"concurrent finishes: one status wins, repeats of it succeed", func(t *testing.T, ctx context.Context, s job.Store, id string) {
		create(t, ctx, s, running(id, arnA))
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				o := success(id, arnA, T0.Add(time.Second))
				if i%2 == 1 {
					o = failure(id, arnA, T0.Add(time.Second))
				}
				_, errs[i] = s.Finish(ctx, o)
			})
		}
		wg.Wait()
		stored, err := s.Get(ctx, id)
		require.NoError(t, err)
		require.True(t, stored.Status.Terminal())
		for i, err := range errs {
			won := stored.Status == job.StatusSucceeded && i%2 == 0 || stored.Status == job.StatusFailed && i%2 == 1
			if won {
				assert.NoError(t, err, i)
			} else {
				assert.ErrorIs(t, err, job.ErrConflict, i)
			}
		}
	}},
}

// RunStoreContract runs the contract's cases against stores made by
// newStore. Each case gets a fresh store from newStore and job ids of its own.
func RunStoreContract(t *testing.T, newStore func(t *testing.T) job.Store) {
	t.Helper()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			c.run(t, t.Context(), s, fmt.Sprintf("job-%02d", i))
		})
	}
}

// create creates j in s, which must succeed, and returns the answer.
func create(t *testing.T, ctx context.Context, s job.Store, j job.Job) job.Job {
	t.Helper()
	got, err := s.Create(ctx, j)
	require.NoError(t, err)
	return got
}

// finish finishes o in s, which must succeed, and returns the answer.
func finish(t *testing.T, ctx context.Context, s job.Store, o job.Outcome) job.Job {
	t.Helper()
	got, err := s.Finish(ctx, o)
	require.NoError(t, err)
	return got
}

// assertStored asserts that s holds want under id.
func assertStored(t *testing.T, ctx context.Context, s job.Store, id string, want job.Job) {
	t.Helper()
	stored, err := s.Get(ctx, id)
	require.NoError(t, err)
	assertJob(t, want, stored)
}

// assertJob compares jobs as stored: times by instant, requests as JSON.
func assertJob(t *testing.T, want, got job.Job) {
	t.Helper()
	if len(want.Request) > 0 || len(got.Request) > 0 {
		assert.JSONEq(t, string(want.Request), string(got.Request), "request")
	}
	assert.True(t, want.CreatedAt.Equal(got.CreatedAt), "createdAt: want %v, got %v", want.CreatedAt, got.CreatedAt)
	assert.True(t, want.UpdatedAt.Equal(got.UpdatedAt), "updatedAt: want %v, got %v", want.UpdatedAt, got.UpdatedAt)
	want.Request, got.Request = nil, nil
	want.CreatedAt, got.CreatedAt = time.Time{}, time.Time{}
	want.UpdatedAt, got.UpdatedAt = time.Time{}, time.Time{}
	assert.Equal(t, want, got)
}
