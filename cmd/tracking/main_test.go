package main

import (
	"encoding/json"
	"testing"

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
	fn := jobtest.StartFunction(t, env(t, "jobs"))

	const arn = "arn:aws:states:us-east-1:123456789012:execution:stepjobs-dev:job-1"
	tests := []struct {
		name      string
		payload   string
		wantError string
	}{
		{name: "track", payload: `{"jobId":"job-1","executionArn":"` + arn + `","request":{"records":5}}`},
		{name: "retried", payload: `{"jobId":"job-1","executionArn":"` + arn + `","request":{"records":5}}`},
		{name: "another execution", payload: `{"jobId":"job-1","executionArn":"` + arn + `-2"}`, wantError: "JobConflict"},
		{name: "no execution ARN", payload: `{"jobId":"job-2"}`, wantError: "InvalidJobInput"},
	}
	var createdAt string
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := fn.Invoke(ctx, tc.payload)
			require.NoError(t, err)
			if tc.wantError != "" {
				assert.Equal(t, tc.wantError, resp.ErrorType, resp.ErrorMessage)
				assert.Nil(t, resp.Payload)
				return
			}
			require.Empty(t, resp.ErrorType, resp.ErrorMessage)
			var out job.TrackingOutput
			require.NoError(t, json.Unmarshal(resp.Payload, &out))
			assert.Equal(t, "job-1", out.JobID)
			assert.Equal(t, job.StatusRunning, out.Status)
			if createdAt == "" {
				createdAt = out.CreatedAt.String()
			}
			assert.Equal(t, createdAt, out.CreatedAt.String(), "a retry returns the first record")
		})
	}
	stored, err := dynamo.New(client, "jobs").Get(ctx, "job-1")
	require.NoError(t, err)
	assert.Equal(t, arn, stored.ExecutionARN)
	assert.JSONEq(t, `{"records":5}`, string(stored.Request))
}

func TestMissingConfiguration(t *testing.T) {
	fn := jobtest.StartFunction(t, env(t, ""))
	out, code, err := fn.Wait(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "missing environment variables: TABLE_NAME")
}
