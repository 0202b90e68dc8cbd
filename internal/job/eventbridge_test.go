package job_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/memstore"
	"github.com/asyncjobs/stepjobs/internal/metrics"
)

// transformer is an EventBridge target's input transformer.
type transformer struct {
	InputPathsMap map[string]string
	InputTemplate string
}

// recordedEvent reads an event recorded under testdata/eventbridge and the
// rule's input transformer.
func recordedEvent(t *testing.T, name string) ([]byte, transformer) {
	t.Helper()
	dir := filepath.Join("testdata", "eventbridge")
	event, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(dir, "transformer.json"))
	require.NoError(t, err)
	var tr transformer
	require.NoError(t, json.Unmarshal(raw, &tr))
	return event, tr
}

// transform applies an EventBridge input transformer the way EventBridge
// does for the simple case the stack uses: each <name> in the template is
// replaced by the JSON of the value at its path (a plain $.a.b path).
func transform(t *testing.T, event []byte, tr transformer) []byte {
	t.Helper()
	var ev map[string]any
	require.NoError(t, json.Unmarshal(event, &ev))
	out := regexp.MustCompile(`<([A-Za-z0-9_]+)>`).ReplaceAllStringFunc(tr.InputTemplate, func(m string) string {
		path, ok := tr.InputPathsMap[strings.Trim(m, "<>")]
		require.True(t, ok, "placeholder %s has no path", m)
		var v any = ev
		for _, key := range strings.Split(strings.TrimPrefix(path, "$."), ".") {
			obj, ok := v.(map[string]any)
			require.True(t, ok, "path %s", path)
			v = obj[key]
		}
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return string(b)
	})
	return []byte(out)
}

// TestExecutionStatusChangeEvent: the EventBridge rule on "Step Functions
// Execution Status Change" (FAILED, ABORTED, TIMED_OUT) feeds status-update
// through the input transformer in testdata/eventbridge/transformer.json (the
// one serverless.yml uses; test/stack_test.go applies serverless.yml's own). A
// stopped or timed-out execution runs no Catch, so this is the only way its
// record leaves RUNNING; a FAILED one gets here whether or not RecordFailure
// managed to write.
func TestExecutionStatusChangeEvent(t *testing.T) {
	event, tr := recordedEvent(t, "aborted-event.json")

	const id = "0123456789abcdef-key-1"
	const execARN = "arn:aws:states:us-east-1:123456789012:execution:stepjobs-dev-jobs:" + id
	for _, status := range []job.Status{job.StatusAborted, job.StatusTimedOut} {
		t.Run(string(status), func(t *testing.T) {
			ev := []byte(strings.Replace(string(event), `"status": "ABORTED"`, `"status": "`+string(status)+`"`, 1))
			payload := transform(t, ev, tr)
			assert.JSONEq(t, `{"jobId":"`+id+`","executionArn":"`+execARN+`","status":"`+string(status)+`","error":null,"cause":null}`, string(payload))

			jobs := memstore.NewJobs()
			_, err := jobs.Create(t.Context(), job.NewJob(id, execARN, json.RawMessage(`{"records":10}`), t0))
			require.NoError(t, err)
			h := lambda.NewHandler(job.NewStatusUpdate(jobs, job.WithClock(func() time.Time { return t0.Add(5 * time.Second) })).Handle)
			out, err := h.Invoke(t.Context(), payload)
			require.NoError(t, err)
			assert.JSONEq(t, `{"jobId":"`+id+`","status":"`+string(status)+`"}`, string(out))
			stored, err := jobs.Get(t.Context(), id)
			require.NoError(t, err)
			assert.Equal(t, status, stored.Status)

			// EventBridge delivers at least once: a repeat is success.
			_, err = h.Invoke(t.Context(), payload)
			require.NoError(t, err)
		})
	}

	t.Run("stopped before tracking: the record is created", func(t *testing.T) {
		jobs := memstore.NewJobs()
		h := lambda.NewHandler(job.NewStatusUpdate(jobs, job.WithClock(clock)).Handle)
		_, err := h.Invoke(t.Context(), transform(t, event, tr))
		require.NoError(t, err)
		stored, err := jobs.Get(t.Context(), id)
		require.NoError(t, err)
		assert.Equal(t, job.StatusAborted, stored.Status)
	})

	// Stopped after RecordSuccess wrote (its answer lost, or slower than
	// the stop): the result was recorded and stays; the rule's delivery is
	// answered, so nothing waits in the dead-letter queue (issue 12).
	t.Run("a job that already succeeded keeps its result, and the stop is no error", func(t *testing.T) {
		jobs := memstore.NewJobs()
		_, err := jobs.Create(t.Context(), job.NewJob(id, execARN, nil, t0))
		require.NoError(t, err)
		result := &job.Result{Bucket: "b", Key: job.ResultKey(id)}
		_, err = jobs.Finish(t.Context(), job.Outcome{JobID: id, ExecutionARN: execARN, Status: job.StatusSucceeded, At: t0, Result: result})
		require.NoError(t, err)
		h := lambda.NewHandler(job.NewStatusUpdate(jobs, job.WithClock(clock)).Handle)
		out, err := h.Invoke(t.Context(), transform(t, event, tr))
		require.NoError(t, err)
		assert.JSONEq(t, `{"jobId":"`+id+`","status":"SUCCEEDED","result":{"bucket":"b","key":"`+job.ResultKey(id)+`","records":0,"bytes":0}}`, string(out))
		stored, err := jobs.Get(t.Context(), id)
		require.NoError(t, err)
		assert.Equal(t, job.StatusSucceeded, stored.Status)
		assert.Equal(t, result, stored.Result)
	})

	t.Run("a job that already failed is a conflict, never overwritten", func(t *testing.T) {
		jobs := memstore.NewJobs()
		_, err := jobs.Create(t.Context(), job.NewJob(id, execARN, nil, t0))
		require.NoError(t, err)
		_, err = jobs.Finish(t.Context(), job.Outcome{JobID: id, ExecutionARN: execARN, Status: job.StatusFailed, Error: "E", At: t0})
		require.NoError(t, err)
		h := lambda.NewHandler(job.NewStatusUpdate(jobs, job.WithClock(clock)).Handle)
		_, err = h.Invoke(t.Context(), transform(t, event, tr))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "is final, cannot become ABORTED")
		stored, err := jobs.Get(t.Context(), id)
		require.NoError(t, err)
		assert.Equal(t, job.StatusFailed, stored.Status)
	})
}

