package job_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/job/jobtest"
	"github.com/asyncjobs/stepjobs/internal/memstore"
)

const (
	jobID = "job-1"
	arn   = "arn:aws:states:us-east-1:123456789012:execution:stepjobs-dev:job-1"
)

var t0 = time.Date(2026, time.November, 23, 21, 0, 0, 0, time.UTC)

func clock() time.Time { return t0 }

// faultyJobs is a job store whose calls fail with the given errors.
type faultyJobs struct {
	job.Store
	createErr, finishErr error
}

func (s faultyJobs) Create(ctx context.Context, j job.Job) (job.Job, error) {
	if s.createErr != nil {
		return job.Job{}, s.createErr
	}
	return s.Store.Create(ctx, j)
}

func (s faultyJobs) Finish(ctx context.Context, o job.Outcome) (job.Job, error) {
	if s.finishErr != nil {
		return job.Job{}, s.finishErr
	}
	return s.Store.Finish(ctx, o)
}

// faultyResults fails every put with err.
type faultyResults struct{ err error }

func (f faultyResults) PutResult(context.Context, string, []byte) (string, error) { return "", f.err }

var (
	errThrottled = &job.TransientError{Op: "dynamo: put job", Err: errors.New("ProvisionedThroughputExceededException")}
	errDenied    = errors.New("AccessDeniedException: not allowed")
)

// logBuffer collects a handler's JSON log lines.
type logBuffer struct{ bytes.Buffer }

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(&b.Buffer, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// lines returns the log lines, each checked to carry the job's identity.
func (b *logBuffer) lines(t *testing.T, wantARN string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(&b.Buffer)
	for sc.Scan() {
		var line map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line), sc.Text())
		assert.Equal(t, jobID, line["jobId"], sc.Text())
		assert.Equal(t, wantARN, line["executionArn"], sc.Text())
		out = append(out, line)
	}
	require.NotEmpty(t, out, "every invocation logs")
	return out
}

// errorType is the name Lambda gives a returned error (aws-lambda-go
// lambda/errors.go): the outermost type's name.
func errorType(err error) string {
	var name string
	switch err.(type) {
	case *job.InvalidJobInput:
		name = "InvalidJobInput"
	case *job.TransientError:
		name = "TransientError"
	case *job.SimulatedFailure:
		name = "SimulatedFailure"
	case *job.JobConflict:
		name = "JobConflict"
	case *job.JobNotFound:
		name = "JobNotFound"
	case *job.StoreError:
		name = "StoreError"
	}
	return name
}

func TestTracking(t *testing.T) {
	request := json.RawMessage(`{"records":10,"seed":1}`)
	tests := []struct {
		name      string
		store     func(s *memstore.Jobs) job.Store
		seed      *job.Job // stored before the call
		in        job.TrackingInput
		want      job.TrackingOutput
		wantErr   string // error type name
		wantInMsg string
	}{
		{name: "creates the running job",
			in:   job.TrackingInput{JobID: jobID, ExecutionARN: arn, Request: request},
			want: job.TrackingOutput{JobID: jobID, Status: job.StatusRunning, CreatedAt: t0}},
		{name: "a retry finds its own record",
			seed: ptr(job.NewJob(jobID, arn, request, t0.Add(-time.Minute))),
			in:   job.TrackingInput{JobID: jobID, ExecutionARN: arn, Request: request},
			want: job.TrackingOutput{JobID: jobID, Status: job.StatusRunning, CreatedAt: t0.Add(-time.Minute)}},
		{name: "a late retry does not revive a failed job",
			seed: ptr(job.Outcome{JobID: jobID, ExecutionARN: arn, Status: job.StatusFailed, At: t0}.Apply(job.Job{})),
			in:   job.TrackingInput{JobID: jobID, ExecutionARN: arn},
			want: job.TrackingOutput{JobID: jobID, Status: job.StatusFailed, CreatedAt: t0}},
		{name: "another execution's record is a conflict",
			seed:    ptr(job.NewJob(jobID, arn+"-old", nil, t0)),
			in:      job.TrackingInput{JobID: jobID, ExecutionARN: arn},
			wantErr: "JobConflict", wantInMsg: "record belongs to execution"},
		{name: "no job id",
			in:      job.TrackingInput{ExecutionARN: arn},
			wantErr: "InvalidJobInput", wantInMsg: "jobId is required"},
		{name: "no execution ARN",
			in:      job.TrackingInput{JobID: jobID},
			wantErr: "InvalidJobInput", wantInMsg: "executionArn is required"},
		{name: "throttled store is transient",
			store:   func(s *memstore.Jobs) job.Store { return faultyJobs{Store: s, createErr: errThrottled} },
			in:      job.TrackingInput{JobID: jobID, ExecutionARN: arn},
			wantErr: "TransientError", wantInMsg: "tracking: create job: dynamo: put job"},
		{name: "denied store is a store error",
			store:   func(s *memstore.Jobs) job.Store { return faultyJobs{Store: s, createErr: errDenied} },
			in:      job.TrackingInput{JobID: jobID, ExecutionARN: arn},
			wantErr: "StoreError", wantInMsg: "AccessDeniedException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem, store := jobStore(t, tc.seed, tc.store)
			var logs logBuffer
			h := job.NewTracking(store, job.WithClock(clock), job.WithLogger(logs.logger()))
			got, err := h.Handle(t.Context(), tc.in)
			var lines []map[string]any
			if tc.in.JobID == jobID {
				lines = logs.lines(t, tc.in.ExecutionARN)
			}
			if tc.wantErr != "" {
				if lines != nil {
					assertFailureLogged(t, lines, tc.wantErr)
				}
				assertHandlerError(t, err, tc.wantErr, tc.wantInMsg)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			stored, err := mem.Get(t.Context(), jobID)
			require.NoError(t, err)
			assert.Equal(t, tc.want.Status, stored.Status)
			if tc.seed == nil {
				assert.JSONEq(t, string(tc.in.Request), string(stored.Request))
			}
		})
	}
}

