package job_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/memstore"
)

// progressLog records the reports of a BatchSimulation, and advances the
// clock by step at every report so the interval can be tested without time.
type progressLog struct {
	mu      sync.Mutex
	reports []job.Progress
	err     error
}

func (l *progressLog) RecordProgress(_ context.Context, jobID, arn string, p job.Progress) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reports = append(l.reports, p)
	return l.err
}

func (l *progressLog) generated() []int {
	out := make([]int, len(l.reports))
	for i, p := range l.reports {
		out[i] = p.Generated
	}
	return out
}

// tickingClock moves on by step at every reading.
func tickingClock(step time.Duration) func() time.Time {
	var mu sync.Mutex
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(step)
		return now
	}
}

func TestBatchSimulationProgress(t *testing.T) {
	tests := map[string]struct {
		records  int
		interval time.Duration
		tick     time.Duration // how far the clock moves at every reading
		want     []int
	}{
		"every tenth when the interval is shorter": {records: 1000, interval: 0, tick: 0,
			want: []int{100, 200, 300, 400, 500, 600, 700, 800, 900, 1000}},
		"no time passes: none (the final status writes the end)": {records: 1000, interval: time.Second, tick: 0, want: []int{}},
		"slow clock: the tenths bound it": {records: 1000, interval: time.Second, tick: time.Hour,
			want: []int{100, 200, 300, 400, 500, 600, 700, 800, 900, 1000}},
		"a fast job: none":         {records: 100000, interval: time.Hour, tick: time.Millisecond, want: []int{}},
		"one record":               {records: 1, interval: time.Second, tick: 0, want: []int{}},
		"one record, no interval":  {records: 1, interval: 0, tick: 0, want: []int{}},
		"fewer records than steps": {records: 7, interval: 0, tick: 0, want: []int{1, 2, 3, 4, 5, 6, 7}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			log := &progressLog{}
			h := job.NewBatchSimulation(memstore.NewObjects("results"), false, job.WithClock(tickingClock(tc.tick))).
				With(job.WithProgress(log, tc.interval))
			in := job.SimulationInput{JobID: "0123456789abcdef-p", ExecutionARN: "arn:p", Request: []byte(`{"records":` + itoa(tc.records) + `}`)}
			res, err := h.Handle(t.Context(), in)
			require.NoError(t, err)
			assert.Equal(t, tc.records, res.Records)
			assert.Equal(t, tc.want, log.generated())
			for _, p := range log.reports {
				assert.Equal(t, tc.records, p.Total)
				assert.False(t, p.UpdatedAt.IsZero())
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// A progress write that fails is logged; the job still succeeds.
func TestBatchSimulationProgressFailureIsNotFatal(t *testing.T) {
	log := &progressLog{err: errors.New("table busy")}
	h := job.NewBatchSimulation(memstore.NewObjects("results"), false).With(job.WithProgress(log, 0))
	res, err := h.Handle(t.Context(), job.SimulationInput{JobID: "0123456789abcdef-f", Request: []byte(`{"records":20}`)})
	require.NoError(t, err)
	assert.Equal(t, 20, res.Records)
	assert.Len(t, log.reports, 10)
}

func TestProgressPercent(t *testing.T) {
	for _, tc := range []struct {
		p    job.Progress
		want int
	}{
		{job.Progress{Generated: 0, Total: 10}, 0},
		{job.Progress{Generated: 999, Total: 1000}, 99},
		{job.Progress{Generated: 1000, Total: 1000}, 100},
		{job.Progress{Generated: 5, Total: 0}, 0},
	} {
		assert.Equal(t, tc.want, tc.p.Percent(), "%+v", tc.p)
	}
}

func TestExpired(t *testing.T) {
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	assert.False(t, job.Job{}.Expired(at), "a running record never expires")
	j := job.Job{ExpiresAt: at}
	assert.False(t, j.Expired(at.Add(-time.Nanosecond)))
	assert.True(t, j.Expired(at), "expired from its expiry on")
	assert.True(t, j.Expired(at.Add(time.Hour)))
}

// status-update writes the expiry with the final status; the result link
// answers an expired record as a missing one, before the store deletes it.
func TestRecordExpiry(t *testing.T) {
	ctx := t.Context()
	at := time.Date(2026, 12, 6, 10, 0, 0, 500_000_000, time.UTC)
	jobs := memstore.NewJobs()
	_, err := jobs.Create(ctx, job.NewJob(ownedID, ownedARN, nil, at))
	require.NoError(t, err)
	su := job.NewStatusUpdate(jobs, job.WithClock(func() time.Time { return at }), job.WithRecordTTL(48*time.Hour))
	_, err = su.Handle(ctx, job.StatusInput{JobID: ownedID, ExecutionARN: ownedARN, Status: job.StatusSucceeded,
		Result: &job.Result{Bucket: "b", Key: "results/" + ownedID + ".json", Records: 1, Bytes: 10}})
	require.NoError(t, err)
	stored, err := jobs.Get(ctx, ownedID)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC), stored.ExpiresAt, "48h after the final status, whole seconds")

	for name, tc := range map[string]struct {
		now  time.Time
		want error
	}{
		"before expiry": {stored.ExpiresAt.Add(-time.Second), nil},
		"at expiry":     {stored.ExpiresAt, job.ErrNotFound},
	} {
		t.Run(name, func(t *testing.T) {
			link, err := job.NewResultLink(jobs, &fakePresigner{}, time.Minute, job.WithClock(func() time.Time { return tc.now }))
			require.NoError(t, err)
			_, err = link.Link(ctx, ownedID, owner)
			if tc.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tc.want)
		})
	}

	never := job.NewStatusUpdate(jobs, job.WithRecordTTL(0))
	_, err = jobs.Create(ctx, job.NewJob(ownedID+"x", ownedARN+"x", nil, at))
	require.NoError(t, err)
	_, err = never.Handle(ctx, job.StatusInput{JobID: ownedID + "x", ExecutionARN: ownedARN + "x", Status: job.StatusFailed})
	require.NoError(t, err)
	kept, err := jobs.Get(ctx, ownedID+"x")
	require.NoError(t, err)
	assert.True(t, kept.ExpiresAt.IsZero(), "RECORD_TTL_DAYS=0: the record never expires")
}
