package main

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/dynalite"
	"github.com/asyncjobs/stepjobs/internal/dynamo"
	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/job/jobtest"
	"github.com/asyncjobs/stepjobs/internal/objects"
)

var dynamoURL string // the dynalite this package's tests share

func TestMain(m *testing.M) { jobtest.Main(m, main, &dynamoURL) }

// env is a Lambda-like environment pointing the SDK at dynalite and s3URL.
func env(t *testing.T, s3URL string, extra map[string]string) map[string]string {
	e := map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": dynamoURL, "AWS_ENDPOINT_URL_S3": s3URL, "TABLE_NAME": "jobs"}
	maps.Copy(e, extra)
	return jobtest.LambdaEnv(t, e)
}

func TestFunction(t *testing.T) {
	ctx := t.Context()
	client := dynalite.NewClient(dynamoURL)
	require.NoError(t, dynalite.CreateJobsTable(ctx, client, "jobs"))
	s3URL := jobtest.FakeS3(t, "results")

	const owner = "0123456789abcdef"
	id := owner + "-k1"
	arn := "arn:aws:states:us-east-1:123456789012:execution:stepjobs-dev-jobs:" + id
	s3c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(s3URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	_, err := objects.New(s3c, "results").PutResult(ctx, job.ResultKey(id), []byte(`{"jobId":"`+id+`"}`))
	require.NoError(t, err)
	store := dynamo.New(client, "jobs")
	_, err = store.Create(ctx, job.NewJob(id, arn, nil, time.Now().UTC()))
	require.NoError(t, err)
	_, err = store.Finish(ctx, job.Outcome{JobID: id, ExecutionARN: arn, Status: job.StatusSucceeded, At: time.Now().UTC(),
		Result: &job.Result{Bucket: "results", Key: job.ResultKey(id), Records: 1, Bytes: 10}})
	require.NoError(t, err)

	fn := jobtest.StartFunction(t, env(t, s3URL, map[string]string{"RESULT_URL_TTL": "5m"}))
	invoke := func(jobID, ownerPrefix string) events.APIGatewayProxyResponse {
		req, err := json.Marshal(events.APIGatewayProxyRequest{
			HTTPMethod: "GET", Resource: "/jobs/{jobId}/result", PathParameters: map[string]string{"jobId": jobID},
			RequestContext: events.APIGatewayProxyRequestContext{Authorizer: map[string]any{"ownerPrefix": ownerPrefix}},
		})
		require.NoError(t, err)
		resp, err := fn.Invoke(ctx, string(req))
		require.NoError(t, err)
		require.Empty(t, resp.ErrorType, resp.ErrorMessage)
		var out events.APIGatewayProxyResponse
		require.NoError(t, json.Unmarshal(resp.Payload, &out))
		return out
	}

	resp := invoke(id, owner)
	require.Equal(t, http.StatusOK, resp.StatusCode, resp.Body)
	var link job.ResultLinkOutput
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &link))
	assert.Equal(t, id, link.JobID)
	assert.WithinDuration(t, time.Now().Add(5*time.Minute), link.ExpiresAt, time.Minute)
	got, err := http.Get(link.URL)
	require.NoError(t, err)
	body, err := io.ReadAll(got.Body)
	require.NoError(t, got.Body.Close())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, got.StatusCode, string(body))
	assert.JSONEq(t, `{"jobId":"`+id+`"}`, string(body))

	assert.Equal(t, http.StatusNotFound, invoke(id, "fedcba9876543210").StatusCode)
	assert.Equal(t, http.StatusNotFound, invoke(owner+"-missing", owner).StatusCode)
}

func TestBadTTL(t *testing.T) {
	for v, want := range map[string]string{"soon": "RESULT_URL_TTL=soon", "200h": "must be between"} {
		fn := jobtest.StartFunction(t, env(t, "http://127.0.0.1:1", map[string]string{"RESULT_URL_TTL": v}))
		out, code, err := fn.Wait(t.Context())
		require.NoError(t, err)
		assert.Equal(t, 1, code)
		assert.Contains(t, out, want)
	}
}