func TestStatusUpdate(t *testing.T) {
	result := &job.Result{Bucket: "results", Key: "results/job-1.json", Records: 100, Bytes: 17_000}
	running := job.NewJob(jobID, arn, json.RawMessage(`{}`), t0.Add(-time.Minute))
	succeeded := job.Outcome{JobID: jobID, ExecutionARN: arn, Status: job.StatusSucceeded, Result: result, At: t0.Add(-time.Second)}.Apply(running)
	otherSucceeded := succeeded
	otherSucceeded.ExecutionARN = arn + "-earlier"
	tests := []struct {
		name       string
		store      func(s *memstore.Jobs) job.Store
		seed       *job.Job
		in         job.StatusInput
		want       job.StatusOutput
		wantStored job.Status
		// unchanged: the record is the seed as it was (nothing written).
		unchanged bool
		wantErr   string
		wantInMsg string
	}{
		{name: "success with result",
			seed:       &running,
			in:         job.StatusInput{JobID: jobID, ExecutionARN: arn, Status: job.StatusSucceeded, Result: result},
			want:       job.StatusOutput{JobID: jobID, Status: job.StatusSucceeded, Result: result},
			wantStored: job.StatusSucceeded},
		{name: "success repeated",
			seed:       &succeeded,
			in:         job.StatusInput{JobID: jobID, ExecutionARN: arn, Status: job.StatusSucceeded, Result: result},
			want:       job.StatusOutput{JobID: jobID, Status: job.StatusSucceeded, Result: result},
			wantStored: job.StatusSucceeded},
		{name: "failure",
			seed:       &running,
			in:         job.StatusInput{JobID: jobID, ExecutionARN: arn, Status: job.StatusFailed, Error: "SimulatedFailure", Cause: "{}"},
			want:       job.StatusOutput{JobID: jobID, Status: job.StatusFailed},
			wantStored: job.StatusFailed},
		{name: "failure when tracking itself failed creates the record",
			in:         job.StatusInput{JobID: jobID, ExecutionARN: arn, Status: job.StatusFailed, Error: "StoreError", Cause: "{}"},
			want:       job.StatusOutput{JobID: jobID, Status: job.StatusFailed},
			wantStored: job.StatusFailed},
		{name: "aborted",
			seed:       &running,
			in:         job.StatusInput{JobID: jobID, ExecutionARN: arn, Status: job.StatusAborted},
			want:       job.StatusOutput{JobID: jobID, Status: job.StatusAborted},
			wantStored: job.StatusAborted},
		{name: "failure after success is a conflict",
			seed:    &succeeded,
			in:      job.StatusInput{JobID: jobID, ExecutionARN: arn, Status: job.StatusFailed, Error: "E"},
			wantErr: "JobConflict", wantInMsg: "status SUCCEEDED is final"},
		{name: "RecordFailure after RecordSuccess wrote: the success is the answer, nothing written",
			seed: &succeeded,
			in: job.StatusInput{JobID: jobID, ExecutionARN: arn, Status: job.StatusFailed, Source: job.SourceRecordFailure,
				Error: "States.Timeout", Cause: "Task timed out"},
			want:       job.StatusOutput{JobID: jobID, Status: job.StatusSucceeded, Result: result},
			wantStored: job.StatusSucceeded, unchanged: true},
		{name: "RecordFailure on a running job records the failure",
			seed:       &running,
			in:         job.StatusInput{JobID: jobID, ExecutionARN: arn, Status: job.StatusFailed, Source: job.SourceRecordFailure, Error: "SimulatedFailure", Cause: "{}"},
			want:       job.StatusOutput{JobID: jobID, Status: job.StatusFailed},
			wantStored: job.StatusFailed},
		{name: "RecordFailure on another execution's success is a conflict",
			seed:    &otherSucceeded,
			in:      job.StatusInput{JobID: jobID, ExecutionARN: arn, Status: job.StatusFailed, Source: job.SourceRecordFailure, Error: "E"},
			wantErr: "JobConflict", wantInMsg: "record belongs to execution " + arn + "-earlier"},
		{name: "RecordFailure's rule is for failures only",
			seed:    &running,
			in:      job.StatusInput{JobID: jobID, ExecutionARN: arn, Status: job.StatusSucceeded, Result: result, Source: job.SourceRecordFailure},
			wantErr: "InvalidJobInput", wantInMsg: "cannot give way"},
		{name: "unknown source",
			seed:    &succeeded,
			in:      job.StatusInput{JobID: jobID, ExecutionARN: arn, Status: job.StatusFailed, Source: "statusChangeRule"},
			wantErr: "InvalidJobInput", wantInMsg: `source "statusChangeRule"`},
		{name: "success without a record",
			in:      job.StatusInput{JobID: jobID, ExecutionARN: arn, Status: job.StatusSucceeded, Result: result},
			wantErr: "JobNotFound", wantInMsg: "job job-1 not found"},
		{name: "back to running",
			seed:    &running,
			in:      job.StatusInput{JobID: jobID, ExecutionARN: arn, Status: job.StatusRunning},
			wantErr: "InvalidJobInput", wantInMsg: `got "RUNNING"`},
		{name: "unknown status",
			in:      job.StatusInput{JobID: jobID, ExecutionARN: arn, Status: "DONE"},
			wantErr: "InvalidJobInput", wantInMsg: `got "DONE"`},
		{name: "success without result",
			seed:    &running,
			in:      job.StatusInput{JobID: jobID, ExecutionARN: arn, Status: job.StatusSucceeded},
			wantErr: "InvalidJobInput", wantInMsg: "result is required"},
		{name: "result with failure",
			seed:    &running,
			in:      job.StatusInput{JobID: jobID, ExecutionARN: arn, Status: job.StatusFailed, Result: result},
			wantErr: "InvalidJobInput", wantInMsg: "only allowed with status SUCCEEDED"},
		{name: "throttled store is transient",
			store:   func(s *memstore.Jobs) job.Store { return faultyJobs{Store: s, finishErr: errThrottled} },
			in:      job.StatusInput{JobID: jobID, ExecutionARN: arn, Status: job.StatusFailed},
			wantErr: "TransientError", wantInMsg: "status-update: finish job"},
		{name: "denied store is a store error",
			store:   func(s *memstore.Jobs) job.Store { return faultyJobs{Store: s, finishErr: errDenied} },
			in:      job.StatusInput{JobID: jobID, ExecutionARN: arn, Status: job.StatusFailed},
			wantErr: "StoreError", wantInMsg: "AccessDenied"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem, store := jobStore(t, tc.seed, tc.store)
			var logs logBuffer
			h := job.NewStatusUpdate(store, job.WithClock(clock), job.WithLogger(logs.logger()))
			got, err := h.Handle(t.Context(), tc.in)
			lines := logs.lines(t, arn)
			if tc.wantErr != "" {
				assertFailureLogged(t, lines, tc.wantErr)
				assertHandlerError(t, err, tc.wantErr, tc.wantInMsg)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			stored, err := mem.Get(t.Context(), jobID)
			require.NoError(t, err)
			assert.Equal(t, tc.wantStored, stored.Status)
			if tc.unchanged {
				assert.Equal(t, *tc.seed, stored, "nothing written")
				return
			}
			assert.Equal(t, tc.in.Error, stored.Error)
		})
	}
}

