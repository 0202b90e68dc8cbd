package job_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/memstore"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// lambdaCase is one invocation as Lambda sees it: a JSON payload in, a JSON
// payload or a named error out.
type lambdaCase struct {
	Name         string          `json:"name"`
	Handler      string          `json:"handler"`
	Input        json.RawMessage `json:"input"`
	Output       json.RawMessage `json:"output,omitempty"`
	ErrorType    string          `json:"errorType,omitempty"`
	ErrorMessage string          `json:"errorMessage,omitempty"`
}

// TestLambdaPayloads drives the handlers through aws-lambda-go's own
// NewHandler, the JSON round trip Lambda does, over a job's lifecycle, and
// compares with testdata/lambda-payloads.json: the payload shapes the state
// machine relies on and the error names its Retry and Catch match.
func TestLambdaPayloads(t *testing.T) {
	path := filepath.Join("testdata", "lambda-payloads.json")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var cases []lambdaCase
	require.NoError(t, json.Unmarshal(raw, &cases))

	jobs := memstore.NewJobs()
	handlers := map[string]lambda.Handler{
		"tracking":        lambda.NewHandler(job.NewTracking(jobs, job.WithClock(clock)).Handle),
		"batchSimulation": lambda.NewHandler(job.NewBatchSimulation(memstore.NewObjects("results"), true, job.WithClock(clock)).Handle),
		"statusUpdate":    lambda.NewHandler(job.NewStatusUpdate(jobs, job.WithClock(clock)).Handle),
	}
	for i, tc := range cases {
		h, ok := handlers[tc.Handler]
		require.True(t, ok, "unknown handler %q", tc.Handler)
		out, err := h.Invoke(t.Context(), tc.Input)
		// Copy: the handler reuses its output buffer on the next call.
		got := lambdaCase{Name: tc.Name, Handler: tc.Handler, Input: tc.Input, Output: bytes.TrimSpace(bytes.Clone(out))}
		if err != nil {
			// aws-lambda-go names an error by its type (lambda/errors.go).
			got.ErrorType = reflect.TypeOf(err).Elem().Name()
			got.ErrorMessage = err.Error()
		}
		if *update {
			cases[i] = got
			continue
		}
		t.Run(tc.Name, func(t *testing.T) {
			assert.Equal(t, tc.ErrorType, got.ErrorType)
			assert.Equal(t, tc.ErrorMessage, got.ErrorMessage)
			if tc.Output == nil {
				assert.Nil(t, got.Output)
			} else {
				assert.JSONEq(t, string(tc.Output), string(got.Output))
			}
		})
	}
	if *update {
		b, err := json.MarshalIndent(cases, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
	}
}
