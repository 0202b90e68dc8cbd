package function

import (
	"bytes"
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func deps(vars map[string]string) Deps {
	cfg := aws.Config{Region: "us-east-1"}
	return Deps{Getenv: env(vars), DynamoDB: dynamodb.NewFromConfig(cfg), S3: s3.NewFromConfig(cfg), Out: &bytes.Buffer{}}
}

// build calls a constructor and reports whether it gave a handler.
type build func(context.Context, Deps) (bool, error)

func of[In, Out any](f func(context.Context, Deps) (Handler[In, Out], error)) build {
	return func(ctx context.Context, d Deps) (bool, error) {
		h, err := f(ctx, d)
		return h != nil, err
	}
}

func TestConstructors(t *testing.T) {
	tests := []struct {
		name    string
		build   build
		env     map[string]string
		wantErr string
	}{
		{"tracking", of(Tracking), map[string]string{"TABLE_NAME": "jobs"}, ""},
		{"tracking without a table", of(Tracking), nil, "TABLE_NAME"},
		{"batch simulation", of(BatchSimulation), map[string]string{"BUCKET_NAME": "results"}, ""},
		{"batch simulation without a bucket", of(BatchSimulation), nil, "BUCKET_NAME"},
		{"batch simulation, bad switch", of(BatchSimulation), map[string]string{"BUCKET_NAME": "b", "ALLOW_SIMULATED_FAILURES": "maybe"}, "ALLOW_SIMULATED_FAILURES"},
		{"status update", of(StatusUpdate), map[string]string{"TABLE_NAME": "jobs"}, ""},
		{"status update, bad log level", of(StatusUpdate), map[string]string{"TABLE_NAME": "jobs", "LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"job result", of(JobResult), map[string]string{"TABLE_NAME": "jobs", "RESULT_URL_TTL": "10m"}, ""},
		{"job result, bad ttl", of(JobResult), map[string]string{"TABLE_NAME": "jobs", "RESULT_URL_TTL": "soon"}, "RESULT_URL_TTL=soon"},
		{"authorizer, disabled", of(Authorizer), map[string]string{"AUTH_DISABLED": "true"}, ""},
		{"authorizer fails closed without an issuer", of(Authorizer), nil, "ISSUER and AUDIENCE are required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := tc.build(t.Context(), deps(tc.env))
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.False(t, ok)
				return
			}
			require.NoError(t, err)
			assert.True(t, ok)
		})
	}
}

func TestNewS3PathStyle(t *testing.T) {
	cfg := aws.Config{Region: "us-east-1"}
	assert.True(t, NewS3(cfg, env(map[string]string{"S3_FORCE_PATH_STYLE": "true"})).Options().UsePathStyle)
	assert.False(t, NewS3(cfg, env(nil)).Options().UsePathStyle)
}