func TestBatchSimulation(t *testing.T) {
	tests := []struct {
		name          string
		results       job.ResultStore // nil: an in-memory store
		allowFailures bool
		in            job.SimulationInput
		wantRecords   int
		wantSeed      int64
		wantErr       string
		wantInMsg     string
	}{
		{name: "defaults", in: job.SimulationInput{JobID: jobID, Request: json.RawMessage(`{}`)},
			wantRecords: job.DefaultRecords, wantSeed: job.SeedFor(jobID)},
		{name: "null request", in: job.SimulationInput{JobID: jobID, Request: json.RawMessage(`null`)},
			wantRecords: job.DefaultRecords, wantSeed: job.SeedFor(jobID)},
		{name: "records and seed", in: job.SimulationInput{JobID: jobID, Request: json.RawMessage(`{"records":250,"seed":-9}`)},
			wantRecords: 250, wantSeed: -9},
		{name: "maximum", in: job.SimulationInput{JobID: jobID, Request: json.RawMessage(`{"records":100000}`)},
			wantRecords: job.MaxRecords, wantSeed: job.SeedFor(jobID)},
		{name: "transient failure passes on the retry", allowFailures: true,
			in:          job.SimulationInput{JobID: jobID, Request: json.RawMessage(`{"simulateFailure":"transient","records":3}`), Attempt: 1},
			wantRecords: 3, wantSeed: job.SeedFor(jobID)},
		{name: "transient failure on the first attempt", allowFailures: true,
			in:      job.SimulationInput{JobID: jobID, Request: json.RawMessage(`{"simulateFailure":"transient"}`)},
			wantErr: "TransientError", wantInMsg: "simulated transient failure on attempt 0"},
		{name: "permanent failure", allowFailures: true,
			in:      job.SimulationInput{JobID: jobID, Request: json.RawMessage(`{"simulateFailure":"permanent"}`), Attempt: 2},
			wantErr: "SimulatedFailure", wantInMsg: "simulated permanent failure of job job-1 (attempt 2)"},
		{name: "failures not allowed",
			in:      job.SimulationInput{JobID: jobID, Request: json.RawMessage(`{"simulateFailure":"permanent"}`)},
			wantErr: "InvalidJobInput", wantInMsg: "simulateFailure is not allowed"},
		{name: "negative records",
			in:      job.SimulationInput{JobID: jobID, Request: json.RawMessage(`{"records":-1}`)},
			wantErr: "InvalidJobInput", wantInMsg: "records must be between 1 and 100000, got -1"},
		{name: "no job id", in: job.SimulationInput{Request: json.RawMessage(`{}`)},
			wantErr: "InvalidJobInput", wantInMsg: "jobId is required"},
		{name: "throttled store", results: faultyResults{err: errThrottled},
			in:      job.SimulationInput{JobID: jobID, Request: json.RawMessage(`{"records":1}`)},
			wantErr: "TransientError", wantInMsg: "batch-simulation: put result"},
		{name: "denied store", results: faultyResults{err: errDenied},
			in:      job.SimulationInput{JobID: jobID, Request: json.RawMessage(`{"records":1}`)},
			wantErr: "StoreError", wantInMsg: "AccessDenied"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := memstore.NewObjects("results")
			var results job.ResultStore = mem
			if tc.results != nil {
				results = tc.results
			}
			var logs logBuffer
			h := job.NewBatchSimulation(results, tc.allowFailures, job.WithClock(clock), job.WithLogger(logs.logger()))
			tc.in.ExecutionARN = arn
			got, err := h.Handle(t.Context(), tc.in)
			var lines []map[string]any
			if tc.in.JobID != "" {
				lines = logs.lines(t, arn)
				for _, line := range lines {
					assert.Equal(t, float64(tc.in.Attempt), line["attempt"])
				}
			}
			if tc.wantErr != "" {
				if lines != nil {
					assertFailureLogged(t, lines, tc.wantErr)
				}
				assertHandlerError(t, err, tc.wantErr, tc.wantInMsg)
				assert.Zero(t, mem.Len(), "nothing is written on failure")
				return
			}
			require.NoError(t, err)
			body, ok := mem.Object("results/job-1.json")
			require.True(t, ok)
			assert.Equal(t, job.Result{Bucket: "results", Key: "results/job-1.json", Records: tc.wantRecords, Bytes: int64(len(body))}, got)
			doc := jobtest.DecodeResult(t, body)
			assert.Equal(t, jobID, doc.JobID)
			assert.Equal(t, tc.wantSeed, doc.Seed)
			assert.Equal(t, tc.wantRecords, doc.Records)
			assert.Len(t, doc.Observations, tc.wantRecords)
		})
	}
}