// TestFailedExecutionEvent: the FAILED status change reaches status-update
// whatever RecordFailure did. It must record the execution's error and cause
// when the record is still RUNNING (RecordFailure could not write) or missing
// (not even Track wrote), leave a FAILED record exactly as RecordFailure
// wrote it (same error; a repeat is not a second finish), and never turn a
// SUCCEEDED record into FAILED.
func TestFailedExecutionEvent(t *testing.T) {
	event, tr := recordedEvent(t, "failed-event.json")
	payload := transform(t, event, tr)

	const id = "0123456789abcdef-key-1"
	const execARN = "arn:aws:states:us-east-1:123456789012:execution:stepjobs-dev-jobs:" + id
	const eventCause = `{"errorMessage":"simulated permanent failure of job ` + id + ` (attempt 0)","errorType":"SimulatedFailure"}`
	later := t0.Add(9 * time.Second)
	tests := map[string]struct {
		// setup prepares the record as the state machine left it.
		setup      func(t *testing.T, jobs *memstore.Jobs)
		wantErr    string
		wantStatus job.Status
		wantError  string
		wantCause  string
		// wantUpdated is the record's updatedAt afterwards: the event's write, or the earlier one.
		wantUpdated time.Time
		// wantFinished: this delivery is the write that finished the job (its metrics count).
		wantFinished bool
	}{
		"RecordFailure could not write: RUNNING becomes FAILED with the execution's error": {
			setup: func(t *testing.T, jobs *memstore.Jobs) {
				_, err := jobs.Create(t.Context(), job.NewJob(id, execARN, json.RawMessage(`{"records":10}`), t0))
				require.NoError(t, err)
			},
			wantStatus: job.StatusFailed, wantError: "SimulatedFailure", wantCause: eventCause, wantUpdated: later, wantFinished: true,
		},
		"not even Track wrote: the FAILED record is created": {
			setup:      func(*testing.T, *memstore.Jobs) {},
			wantStatus: job.StatusFailed, wantError: "SimulatedFailure", wantCause: eventCause, wantUpdated: later, wantFinished: true,
		},
		"RecordFailure wrote: the record keeps its error, cause and time": {
			setup: func(t *testing.T, jobs *memstore.Jobs) {
				_, err := jobs.Create(t.Context(), job.NewJob(id, execARN, nil, t0))
				require.NoError(t, err)
				_, err = jobs.Finish(t.Context(), job.Outcome{JobID: id, ExecutionARN: execARN, Status: job.StatusFailed,
					Error: "SimulatedFailure", Cause: "as the Catch saw it", At: t0.Add(time.Second)})
				require.NoError(t, err)
			},
			wantStatus: job.StatusFailed, wantError: "SimulatedFailure", wantCause: "as the Catch saw it", wantUpdated: t0.Add(time.Second),
		},
		"a SUCCEEDED record is never overwritten": {
			setup: func(t *testing.T, jobs *memstore.Jobs) {
				_, err := jobs.Create(t.Context(), job.NewJob(id, execARN, nil, t0))
				require.NoError(t, err)
				_, err = jobs.Finish(t.Context(), job.Outcome{JobID: id, ExecutionARN: execARN, Status: job.StatusSucceeded, At: t0.Add(time.Second),
					Result: &job.Result{Bucket: "b", Key: job.ResultKey(id)}})
				require.NoError(t, err)
			},
			wantErr:    "is final, cannot become FAILED",
			wantStatus: job.StatusSucceeded, wantUpdated: t0.Add(time.Second),
		},
		"another execution's record (same name, earlier run) is a conflict": {
			setup: func(t *testing.T, jobs *memstore.Jobs) {
				_, err := jobs.Create(t.Context(), job.NewJob(id, execARN+"-other", nil, t0))
				require.NoError(t, err)
			},
			wantErr:    "record belongs to execution",
			wantStatus: job.StatusRunning, wantUpdated: t0,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			jobs := memstore.NewJobs()
			tc.setup(t, jobs)
			m := &recordingMetrics{}
			// The first delivery at `later`, the repeat a second after it.
			now := later.Add(-time.Second)
			tick := func() time.Time { now = now.Add(time.Second); return now }
			h := lambda.NewHandler(job.NewStatusUpdate(jobs, job.WithClock(tick), job.WithMetrics(m)).Handle)
			// EventBridge and Lambda deliver at least once: the second delivery must change nothing.
			for range 2 {
				_, err := h.Invoke(t.Context(), payload)
				if tc.wantErr != "" {
					require.Error(t, err)
					assert.Contains(t, err.Error(), tc.wantErr)
				} else {
					require.NoError(t, err)
				}
			}
			stored, err := jobs.Get(t.Context(), id)
			require.NoError(t, err)
			assert.Equal(t, tc.wantStatus, stored.Status)
			assert.Equal(t, tc.wantError, stored.Error)
			assert.Equal(t, tc.wantCause, stored.Cause)
			assert.True(t, tc.wantUpdated.Equal(stored.UpdatedAt), "updatedAt %s, want %s", stored.UpdatedAt, tc.wantUpdated)
			assert.Equal(t, tc.wantFinished, m.count(metrics.JobsFailed) == 1, "JobsFailed counted %d times", m.count(metrics.JobsFailed))
			assert.LessOrEqual(t, m.count(metrics.JobsFailed), 1, "a repeated delivery is not a second failure")
		})
	}
}

// recordingMetrics keeps every metric emitted.
type recordingMetrics struct{ names []string }

func (r *recordingMetrics) Emit(_ context.Context, _ map[string]any, ms ...metrics.Metric) error {
	for _, m := range ms {
		r.names = append(r.names, m.Name)
	}
	return nil
}

func (r *recordingMetrics) count(name string) int {
	n := 0
	for _, got := range r.names {
		if got == name {
			n++
		}
	}
	return n
}
