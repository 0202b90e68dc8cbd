package job_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/memstore"
	"github.com/asyncjobs/stepjobs/internal/metrics"
)

// TestRecordFailureAfterLostSuccess: RecordSuccess wrote SUCCEEDED, then its
// answer was lost (a timeout or an error after the write), so Catch sent the
// execution to RecordFailure. RecordFailure's call answers exactly what
// RecordSuccess would have (the state machine ends SUCCEEDED with it),
// writes nothing and counts no failure; the status change rule's FAILED
// for the same record stays a conflict.
func TestRecordFailureAfterLostSuccess(t *testing.T) {
	event, tr := recordedEvent(t, "failed-event.json")
	const id = "0123456789abcdef-key-1"
	const execARN = "arn:aws:states:us-east-1:123456789012:execution:stepjobs-dev-jobs:" + id
	success := `{"jobId":"` + id + `","executionArn":"` + execARN + `","status":"SUCCEEDED",` +
		`"result":{"bucket":"results","key":"results/` + id + `.json","records":10,"bytes":2048}}`
	// RecordFailure's Parameters after RecordSuccess's Catch (States.Timeout).
	recordFailure := `{"jobId":"` + id + `","executionArn":"` + execARN + `","status":"FAILED","source":"RecordFailure",` +
		`"error":"States.Timeout","cause":"Task timed out after 30.00 seconds"}`

	tests := map[string]struct {
		payload     []byte
		wantErrType string
		wantInMsg   string
	}{
		"RecordFailure: answers the success, writes nothing": {payload: []byte(recordFailure)},
		"the status change rule's FAILED: a conflict": {payload: transform(t, event, tr),
			wantErrType: "JobConflict", wantInMsg: "status SUCCEEDED is final, cannot become FAILED"},
		"RecordFailure of another execution: a conflict": {
			payload:     bytes.ReplaceAll([]byte(recordFailure), []byte(execARN), []byte(execARN+"-2")),
			wantErrType: "JobConflict", wantInMsg: "record belongs to execution"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			jobs := memstore.NewJobs()
			_, err := jobs.Create(t.Context(), job.NewJob(id, execARN, json.RawMessage(`{"records":10}`), t0))
			require.NoError(t, err)
			m := &recordingMetrics{}
			now := t0
			tick := func() time.Time { now = now.Add(time.Second); return now }
			h := lambda.NewHandler(job.NewStatusUpdate(jobs, job.WithClock(tick), job.WithMetrics(m)).Handle)

			want, err := h.Invoke(t.Context(), []byte(success))
			require.NoError(t, err, "RecordSuccess writes; its answer is then lost")
			want = bytes.Clone(want)
			written, err := jobs.Get(t.Context(), id)
			require.NoError(t, err)

			// Lambda delivers at least once, and the state machine may retry: twice.
			for range 2 {
				out, err := h.Invoke(t.Context(), tc.payload)
				if tc.wantErrType != "" {
					var conflict *job.JobConflict
					require.ErrorAs(t, err, &conflict)
					assert.Contains(t, err.Error(), tc.wantInMsg)
					continue
				}
				require.NoError(t, err)
				assert.JSONEq(t, string(want), string(out), "the output a normal success gives")
			}
			stored, err := jobs.Get(t.Context(), id)
			require.NoError(t, err)
			assert.Equal(t, written, stored, "nothing written after RecordSuccess")
			assert.Equal(t, 1, m.count(metrics.JobsSucceeded))
			assert.Zero(t, m.count(metrics.JobsFailed), "no failure counted")
		})
	}
}
