package test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/job"
)

// weatherResult is the result document batch-simulation writes.
type weatherResult struct {
	JobID        string `json:"jobId"`
	Seed         int64  `json:"seed"`
	Records      int    `json:"records"`
	Observations []struct {
		Station      string   `json:"station"`
		Latitude     *float64 `json:"latitude"`
		Longitude    *float64 `json:"longitude"`
		LocalTime    string   `json:"localTime"`
		Conditions   string   `json:"conditions"`
		TemperatureC *float64 `json:"temperatureC"`
		PressureHPa  *float64 `json:"pressureHPa"`
		HumidityPct  *float64 `json:"humidityPct"`
	} `json:"observations"`
}

func TestE2EHappyPath(t *testing.T) {
	rt := shared(t)
	start := rt.post(t, "/start-execution", []byte(`{"records": 25, "seed": 42}`))
	require.Equal(t, http.StatusAccepted, start.Status, start.String())
	assert.Equal(t, "application/json", start.Header.Get("Content-Type"))
	assert.NotEmpty(t, start.Header.Get("X-Amzn-Requestid"))
	arn, _ := start.Body["executionArn"].(string)
	jobID, _ := start.Body["jobId"].(string)
	require.True(t, strings.HasPrefix(arn, "arn:aws:states:us-east-1:000000000000:execution:stepjobs-dev-jobs:"), arn)
	assert.Equal(t, arn[strings.LastIndex(arn, ":")+1:], jobID, "jobId is the execution name")
	assert.True(t, strings.HasPrefix(jobID, rt.ownerPrefix()+"-"), "jobId starts with the caller's owner prefix: %s", jobID)
	assert.Equal(t, "jobs/"+jobID+"/result", start.Header.Get("Location"))
	assert.IsType(t, float64(0), start.Body["startDate"], "startDate is epoch seconds")
	assert.Len(t, start.Body, 3, "start answers jobId, executionArn, startDate: %s", start)

	first := rt.describe(t, arn)
	assert.Contains(t, []any{"RUNNING", "SUCCEEDED"}, first.Body["status"], first.String())

	done := rt.wait(t, arn)
	require.Equal(t, "SUCCEEDED", done.Body["status"], done.String())
	assert.Equal(t, jobID, done.Body["jobId"])
	assert.Equal(t, map[string]any{"records": 25.0, "seed": 42.0}, done.Body["input"], "input is the request, as JSON")
	assert.IsType(t, float64(0), done.Body["startDate"])
	assert.IsType(t, float64(0), done.Body["stopDate"])
	assert.NotContains(t, done.Body, "error")
	assert.NotContains(t, done.Body, "cause")
	key := "results/" + jobID + ".json"
	output, _ := done.Body["output"].(map[string]any)
	require.NotNil(t, output, done.String())
	result, _ := output["result"].(map[string]any)
	require.NotNil(t, result, done.String())
	assert.Equal(t, map[string]any{"jobId": jobID, "status": "SUCCEEDED", "result": result}, output,
		"the output is trimmed to {jobId, status, result}")
	assert.Equal(t, rt.bucket, result["bucket"])
	assert.Equal(t, key, result["key"])
	assert.Equal(t, 25.0, result["records"])

	// The object: JSON with the requested records, as many bytes as reported.
	obj, err := rt.s3.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(rt.bucket), Key: aws.String(key)})
	require.NoError(t, err)
	body, err := io.ReadAll(obj.Body)
	require.NoError(t, obj.Body.Close())
	require.NoError(t, err)
	assert.Equal(t, "application/json", aws.ToString(obj.ContentType))
	assert.Equal(t, result["bytes"], float64(len(body)))
	var weather weatherResult
	require.NoError(t, json.Unmarshal(body, &weather))
	assert.Equal(t, jobID, weather.JobID)
	assert.Equal(t, int64(42), weather.Seed)
	assert.Equal(t, 25, weather.Records)
	require.Len(t, weather.Observations, 25)
	for _, o := range weather.Observations {
		assert.NotEmpty(t, o.Station)
		assert.NotEmpty(t, o.Conditions)
		assert.NotEmpty(t, o.LocalTime)
		require.NotNil(t, o.Latitude)
		require.NotNil(t, o.Longitude)
		require.NotNil(t, o.TemperatureC)
		require.NotNil(t, o.PressureHPa)
		require.NotNil(t, o.HumidityPct)
		assert.InDelta(t, 0, *o.Latitude, 90)
		assert.InDelta(t, 0, *o.Longitude, 180)
	}

	// The same object over plain HTTP, at the URL pattern the runtime prints.
	url := strings.Replace(rt.srv.URLs().Objects, "<jobId>", jobID, 1)
	res, err := http.Get(url)
	require.NoError(t, err)
	plain, err := io.ReadAll(res.Body)
	require.NoError(t, res.Body.Close())
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, body, plain)

	// The job record agrees.
	rec, err := rt.jobs.Get(t.Context(), jobID)
	require.NoError(t, err)
	assert.Equal(t, job.StatusSucceeded, rec.Status)
	assert.Equal(t, arn, rec.ExecutionARN)
	require.NotNil(t, rec.Result)
	assert.Equal(t, job.Result{Bucket: rt.bucket, Key: key, Records: 25, Bytes: int64(len(body))}, *rec.Result)
	assert.JSONEq(t, `{"records": 25, "seed": 42}`, string(rec.Request))
}

