package main

import (
	"encoding/json"
	"io"
	"maps"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/job/jobtest"
)

func TestMain(m *testing.M) { jobtest.Main(m, main, nil) }

// env is a Lambda-like environment pointing the SDK at gofakes3, and its
// DynamoDB (progress reports, advisory) at a closed port: never at AWS.
func env(t *testing.T, s3URL string, extra map[string]string) map[string]string {
	e := map[string]string{"AWS_ENDPOINT_URL_S3": s3URL, "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:1"}
	maps.Copy(e, extra)
	return jobtest.LambdaEnv(t, e)
}

func TestFunction(t *testing.T) {
	ctx := t.Context()
	s3URL := jobtest.FakeS3(t, "results")
	tests := []struct {
		name        string
		allow       string
		payload     string
		wantRecords int
		wantError   string
	}{
		{name: "simulate", payload: `{"jobId":"job-1","request":{"records":50,"seed":3},"attempt":0}`, wantRecords: 50},
		{name: "defaults", payload: `{"jobId":"job-2","request":{},"attempt":0}`, wantRecords: 100},
		{name: "too many records", payload: `{"jobId":"job-3","request":{"records":100001},"attempt":0}`, wantError: "InvalidJobInput"},
		{name: "failures off by default", payload: `{"jobId":"job-4","request":{"simulateFailure":"permanent"},"attempt":0}`, wantError: "InvalidJobInput"},
		{name: "permanent failure", allow: "true", payload: `{"jobId":"job-5","request":{"simulateFailure":"permanent"},"attempt":0}`, wantError: "SimulatedFailure"},
		{name: "transient failure", allow: "true", payload: `{"jobId":"job-6","request":{"simulateFailure":"transient"},"attempt":0}`, wantError: "TransientError"},
		{name: "transient failure retried", allow: "true", payload: `{"jobId":"job-6","request":{"simulateFailure":"transient","records":2},"attempt":1}`, wantRecords: 2},
	}
	functions := map[string]*jobtest.Function{}
	for _, allow := range []string{"", "true"} {
		functions[allow] = jobtest.StartFunction(t, env(t, s3URL, map[string]string{"BUCKET_NAME": "results", "TABLE_NAME": "jobs", "ALLOW_SIMULATED_FAILURES": allow}))
	}
	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(s3URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := functions[tc.allow].Invoke(ctx, tc.payload)
			require.NoError(t, err)
			if tc.wantError != "" {
				assert.Equal(t, tc.wantError, resp.ErrorType, resp.ErrorMessage)
				return
			}
			require.Empty(t, resp.ErrorType, resp.ErrorMessage)
			var res job.Result
			require.NoError(t, json.Unmarshal(resp.Payload, &res))
			assert.Equal(t, "results", res.Bucket)
			assert.Equal(t, tc.wantRecords, res.Records)

			obj, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(res.Bucket), Key: aws.String(res.Key)})
			require.NoError(t, err)
			defer obj.Body.Close()
			body, err := io.ReadAll(obj.Body)
			require.NoError(t, err)
			assert.Equal(t, res.Bytes, int64(len(body)))
			assert.Equal(t, "application/json", aws.ToString(obj.ContentType))
			var doc struct {
				Observations []json.RawMessage `json:"observations"`
			}
			require.NoError(t, json.Unmarshal(body, &doc))
			assert.Len(t, doc.Observations, tc.wantRecords)
		})
	}
}

func TestMissingConfiguration(t *testing.T) {
	tests := map[string]struct {
		env  map[string]string
		want string
	}{
		"no bucket":     {env: map[string]string{}, want: "missing environment variables: BUCKET_NAME"},
		"bad bool":      {env: map[string]string{"BUCKET_NAME": "b", "TABLE_NAME": "t", "ALLOW_SIMULATED_FAILURES": "maybe"}, want: "ALLOW_SIMULATED_FAILURES"},
		"bad log level": {env: map[string]string{"BUCKET_NAME": "b", "TABLE_NAME": "t", "LOG_LEVEL": "chatty"}, want: "LOG_LEVEL"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			fn := jobtest.StartFunction(t, env(t, "http://127.0.0.1:1", tc.env))
			out, code, err := fn.Wait(t.Context())
			require.NoError(t, err)
			assert.Equal(t, 1, code)
			assert.Contains(t, out, tc.want)
		})
	}
}