// A retried attempt writes the same bytes, with or without a seed.
func TestBatchSimulationIsDeterministic(t *testing.T) {
	for _, req := range []string{`{"records":500}`, `{"records":500,"seed":3}`} {
		a, b := memstore.NewObjects("r"), memstore.NewObjects("r")
		in := job.SimulationInput{JobID: jobID, Request: json.RawMessage(req)}
		_, err := job.NewBatchSimulation(a, false).Handle(t.Context(), in)
		require.NoError(t, err)
		in.Attempt = 1
		_, err = job.NewBatchSimulation(b, false).Handle(t.Context(), in)
		require.NoError(t, err)
		bodyA, _ := a.Object(job.ResultKey(jobID))
		bodyB, _ := b.Object(job.ResultKey(jobID))
		assert.Equal(t, bodyA, bodyB, req)
	}
	assert.NotEqual(t, job.SeedFor("a"), job.SeedFor("b"))
}

// Without a logger a handler logs nothing and still works.
func TestHandlersWithoutOptions(t *testing.T) {
	_, err := job.NewTracking(memstore.NewJobs()).Handle(t.Context(), job.TrackingInput{JobID: jobID, ExecutionARN: arn})
	require.NoError(t, err)
}

func TestEncodeResultEscapesJobID(t *testing.T) {
	body := job.EncodeResult(`we"ird\id`, 1, 2)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(body, &doc), string(body))
	assert.Equal(t, `we"ird\id`, doc["jobId"])
	assert.True(t, strings.HasSuffix(string(body), "]}"))
}