// The routes are also served under /<stage>, as in an execute-api URL.
func TestE2EStagePath(t *testing.T) {
	rt := shared(t)
	resp := rt.post(t, "/dev/start-execution", []byte(`{"records": 1}`))
	require.Equal(t, http.StatusAccepted, resp.Status, resp.String())
	arn, _ := resp.Body["executionArn"].(string)
	body, err := json.Marshal(map[string]string{"executionArn": arn})
	require.NoError(t, err)
	described := rt.post(t, "/dev/describe-execution", body)
	assert.Equal(t, http.StatusOK, described.Status, described.String())
	assert.Equal(t, "SUCCEEDED", rt.wait(t, arn).Body["status"])
}

func TestE2EFailures(t *testing.T) {
	rt := shared(t)
	tests := []struct {
		name      string
		input     string
		wantError string
		wantCause string
	}{
		{"simulated permanent failure", `{"simulateFailure": "permanent"}`, "SimulatedFailure", "simulated"},
		{"negative records", `{"records": -1}`, "InvalidJobInput", "records"},
		{"too many records", `{"records": 100001}`, "InvalidJobInput", "records"},
		{"records of the wrong type", `{"records": "ten"}`, "InvalidJobInput", "records"},
		{"unknown simulateFailure", `{"simulateFailure": "sometimes"}`, "InvalidJobInput", "simulateFailure"},
		{"not an object", `[1, 2]`, "InvalidJobInput", ""},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var arn, jobID string
			if i == 0 {
				arn, jobID = rt.start(t, tc.input)
			} else {
				// The API's schema refuses these bodies (TestE2EBadRequests);
				// the handler checks them too, for executions started
				// another way.
				arn, jobID = rt.startSDK(t, tc.input)
			}
			done := rt.wait(t, arn)
			require.Equal(t, "FAILED", done.Body["status"], done.String())
			assert.Equal(t, tc.wantError, done.Body["error"], done.String())
			cause, _ := done.Body["cause"].(string)
			var lambdaErr struct{ ErrorMessage, ErrorType string }
			require.NoError(t, json.Unmarshal([]byte(cause), &lambdaErr), "cause is the Lambda error JSON: %q", cause)
			assert.Equal(t, tc.wantError, lambdaErr.ErrorType)
			assert.Contains(t, lambdaErr.ErrorMessage, tc.wantCause)
			assert.NotContains(t, done.Body, "output")

			rec, err := rt.jobs.Get(t.Context(), jobID)
			require.NoError(t, err)
			assert.Equal(t, job.StatusFailed, rec.Status)
			assert.Equal(t, tc.wantError, rec.Error)
			assert.Equal(t, cause, rec.Cause)
			assert.Nil(t, rec.Result)
		})
	}
}

// A transient failure is retried by the definition's TransientError
// retrier and the job then succeeds; the history shows the retry.
func TestE2ETransientFailureRetried(t *testing.T) {
	rt := shared(t)
	arn, jobID := rt.start(t, `{"records": 3, "simulateFailure": "transient"}`)
	done := rt.wait(t, arn)
	require.Equal(t, "SUCCEEDED", done.Body["status"], done.String())

	hist, err := rt.sfn.GetExecutionHistory(t.Context(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	require.NoError(t, err)
	var simulateScheduled, transientFailures, simulateEntered int
	var failedThenSucceeded bool
	for _, ev := range hist.Events {
		switch ev.Type {
		case sfntypes.HistoryEventTypeTaskStateEntered:
			if aws.ToString(ev.StateEnteredEventDetails.Name) == "Simulate" {
				simulateEntered++
			}
		case sfntypes.HistoryEventTypeLambdaFunctionScheduled:
			if strings.HasSuffix(aws.ToString(ev.LambdaFunctionScheduledEventDetails.Resource), ":function:stepjobs-dev-batchSimulation") {
				simulateScheduled++
			}
		case sfntypes.HistoryEventTypeLambdaFunctionFailed:
			if aws.ToString(ev.LambdaFunctionFailedEventDetails.Error) == "TransientError" {
				transientFailures++
			}
		case sfntypes.HistoryEventTypeLambdaFunctionSucceeded:
			if transientFailures > 0 {
				failedThenSucceeded = true
			}
		}
	}
	assert.Equal(t, 1, simulateEntered, "a retry stays in the state")
	assert.Equal(t, 2, simulateScheduled, "the simulation ran twice")
	assert.Equal(t, 1, transientFailures)
	assert.True(t, failedThenSucceeded)

	rec, err := rt.jobs.Get(t.Context(), jobID)
	require.NoError(t, err)
	assert.Equal(t, job.StatusSucceeded, rec.Status)
}
