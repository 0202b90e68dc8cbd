package memstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/job/jobtest"
	"github.com/asyncjobs/stepjobs/internal/memstore"
)

func TestJobsContract(t *testing.T) {
	jobtest.RunStoreContract(t, func(*testing.T) job.Store { return memstore.NewJobs() })
}

func TestJobsZeroValueIsUsable(t *testing.T) {
	var s memstore.Jobs
	_, err := s.Finish(t.Context(), job.Outcome{JobID: "j", ExecutionARN: "arn", Status: job.StatusFailed, At: jobtest.T0})
	require.NoError(t, err)
	got, err := s.Get(t.Context(), "j")
	require.NoError(t, err)
	assert.Equal(t, job.StatusFailed, got.Status)
}

func TestJobsReturnsCopies(t *testing.T) {
	s := memstore.NewJobs()
	j := job.NewJob("j", "arn", []byte(`{"a":1}`), jobtest.T0)
	got, err := s.Create(t.Context(), j)
	require.NoError(t, err)
	got.Request[0] = 'X'
	j.Request[1] = 'X'
	stored, err := s.Get(t.Context(), "j")
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":1}`, string(stored.Request))
}

func TestJobsHonoursCancelledContext(t *testing.T) {
	s := memstore.NewJobs()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.Create(ctx, job.NewJob("j", "arn", nil, jobtest.T0))
	assert.ErrorIs(t, err, context.Canceled)
	_, err = s.Get(ctx, "j")
	assert.ErrorIs(t, err, context.Canceled)
	_, err = memstore.NewObjects("b").PutResult(ctx, "k", nil)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestObjects(t *testing.T) {
	s := memstore.NewObjects("bucket")
	body := []byte(`{"ok":true}`)
	bucket, err := s.PutResult(t.Context(), "results/j.json", body)
	require.NoError(t, err)
	assert.Equal(t, "bucket", bucket)
	body[0] = 'X' // the store keeps its own copy
	got, ok := s.Object("results/j.json")
	require.True(t, ok)
	assert.JSONEq(t, `{"ok":true}`, string(got))
	_, ok = s.Object("missing")
	assert.False(t, ok)
	assert.Equal(t, 1, s.Len())
}
