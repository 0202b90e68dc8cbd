package job_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/memstore"
	"github.com/asyncjobs/stepjobs/internal/metrics"
)

// stdout is one function's stdout: slog JSON lines and EMF lines, as
// CloudWatch Logs receives them.
type stdout struct{ bytes.Buffer }

// records parses every line; the log time is dropped (it is the wall clock
// of slog, not the handler's clock).
func (s *stdout) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(&s.Buffer)
	for sc.Scan() {
		var rec map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &rec), sc.Text())
		delete(rec, "time")
		out = append(out, rec)
	}
	return out
}

func invocation(id string) context.Context {
	return lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: id})
}

// TestObservabilityGolden runs a job's lifecycle (and a failure) through
// the three handlers with a Lambda request id in the context, logs and EMF
// on one stdout per function, and compares everything they print with
// testdata/observability.json: every log line carries jobId, executionArn
// and requestId; each handler emits its metrics once.
func TestObservabilityGolden(t *testing.T) {
	jobs := memstore.NewJobs()
	out := map[string]*stdout{"tracking": {}, "batchSimulation": {}, "statusUpdate": {}}
	// Each handler's clock moves 100 ms per reading, so a retry happens
	// later than the first attempt, as it does for real.
	opts := func(name string, start time.Time) []job.Option {
		w := out[name]
		var calls int
		tick := func() time.Time {
			calls++
			return start.Add(time.Duration(calls-1) * 100 * time.Millisecond)
		}
		last := func() time.Time { return start.Add(time.Duration(max(calls-1, 0)) * 100 * time.Millisecond) }
		return []job.Option{
			job.WithClock(tick),
			job.WithLogger(slog.New(slog.NewJSONHandler(w, nil))),
			job.WithMetrics(metrics.New(w, "stepjobs", "stepjobs-dev").WithClock(last)),
		}
	}
	tracking := job.NewTracking(jobs, opts("tracking", t0)...)
	sim := job.NewBatchSimulation(memstore.NewObjects("results"), true, opts("batchSimulation", t0.Add(time.Second))...)
	status := job.NewStatusUpdate(jobs, opts("statusUpdate", t0.Add(2500*time.Millisecond))...)

	const failedID, failedARN = "job-2", "arn:aws:states:us-east-1:123456789012:execution:stepjobs-dev:job-2"
	_, err := tracking.Handle(invocation("req-track"), job.TrackingInput{JobID: jobID, ExecutionARN: arn, Request: json.RawMessage(`{"records":3,"seed":7}`)})
	require.NoError(t, err)
	_, err = tracking.Handle(invocation("req-track-retry"), job.TrackingInput{JobID: jobID, ExecutionARN: arn, Request: json.RawMessage(`{"records":3,"seed":7}`)})
	require.NoError(t, err)
	res, err := sim.Handle(invocation("req-sim"), job.SimulationInput{JobID: jobID, ExecutionARN: arn, Request: json.RawMessage(`{"records":3,"seed":7}`)})
	require.NoError(t, err)
	_, err = status.Handle(invocation("req-done"), job.StatusInput{JobID: jobID, ExecutionARN: arn, Status: job.StatusSucceeded, Result: &res})
	require.NoError(t, err)
	_, err = status.Handle(invocation("req-done-again"), job.StatusInput{JobID: jobID, ExecutionARN: arn, Status: job.StatusSucceeded, Result: &res})
	require.NoError(t, err)
	_, err = sim.Handle(invocation("req-sim-2"), job.SimulationInput{JobID: failedID, ExecutionARN: failedARN, Request: json.RawMessage(`{"records":0}`)})
	require.Error(t, err)
	_, err = status.Handle(invocation("req-fail-2"), job.StatusInput{JobID: failedID, ExecutionARN: failedARN, Status: job.StatusFailed, Error: "InvalidJobInput", Cause: "records"})
	require.NoError(t, err)

	got := map[string][]map[string]any{}
	for name, w := range out {
		got[name] = w.records(t)
		for _, rec := range got[name] {
			assert.Contains(t, []any{jobID, failedID}, rec["jobId"], "%s: %v", name, rec)
			assert.Contains(t, []any{arn, failedARN}, rec["executionArn"], "%s: %v", name, rec)
			assert.NotEmpty(t, rec["requestId"], "%s: %v", name, rec)
		}
	}
	b, err := json.MarshalIndent(got, "", "  ")
	require.NoError(t, err)
	path := filepath.Join("testdata", "observability.json")
	if *update {
		require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(b))
}

// failingMetrics refuses every record.
type failingMetrics struct{}

func (failingMetrics) Emit(context.Context, map[string]any, ...metrics.Metric) error {
	return assert.AnError
}

func TestMetricsFailureIsNotATaskFailure(t *testing.T) {
	var logs logBuffer
	h := job.NewTracking(memstore.NewJobs(), job.WithClock(clock), job.WithLogger(logs.logger()), job.WithMetrics(failingMetrics{}))
	_, err := h.Handle(t.Context(), job.TrackingInput{JobID: jobID, ExecutionARN: arn})
	require.NoError(t, err)
	lines := logs.lines(t, arn)
	assert.Equal(t, "metrics not written", lines[len(lines)-1]["msg"])
	assert.Equal(t, "WARN", lines[len(lines)-1]["level"])
}

func TestNoRequestIDWithoutLambdaContext(t *testing.T) {
	var logs logBuffer
	h := job.NewTracking(memstore.NewJobs(), job.WithClock(clock), job.WithLogger(logs.logger()))
	_, err := h.Handle(t.Context(), job.TrackingInput{JobID: jobID, ExecutionARN: arn})
	require.NoError(t, err)
	for _, l := range logs.lines(t, arn) {
		assert.NotContains(t, l, "requestId")
	}
}