// assertFailureLogged checks that the failure was logged once, with the
// error name the state machine will see.
func assertFailureLogged(t *testing.T, lines []map[string]any, errorType string) {
	t.Helper()
	var failures []map[string]any
	for _, l := range lines {
		if l["msg"] == "task failed" {
			failures = append(failures, l)
		}
	}
	require.Len(t, failures, 1)
	assert.Equal(t, errorType, failures[0]["errorType"])
	wantLevel := "ERROR"
	if errorType == "TransientError" {
		wantLevel = "WARN"
	}
	assert.Equal(t, wantLevel, failures[0]["level"])
}

// jobStore returns an in-memory store holding seed, if any, and the store
// the handler gets: that one, or what wrap, if any, makes of it.
func jobStore(t *testing.T, seed *job.Job, wrap func(*memstore.Jobs) job.Store) (*memstore.Jobs, job.Store) {
	t.Helper()
	mem := memstore.NewJobs()
	if seed != nil {
		seedJob(t, mem, *seed)
	}
	if wrap != nil {
		return mem, wrap(mem)
	}
	return mem, mem
}

// assertHandlerError asserts that err is a handler's error of the type
// wantType, its message containing wantInMsg.
func assertHandlerError(t *testing.T, err error, wantType, wantInMsg string) {
	t.Helper()
	require.Error(t, err)
	assert.Equal(t, wantType, errorType(err), "%T: %v", err, err)
	assert.Contains(t, err.Error(), wantInMsg)
}

func seedJob(t *testing.T, s *memstore.Jobs, j job.Job) {
	t.Helper()
	if j.Status == job.StatusRunning {
		_, err := s.Create(t.Context(), j)
		require.NoError(t, err)
		return
	}
	if j.CreatedAt.IsZero() {
		j.CreatedAt = j.UpdatedAt
	}
	_, err := s.Create(t.Context(), job.NewJob(j.ID, j.ExecutionARN, j.Request, j.CreatedAt))
	require.NoError(t, err)
	_, err = s.Finish(t.Context(), job.Outcome{JobID: j.ID, ExecutionARN: j.ExecutionARN, Status: j.Status,
		Result: j.Result, Error: j.Error, Cause: j.Cause, At: j.UpdatedAt})
	require.NoError(t, err)
}

func ptr[T any](v T) *T { return &v }
