package offline

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/sfn"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
)

// The project's rule (serverless.yml, statusUpdate's eventBridge event)
// turns the status change of a failed, stopped or timed-out execution into
// the status-update input (with the execution's error and cause), and
// ignores every other change.
func TestProjectStatusChangeRule(t *testing.T) {
	svc := loadProject(t)
	names := newStackNames(svc, "aws", map[string]string{"ResultsBucket": "b"})
	rules, err := svc.EventRules(names)
	require.NoError(t, err)
	require.Len(t, rules, 1)
	r := rules[0]
	assert.Equal(t, "statusUpdate", r.Function)

	machine := names.stateMachineARN("stepjobs-dev-jobs")
	arn := "arn:aws:states:us-east-1:000000000000:execution:stepjobs-dev-jobs:0123456789abcdef-k1"
	at := time.Date(2026, 11, 23, 22, 0, 0, 0, time.UTC)
	errName, cause := "SimulatedFailure", `{"errorMessage":"boom \"x\""}`
	tests := []struct {
		status, machine string
		err, cause      *string
		want            string // "" when the rule does not match
	}{
		{status: sfn.StatusAborted, machine: machine,
			want: `{"jobId":"0123456789abcdef-k1","executionArn":"` + arn + `","status":"ABORTED","error":null,"cause":null}`},
		{status: sfn.StatusTimedOut, machine: machine,
			want: `{"jobId":"0123456789abcdef-k1","executionArn":"` + arn + `","status":"TIMED_OUT","error":null,"cause":null}`},
		{status: sfn.StatusFailed, machine: machine, err: &errName, cause: &cause,
			want: `{"jobId":"0123456789abcdef-k1","executionArn":"` + arn + `","status":"FAILED","error":"SimulatedFailure","cause":` + strconvQuote(cause) + `}`},
		{status: sfn.StatusSucceeded, machine: machine},
		{status: sfn.StatusRunning, machine: machine},
		{status: sfn.StatusAborted, machine: "arn:aws:states:us-east-1:000000000000:stateMachine:other"},
		{status: sfn.StatusFailed, machine: "arn:aws:states:us-east-1:000000000000:stateMachine:other"},
	}
	for _, tc := range tests {
		t.Run(tc.status+" "+tc.machine, func(t *testing.T) {
			ev := statusChangeEvent(sfn.StatusChange{ExecutionARN: arn, StateMachineARN: tc.machine,
				Name: "0123456789abcdef-k1", Status: tc.status, Error: tc.err, Cause: tc.cause, Time: at}, "us-east-1", "000000000000")
			if tc.want == "" {
				assert.False(t, matchPattern(r.Pattern, ev))
				return
			}
			require.True(t, matchPattern(r.Pattern, ev))
			got, err := transformInput(r, ev)
			require.NoError(t, err)
			assert.JSONEq(t, tc.want, string(got))
			var in job.StatusInput
			require.NoError(t, json.Unmarshal(got, &in), "status-update reads it")
			assert.Equal(t, job.Status(tc.status), in.Status)
			if tc.err != nil {
				assert.Equal(t, *tc.err, in.Error)
				assert.Equal(t, *tc.cause, in.Cause)
			}
		})
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestMatchPattern(t *testing.T) {
	ev := map[string]any{"source": "aws.states", "detail": map[string]any{"status": "ABORTED", "name": "abc-1", "tags": []any{"a", "b"}}}
	tests := []struct {
		name    string
		pattern string
		want    bool
	}{
		{"equal", `{"source":["aws.states"]}`, true},
		{"one of", `{"source":["x","aws.states"]}`, true},
		{"nested", `{"detail":{"status":["ABORTED"]}}`, true},
		{"nested mismatch", `{"detail":{"status":["FAILED"]}}`, false},
		{"missing field", `{"detail":{"nope":["x"]}}`, false},
		{"prefix", `{"detail":{"name":[{"prefix":"abc"}]}}`, true},
		{"suffix", `{"detail":{"name":[{"suffix":"-2"}]}}`, false},
		{"anything-but", `{"detail":{"status":[{"anything-but":["FAILED"]}]}}`, true},
		{"anything-but hit", `{"detail":{"status":[{"anything-but":"ABORTED"}]}}`, false},
		{"exists false", `{"detail":{"error":[{"exists":false}]}}`, true},
		{"exists true", `{"detail":{"status":[{"exists":true}]}}`, true},
		{"array value", `{"detail":{"tags":["b"]}}`, true},
		{"numeric not emulated", `{"detail":{"status":[{"numeric":[">",0]}]}}`, false},
		{"scalar leaf", `{"source":"aws.states"}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p map[string]any
			require.NoError(t, json.Unmarshal([]byte(tc.pattern), &p))
			assert.Equal(t, tc.want, matchPattern(p, ev))
		})
	}
}

func TestTransformInput(t *testing.T) {
	ev := map[string]any{"detail": map[string]any{"name": `a"b`, "n": 3.0, "obj": map[string]any{"k": "v"}}}
	tests := []struct {
		name, tmpl, want string
		paths            map[string]string
	}{
		{"unquoted string is JSON", `{"x": <name>}`, `{"x": "a\"b"}`, map[string]string{"name": "$.detail.name"}},
		{"quoted string is bare text", `{"x": "id-<name>"}`, `{"x": "id-a\"b"}`, map[string]string{"name": "$.detail.name"}},
		{"number", `{"x": <n>}`, `{"x": 3}`, map[string]string{"n": "$.detail.n"}},
		{"object", `{"x": <o>}`, `{"x": {"k":"v"}}`, map[string]string{"o": "$.detail.obj"}},
		{"missing is null", `{"x": <m>}`, `{"x": null}`, map[string]string{"m": "$.detail.missing"}},
		{"unknown placeholder kept", `{"x": "<other>"}`, `{"x": "<other>"}`, map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := transformInput(slsconfig.EventRule{InputPathsMap: tc.paths, InputTemplate: tc.tmpl}, ev)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
		})
	}
	_, err := transformInput(slsconfig.EventRule{InputPathsMap: map[string]string{"x": "$.a[0]"}, InputTemplate: "<x>"}, ev)
	assert.ErrorContains(t, err, "only $ and $.a.b")
	whole, err := transformInput(slsconfig.EventRule{}, ev)
	require.NoError(t, err)
	assert.JSONEq(t, `{"detail":{"name":"a\"b","n":3,"obj":{"k":"v"}}}`, string(whole))
}

// A delivery that fails is retried twice (Lambda's asynchronous retries),
// and stop waits for the deliveries in flight.
func TestEventRulesDeliverWithRetries(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	inv := sfn.InvokerFunc(func(_ context.Context, payload []byte) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, string(payload))
		if len(calls) < 3 {
			return nil, errors.New("store busy")
		}
		return []byte(`{}`), nil
	})
	rules := []slsconfig.EventRule{{Function: "f", Pattern: map[string]any{"detail": map[string]any{"status": []any{"ABORTED"}}},
		InputPathsMap: map[string]string{"s": "$.detail.status"}, InputTemplate: `<s>`}}
	e := newEventRules(rules, func(string) (sfn.Invoker, bool) { return inv, true }, "us-east-1", "000000000000", slog.New(slog.DiscardHandler))
	e.retryDelay = time.Microsecond
	e.observe(sfn.StatusChange{Status: sfn.StatusSucceeded})
	e.observe(sfn.StatusChange{Status: sfn.StatusAborted})
	e.stop(context.Background())
	assert.Equal(t, []string{`"ABORTED"`, `"ABORTED"`, `"ABORTED"`}, calls)
}

// FuzzTransformInput: any template and path give an answer or an error,
// never a panic; a template that is JSON with its placeholders outside
// strings gives JSON.
func FuzzTransformInput(f *testing.F) {
	f.Add(`{"jobId": <name>, "s": "<status> x"}`, "$.detail.name")
	f.Add(`<aws.events.event>`, "$")
	f.Add(`{"a": "\"<name>\\"}`, "$.detail")
	f.Add(`<<name>>`, "$.detail.missing.deeper")
	f.Fuzz(func(t *testing.T, tmpl, path string) {
		ev := statusChangeEvent(sfn.StatusChange{ExecutionARN: "arn:x", Name: `n"<a>\`, Status: sfn.StatusAborted, Time: time.Unix(1, 0)}, "r", "1")
		r := slsconfig.EventRule{InputPathsMap: map[string]string{"name": path}, InputTemplate: tmpl}
		out, err := transformInput(r, ev)
		if err != nil {
			return
		}
		if json.Valid([]byte(tmpl)) && !strings.Contains(tmpl, "<") && string(out) != tmpl {
			t.Fatalf("a template without placeholders changed: %q -> %q", tmpl, out)
		}
	})
}
