package objects_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/job/jobtest"
	"github.com/asyncjobs/stepjobs/internal/localaws"
	"github.com/asyncjobs/stepjobs/internal/objects"
)

// fakeS3 serves gofakes3 in-process with one bucket and returns a client
// for it, with the SDK's defaults changed by optFns.
func fakeS3(t testing.TB, bucket string, optFns ...func(*s3.Options)) *s3.Client {
	t.Helper()
	backend := s3mem.New()
	require.NoError(t, backend.CreateBucket(bucket))
	server := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(server.Close)
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(server.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	}, optFns...)
}

func getObject(t *testing.T, client *s3.Client, bucket, key string) (*s3.GetObjectOutput, []byte) {
	t.Helper()
	out, err := client.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	require.NoError(t, err)
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	require.NoError(t, err)
	return out, body
}

// clients are the S3 client options the store runs with: the SDK's
// defaults (AWS) and the local runtime's loopback ones.
var clients = []struct {
	name string
	opts []func(*s3.Options)
}{
	{"sdk-defaults", nil},
	{"loopback", []func(*s3.Options){localaws.LoopbackS3}},
}

func TestPutResult(t *testing.T) {
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			client := fakeS3(t, "results", c.opts...)
			s := objects.New(client, "results")
			assert.Equal(t, "results", s.Bucket())

			bucket, err := s.PutResult(t.Context(), "results/j1.json", []byte(`{"a":1}`))
			require.NoError(t, err)
			assert.Equal(t, "results", bucket)
			out, body := getObject(t, client, "results", "results/j1.json")
			assert.JSONEq(t, `{"a":1}`, string(body))
			assert.Equal(t, "application/json", aws.ToString(out.ContentType))

			// A retried attempt overwrites the object.
			_, err = s.PutResult(t.Context(), "results/j1.json", []byte(`{"a":2}`))
			require.NoError(t, err)
			_, body = getObject(t, client, "results", "results/j1.json")
			assert.JSONEq(t, `{"a":2}`, string(body))
		})
	}
}

func TestPutResultMissingBucket(t *testing.T) {
	s := objects.New(fakeS3(t, "results"), "other")
	_, err := s.PutResult(t.Context(), "results/j1.json", []byte(`{}`))
	require.Error(t, err)
	assert.False(t, job.IsTransient(err))
	assert.Contains(t, err.Error(), "objects: put s3://other/results/j1.json")
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "NoSuchBucket", apiErr.ErrorCode())
}

// The batch-simulation handler end to end on S3: the object is valid JSON
// with the requested number of observations, and its size is reported.
func TestBatchSimulationWritesReadableResults(t *testing.T) {
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			client := fakeS3(t, "results", c.opts...)
			h := job.NewBatchSimulation(objects.New(client, "results"), false)
			for _, records := range []int{1, 100, job.MaxRecords} {
				req, err := json.Marshal(map[string]int{"records": records, "seed": 7})
				require.NoError(t, err)
				res, err := h.Handle(t.Context(), job.SimulationInput{JobID: "job-s3", Request: req})
				require.NoError(t, err)
				assert.Equal(t, job.Result{Bucket: "results", Key: "results/job-s3.json", Records: records, Bytes: res.Bytes}, res)

				out, body := getObject(t, client, "results", res.Key)
				assert.Equal(t, "application/json", aws.ToString(out.ContentType))
				assert.Equal(t, res.Bytes, int64(len(body)))
				doc := jobtest.DecodeResult(t, body)
				assert.Equal(t, "job-s3", doc.JobID)
				assert.Equal(t, int64(7), doc.Seed)
				assert.Equal(t, records, doc.Records)
				assert.Len(t, doc.Observations, records)
			}
		})
	}
}

// recordingAPI keeps the input of each PutObject and answers with err.
type recordingAPI struct {
	inputs []*s3.PutObjectInput
	err    error
}

func (r *recordingAPI) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	r.inputs = append(r.inputs, in)
	return &s3.PutObjectOutput{}, r.err
}

// gofakes3 does not report server-side encryption back, so the request is
// checked where it is made.
func TestPutResultRequest(t *testing.T) {
	api := &recordingAPI{}
	_, err := objects.New(api, "results").PutResult(t.Context(), "results/j.json", []byte(`{"x":true}`))
	require.NoError(t, err)
	require.Len(t, api.inputs, 1)
	in := api.inputs[0]
	assert.Equal(t, "results", aws.ToString(in.Bucket))
	assert.Equal(t, "results/j.json", aws.ToString(in.Key))
	assert.Equal(t, "application/json", aws.ToString(in.ContentType))
	assert.Equal(t, types.ServerSideEncryptionAes256, in.ServerSideEncryption)
	assert.Equal(t, int64(10), aws.ToInt64(in.ContentLength))
	body, err := io.ReadAll(in.Body)
	require.NoError(t, err)
	assert.Equal(t, `{"x":true}`, string(body))
}

func responseError(status int, err error) error {
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err}}
}

func TestErrorClassification(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		transient bool
	}{
		{"slow down", responseError(503, &smithy.GenericAPIError{Code: "SlowDown"}), true},
		{"internal error", responseError(500, &smithy.GenericAPIError{Code: "InternalError"}), true},
		{"request timeout", responseError(400, &smithy.GenericAPIError{Code: "RequestTimeout"}), true},
		{"deadline", context.DeadlineExceeded, true},
		{"access denied", responseError(403, &smithy.GenericAPIError{Code: "AccessDenied"}), false},
		{"no such bucket", responseError(404, &types.NoSuchBucket{}), false},
		{"canceled", context.Canceled, false},
		{"unknown", errors.New("boom"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := objects.New(&recordingAPI{err: tc.err}, "results").PutResult(t.Context(), "k", nil)
			require.Error(t, err)
			assert.Equal(t, tc.transient, job.IsTransient(err), "%v", err)
			assert.ErrorIs(t, err, tc.err)
		})
	}
}

func TestNewClientPathStyle(t *testing.T) {
	cfg := aws.Config{Region: "us-east-1"}
	tests := []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"path style", map[string]string{"S3_FORCE_PATH_STYLE": "true"}, true},
		{"virtual hosted by default", nil, false},
		{"explicitly off", map[string]string{"S3_FORCE_PATH_STYLE": "false"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := objects.NewClient(cfg, func(k string) string { return tc.env[k] }).Options().UsePathStyle
			assert.Equal(t, tc.want, got)
		})
	}
}
