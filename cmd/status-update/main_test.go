package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/dynalite"
	"github.com/asyncjobs/stepjobs/internal/dynamo"
	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/job/jobtest"
)

var endpoint string // the dynalite this package's tests share

func TestMain(m *testing.M) { jobtest.Main(m, main, &endpoint) }

// env is a Lambda-like environment pointing the SDK at dynalite.
func env(t *testing.T, table string) map[string]string {
	e := map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": endpoint, "LOG_LEVEL": "debug"}
	if table != "" {
		e["TABLE_NAME"] = table
	}
	return jobtest.LambdaEnv(t, e)
}

func TestFunction(t *testing.T) {
	ctx := t.Context()
	client := dynalite.NewClient(endpoint)
	require.NoError(t, dynalite.CreateJobsTable(ctx, client, "jobs"))
	store := dynamo.New(client, "jobs")
	const arn = "arn:aws:states:us-east-1:123456789012:execution:stepjobs-dev:"
	_, err := store.Create(ctx, job.NewJob("job-1", arn+"job-1", []byte(`{}`), time.Now()))
	require.NoError(t, err)
	fn := jobtest.StartFunction(t, env(t, "jobs"))

	success := `{"jobId":"job-1","executionArn":"` + arn + `job-1","status":"SUCCEEDED",` +
		`"result":{"bucket":"results","key":"results/job-1.json","records":5,"bytes":900}}`
	tests := []struct {
		name       string
		payload    string
		wantOutput string
		wantError  string
	}{
		{name: "record success", payload: success,
			wantOutput: `{"jobId":"job-1","status":"SUCCEEDED","result":{"bucket":"results","key":"results/job-1.json","records":5,"bytes":900}}`},
		{name: "record success retried", payload: success,
			wantOutput: `{"jobId":"job-1","status":"SUCCEEDED","result":{"bucket":"results","key":"results/job-1.json","records":5,"bytes":900}}`},
		{name: "failure after success", payload: `{"jobId":"job-1","executionArn":"` + arn + `job-1","status":"FAILED","error":"E"}`,
			wantError: "JobConflict"},
		{name: "failure of an untracked job", payload: `{"jobId":"job-2","executionArn":"` + arn + `job-2","status":"FAILED","error":"StoreError","cause":"{}"}`,
			wantOutput: `{"jobId":"job-2","status":"FAILED"}`},
		{name: "success without result", payload: `{"jobId":"job-3","executionArn":"` + arn + `job-3","status":"SUCCEEDED"}`,
			wantError: "InvalidJobInput"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := fn.Invoke(ctx, tc.payload)
			require.NoError(t, err)
			if tc.wantError != "" {
				assert.Equal(t, tc.wantError, resp.ErrorType, resp.ErrorMessage)
				return
			}
			require.Empty(t, resp.ErrorType, resp.ErrorMessage)
			assert.JSONEq(t, tc.wantOutput, string(resp.Payload))
		})
	}
	stored, err := store.Get(ctx, "job-2")
	require.NoError(t, err)
	assert.Equal(t, job.StatusFailed, stored.Status)
	assert.Equal(t, "StoreError", stored.Error)
}

func TestMissingConfiguration(t *testing.T) {
	fn := jobtest.StartFunction(t, env(t, ""))
	out, code, err := fn.Wait(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "missing environment variables: TABLE_NAME")
}
