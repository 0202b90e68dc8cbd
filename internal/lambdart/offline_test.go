package lambdart_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/client"
	"github.com/asyncjobs/stepjobs/internal/offline"
)

// TestProcessModeJobs runs jobs through the local runtime with the
// project's real bootstraps (cmd/tracking, cmd/batch-simulation,
// cmd/status-update built for this machine) and checks that they end as in
// the in-process mode, errors named the same.
func TestProcessModeJobs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the project's functions and starts dynalite")
	}
	type result struct {
		status, errName, cause string
		output                 map[string]any
	}
	run := func(t *testing.T, mode, input string) result {
		cfg := offline.DefaultConfig()
		cfg.Dir = "../.."
		cfg.APIPort, cfg.SFNPort, cfg.S3Port, cfg.DynamoDBPort, cfg.SQSPort, cfg.SNSPort = 0, 0, 0, 0, 0, 0
		cfg.LambdaMode = mode
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		srv, err := offline.Start(ctx, cfg)
		require.NoError(t, err)
		defer func() { _ = srv.Close(context.Background()) }()
		arn := srv.Resources().StateMachines["jobs"]
		// A fixed name, so that the two modes' messages can be compared.
		ex, err := srv.Engine().StartExecution(ctx, arn, "job-1", input)
		require.NoError(t, err)
		info, err := srv.Engine().Wait(ctx, ex.ExecutionARN)
		require.NoError(t, err)
		r := result{status: info.Status}
		if info.Error != nil {
			r.errName, r.cause = *info.Error, *info.Cause
		}
		if info.Output != nil {
			require.NoError(t, json.Unmarshal([]byte(*info.Output), &r.output))
		}
		return r
	}

	t.Run("succeeds", func(t *testing.T) {
		got := run(t, offline.LambdaProcess, `{"records": 5, "seed": 1}`)
		require.Equal(t, "SUCCEEDED", got.status, got.cause)
		assert.Equal(t, "SUCCEEDED", got.output["status"])
		res, _ := got.output["result"].(map[string]any)
		assert.EqualValues(t, 5, res["records"], "the result was written to S3 by the real batch-simulation binary")
	})
	t.Run("fails as in-process", func(t *testing.T) {
		in := `{"records": 5, "simulateFailure": "permanent"}`
		proc := run(t, offline.LambdaProcess, in)
		inproc := run(t, offline.LambdaInProcess, in)
		require.Equal(t, "FAILED", proc.status)
		assert.Equal(t, "SimulatedFailure", proc.errName)
		assert.Equal(t, inproc.errName, proc.errName)
		assert.JSONEq(t, inproc.cause, proc.cause)
	})
	t.Run("a callback from the real notifier binary", func(t *testing.T) {
		cfg := offline.DefaultConfig()
		cfg.Dir = "../.."
		cfg.APIPort, cfg.SFNPort, cfg.S3Port, cfg.DynamoDBPort, cfg.SQSPort, cfg.SNSPort = 0, 0, 0, 0, 0, 0
		cfg.LambdaMode = offline.LambdaProcess
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		srv, err := offline.Start(ctx, cfg)
		require.NoError(t, err)
		defer func() { _ = srv.Close(context.Background()) }()
		secret, ok := srv.Secret("CallbackSigningSecret")
		require.True(t, ok)
		got := make(chan client.Callback, 1)
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			cb, err := client.VerifyCallbackRequest(r, []byte(secret), 0)
			if err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			got <- cb
		}))
		defer receiver.Close()
		ex, err := srv.Engine().StartExecution(ctx, srv.Resources().StateMachines["jobs"], "job-cb",
			`{"records": 2, "callbackUrl": "`+receiver.URL+`/cb"}`)
		require.NoError(t, err)
		select {
		case cb := <-got:
			assert.Equal(t, "job-cb", cb.JobID)
			assert.Equal(t, "SUCCEEDED", cb.Status)
		case <-ctx.Done():
			require.FailNow(t, "no callback", "%s", ex.ExecutionARN)
		}
	})
}
