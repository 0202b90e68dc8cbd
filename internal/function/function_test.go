package function_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/function"
	"github.com/asyncjobs/stepjobs/internal/function/authorizer"
	"github.com/asyncjobs/stepjobs/internal/function/batchsimulation"
	"github.com/asyncjobs/stepjobs/internal/function/jobresult"
	"github.com/asyncjobs/stepjobs/internal/function/statusupdate"
	"github.com/asyncjobs/stepjobs/internal/function/tracking"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

var (
	cfg = aws.Config{Region: "us-east-1"}
	db  = dynamodb.NewFromConfig(cfg)
	s3c = s3.NewFromConfig(cfg)
)

// build calls a constructor and reports whether it gave a handler.
type build func(context.Context, function.Env) (bool, error)

func built[In, Out any](h function.Handler[In, Out], err error) (bool, error) { return h != nil, err }

func TestConstructors(t *testing.T) {
	var (
		track build = func(ctx context.Context, e function.Env) (bool, error) { return built(tracking.New(ctx, e, db)) }
		sim   build = func(ctx context.Context, e function.Env) (bool, error) {
			return built(batchsimulation.New(ctx, e, s3c, db))
		}
		status build = func(ctx context.Context, e function.Env) (bool, error) { return built(statusupdate.New(ctx, e, db)) }
		result build = func(ctx context.Context, e function.Env) (bool, error) { return built(jobresult.New(ctx, e, db, s3c)) }
		authz  build = func(ctx context.Context, e function.Env) (bool, error) { return built(authorizer.New(ctx, e)) }
	)
	tests := []struct {
		name    string
		build   build
		env     map[string]string
		wantErr string
	}{
		{"tracking", track, map[string]string{"TABLE_NAME": "jobs"}, ""},
		{"tracking without a table", track, nil, "TABLE_NAME"},
		{"batch simulation", sim, map[string]string{"BUCKET_NAME": "results", "TABLE_NAME": "jobs"}, ""},
		{"batch simulation without a bucket", sim, map[string]string{"TABLE_NAME": "jobs"}, "BUCKET_NAME"},
		{"batch simulation without a table", sim, map[string]string{"BUCKET_NAME": "results"}, "TABLE_NAME"},
		{"batch simulation, bad switch", sim, map[string]string{"BUCKET_NAME": "b", "TABLE_NAME": "jobs", "ALLOW_SIMULATED_FAILURES": "maybe"}, "ALLOW_SIMULATED_FAILURES"},
		{"batch simulation, bad progress interval", sim, map[string]string{"BUCKET_NAME": "b", "TABLE_NAME": "jobs", "PROGRESS_INTERVAL": "often"}, "PROGRESS_INTERVAL"},
		{"status update, bad record ttl", status, map[string]string{"TABLE_NAME": "jobs", "RECORD_TTL_DAYS": "-1"}, "RECORD_TTL_DAYS"},
		{"status update", status, map[string]string{"TABLE_NAME": "jobs"}, ""},
		{"status update without a table", status, nil, "TABLE_NAME"},
		{"status update, bad log level", status, map[string]string{"TABLE_NAME": "jobs", "LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"job result", result, map[string]string{"TABLE_NAME": "jobs", "RESULT_URL_TTL": "10m"}, ""},
		{"job result, bad ttl", result, map[string]string{"TABLE_NAME": "jobs", "RESULT_URL_TTL": "soon"}, "RESULT_URL_TTL=soon"},
		{"authorizer, disabled", authz, map[string]string{"AUTH_DISABLED": "true"}, ""},
		{"authorizer, bad log level", authz, map[string]string{"AUTH_DISABLED": "true", "LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"authorizer fails closed without an issuer", authz, nil, "ISSUER and AUDIENCE are required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := tc.build(t.Context(), function.Env{Getenv: env(tc.env), Out: &bytes.Buffer{}})
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

// Without Out, log and metric lines are discarded rather than written to a
// nil writer.
func TestEnvWithoutOut(t *testing.T) {
	e := function.Env{Getenv: env(map[string]string{"LOG_LEVEL": "debug"})}
	_, log, err := e.Config()
	require.NoError(t, err)
	assert.NotPanics(t, func() { log.Info("dropped") })
	assert.NotNil(t, e.Metrics())
}
