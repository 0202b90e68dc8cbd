package job_test

import (
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
)

// transform applies an EventBridge input transformer the way EventBridge
// does for the simple case the stack uses: each <name> in the template is
// replaced by the JSON of the value at its path (a plain $.a.b path).
func transform(t *testing.T, event []byte, tr struct {
	InputPathsMap map[string]string
	InputTemplate string
}) []byte {
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
// Execution Status Change" (ABORTED, TIMED_OUT) feeds status-update through
// the input transformer in testdata/eventbridge/transformer.json (the one
// serverless.yml is to use). A stopped or timed-out execution runs no Catch,
// so this is the only way its record leaves RUNNING.
func TestExecutionStatusChangeEvent(t *testing.T) {
	dir := filepath.Join("testdata", "eventbridge")
	event, err := os.ReadFile(filepath.Join(dir, "aborted-event.json"))
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(dir, "transformer.json"))
	require.NoError(t, err)
	var tr struct {
		InputPathsMap map[string]string
		InputTemplate string
	}
	require.NoError(t, json.Unmarshal(raw, &tr))

	const id = "0123456789abcdef-key-1"
	const execARN = "arn:aws:states:us-east-1:123456789012:execution:stepjobs-dev-jobs:" + id
	for _, status := range []job.Status{job.StatusAborted, job.StatusTimedOut} {
		t.Run(string(status), func(t *testing.T) {
			ev := []byte(strings.Replace(string(event), `"status": "ABORTED"`, `"status": "`+string(status)+`"`, 1))
			payload := transform(t, ev, tr)
			assert.JSONEq(t, `{"jobId":"`+id+`","executionArn":"`+execARN+`","status":"`+string(status)+`"}`, string(payload))

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

	t.Run("a job that already finished is a conflict, never overwritten", func(t *testing.T) {
		jobs := memstore.NewJobs()
		_, err := jobs.Create(t.Context(), job.NewJob(id, execARN, nil, t0))
		require.NoError(t, err)
		_, err = jobs.Finish(t.Context(), job.Outcome{JobID: id, ExecutionARN: execARN, Status: job.StatusSucceeded, At: t0,
			Result: &job.Result{Bucket: "b", Key: job.ResultKey(id)}})
		require.NoError(t, err)
		h := lambda.NewHandler(job.NewStatusUpdate(jobs, job.WithClock(clock)).Handle)
		_, err = h.Invoke(t.Context(), transform(t, event, tr))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "is final, cannot become ABORTED")
		stored, err := jobs.Get(t.Context(), id)
		require.NoError(t, err)
		assert.Equal(t, job.StatusSucceeded, stored.Status)
	})
}
