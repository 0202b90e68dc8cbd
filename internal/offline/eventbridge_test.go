package offline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

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

// countingInvoker records every payload and answers with fail(n) for the
// n-th call (1-based).
type countingInvoker struct {
	mu    sync.Mutex
	calls []string
	fail  func(n int) error
}

func (c *countingInvoker) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, string(payload))
	if c.fail != nil {
		if err := c.fail(len(c.calls)); err != nil {
			return nil, err
		}
	}
	return []byte(`{}`), nil
}

func (c *countingInvoker) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.calls)
}

// testRules builds the rules with inv as every target, with short delays.
func testRules(rules []slsconfig.EventRule, inv sfn.Invoker) *eventRules {
	e := newEventRules(rules, func(string) (sfn.Invoker, bool) { return inv, true }, "us-east-1", "000000000000", slog.New(slog.DiscardHandler))
	e.retryDelay = time.Millisecond
	e.dlq.first, e.dlq.max = time.Millisecond, 4*time.Millisecond
	e.dlq.limit = rate.NewLimiter(rate.Inf, 1)
	return e
}

// TestProjectRuleDeliversOnce: with nothing failing, each status change the
// project's rule matches (FAILED, ABORTED, TIMED_OUT) reaches status-update
// exactly once, and nothing delivers it again later; SUCCEEDED and RUNNING
// never do.
func TestProjectRuleDeliversOnce(t *testing.T) {
	svc := loadProject(t)
	names := newStackNames(svc, "aws", map[string]string{"ResultsBucket": "b"})
	rules, err := svc.EventRules(names)
	require.NoError(t, err)
	machine := names.stateMachineARN("stepjobs-dev-jobs")
	tests := map[string]int{sfn.StatusFailed: 1, sfn.StatusAborted: 1, sfn.StatusTimedOut: 1, sfn.StatusSucceeded: 0, sfn.StatusRunning: 0}
	for status, want := range tests {
		t.Run(status, func(t *testing.T) {
			inv := &countingInvoker{}
			e := testRules(rules, inv)
			e.observe(sfn.StatusChange{ExecutionARN: "arn:x:0123456789abcdef-k", StateMachineARN: machine, Name: "0123456789abcdef-k",
				Status: status, Time: time.Now()})
			require.NoError(t, e.wait(t.Context()))
			time.Sleep(20 * time.Millisecond) // several redrive periods: no late second delivery
			e.stop(t.Context())
			assert.Equal(t, want, inv.count())
			assert.Zero(t, e.dlq.parkedCount())
		})
	}
}

// A failed delivery is retried as Lambda retries an asynchronous
// invocation, then goes to the on-failure destination, whose stand-in
// redrives it until it is recorded; without a destination it is dropped; a
// refusal no redrive changes is parked there.
func TestEventRulesFailureHandling(t *testing.T) {
	busy := errors.New("store busy")
	conflict := &job.JobConflict{JobID: "j", Reason: "status FAILED is final, cannot become ABORTED"}
	tests := map[string]struct {
		retries   int
		onFailure string
		fail      func(n int) error
		wantCalls int
		wantKept  int // parked in the dead-letter queue
	}{
		"recorded at once":                          {retries: 2, onFailure: "q", wantCalls: 1},
		"the second retry records it":               {retries: 2, onFailure: "q", fail: failFirst(2, busy), wantCalls: 3},
		"redriven from the dead-letter queue":       {retries: 2, onFailure: "q", fail: failFirst(7, busy), wantCalls: 8},
		"maximumRetryAttempts 0":                    {retries: 0, onFailure: "q", fail: failFirst(1, busy), wantCalls: 2},
		"no destination: dropped after the retries": {retries: 2, fail: failFirst(100, busy), wantCalls: 3},
		"a conflict stays in the queue":             {retries: 2, onFailure: "q", fail: failFirst(100, conflict), wantCalls: 4, wantKept: 1},
		"a wrapped Lambda error type is recognised": {retries: 1, onFailure: "q",
			fail: failFirst(100, fmt.Errorf("invoke: %w", messages.InvokeResponse_Error{Type: "JobConflict", Message: "conflict"})), wantCalls: 3, wantKept: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			inv := &countingInvoker{fail: tc.fail}
			rules := []slsconfig.EventRule{{Function: "f", Pattern: map[string]any{"detail": map[string]any{"status": []any{"ABORTED"}}},
				InputPathsMap: map[string]string{"s": "$.detail.status"}, InputTemplate: `<s>`, RetryAttempts: tc.retries, OnFailure: tc.onFailure}}
			e := testRules(rules, inv)
			e.observe(sfn.StatusChange{ExecutionARN: "arn:x", Status: sfn.StatusAborted})
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			require.NoError(t, e.wait(ctx), "every delivery ends")
			time.Sleep(20 * time.Millisecond)
			e.stop(t.Context())
			assert.Equal(t, tc.wantCalls, inv.count())
			assert.Equal(t, tc.wantKept, e.dlq.parkedCount())
			for _, c := range inv.calls {
				assert.Equal(t, `"ABORTED"`, c, "the same payload every time")
			}
		})
	}
}

func failFirst(n int, err error) func(int) error {
	return func(call int) error {
		if call <= n {
			return err
		}
		return nil
	}
}

// A dead letter the store keeps refusing is redriven at a bounded rate
// and logged at a bounded rate (issue 12): its failed redrives are logged
// at the 1st, 2nd, 4th, 8th... (and when the error changes), not each
// time; and however many letters wait, the queue redrives no faster than
// its limit.
func TestDeadLettersRedriveBounded(t *testing.T) {
	t.Run("the log", func(t *testing.T) {
		var logs strings.Builder
		var mu sync.Mutex
		inv := &countingInvoker{fail: func(n int) error {
			if n <= 43 { // the 3 deliveries, then 40 redrives fail
				return errors.New("store busy")
			}
			return nil
		}}
		rules := []slsconfig.EventRule{{Function: "f", Pattern: map[string]any{"detail": map[string]any{"status": []any{"FAILED"}}},
			RetryAttempts: 2, OnFailure: "q"}}
		e := testRules(rules, inv)
		e.log = slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, nil))
		e.dlq.log = e.log
		e.observe(sfn.StatusChange{ExecutionARN: "arn:x", Status: sfn.StatusFailed})
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		require.NoError(t, e.wait(ctx), "recorded in the end")
		e.stop(t.Context())
		assert.Equal(t, 44, inv.count())
		mu.Lock()
		defer mu.Unlock()
		var logged []float64
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(line), &m), line)
			if m["msg"] == "eventbridge: dead letter redrive failed" {
				logged = append(logged, m["redrives"].(float64))
			}
		}
		assert.Equal(t, []float64{1, 2, 4, 8, 16, 32}, logged, "40 failed redrives, 6 lines")
		assert.Contains(t, logs.String(), `"msg":"eventbridge: dead letter redriven","function":"f","executionArn":"arn:x","status":"FAILED","redrives":41`)
	})
	t.Run("the rate", func(t *testing.T) {
		inv := &countingInvoker{fail: func(int) error { return errors.New("down") }}
		rules := []slsconfig.EventRule{{Function: "f", Pattern: map[string]any{"detail": map[string]any{"status": []any{"FAILED"}}},
			RetryAttempts: 0, OnFailure: "q"}}
		e := testRules(rules, inv)
		e.dlq.limit = rate.NewLimiter(100, 10) // 100 redrives a second across the queue
		const letters = 50
		for i := range letters {
			e.observe(sfn.StatusChange{ExecutionARN: fmt.Sprintf("arn:x:%d", i), Status: sfn.StatusFailed})
		}
		time.Sleep(500 * time.Millisecond)
		stopCtx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond) // they never get through
		defer cancel()
		e.stop(stopCtx)
		redrives := inv.count() - letters // each letter's one delivery
		t.Logf("%d redrives of %d letters in 0.5 s", redrives, letters)
		assert.LessOrEqual(t, redrives, 10+60, "the burst, then 100 a second")
		assert.Greater(t, redrives, 10, "but redriven")
	})
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Stopping the runtime ends the redrives of a store that never comes back.
func TestEventRulesStopEndsRedrives(t *testing.T) {
	inv := &countingInvoker{fail: func(int) error { return errors.New("down") }}
	rules := []slsconfig.EventRule{{Function: "f", Pattern: map[string]any{"detail": map[string]any{"status": []any{"FAILED"}}},
		RetryAttempts: 2, OnFailure: "q"}}
	e := testRules(rules, inv)
	e.observe(sfn.StatusChange{ExecutionARN: "arn:x", Status: sfn.StatusFailed})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, e.wait(ctx), context.DeadlineExceeded, "never recorded")
	stopCtx, stopCancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer stopCancel()
	done := make(chan struct{})
	go func() { e.stop(stopCtx); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("stop did not end the redrives")
	}
	n := inv.count()
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, n, inv.count(), "nothing is sent after stop")
	assert.Greater(t, n, 3, "redriven after the retries")
}

// fakeExecutions lists fixed executions.
type fakeExecutions []sfn.ExecutionInfo

func (f fakeExecutions) ListExecutions(_ context.Context, _, _ string) ([]sfn.ExecutionInfo, error) {
	return f, nil
}

// TestRedeliverAfterRestart: with a data directory, a start delivers only
// the status changes the ledger does not list as completed: a delivery a
// stop or crash cut short is made again, a completed one is not, and the
// ledger keeps only the keys of executions the engine still holds.
func TestRedeliverAfterRestart(t *testing.T) {
	dir := t.TempDir()
	rules := []slsconfig.EventRule{{Function: "f", Pattern: map[string]any{"detail": map[string]any{"status": []any{"FAILED", "ABORTED"}}},
		InputPathsMap: map[string]string{"n": "$.detail.name"}, InputTemplate: `<n>`, RetryAttempts: 2, OnFailure: "q"}}
	exec := func(name, status string) sfn.ExecutionInfo {
		return sfn.ExecutionInfo{ExecutionARN: "arn:x:" + name, StateMachineARN: "arn:sm", Name: name, Status: status, StopDate: time.Now()}
	}
	// A first run: "a" delivered; "b" ended while the store was down and the runtime stopped
	// before its redrive; the ledger also lists an execution the engine has forgotten since.
	inv := &countingInvoker{fail: func(n int) error {
		if n > 1 {
			return errors.New("down")
		}
		return nil
	}}
	first := testRules(rules, inv)
	_, err := first.redeliver(t.Context(), dir, fakeExecutions{}, []string{"arn:sm"})
	require.NoError(t, err)
	first.observe(sfn.StatusChange{ExecutionARN: "arn:x:a", Name: "a", Status: sfn.StatusFailed})
	require.Eventually(t, func() bool { return inv.count() == 1 }, 5*time.Second, time.Millisecond)
	require.NoError(t, first.ledger.add(deliveryKey("f", "arn:x:gone", sfn.StatusAborted)))
	first.observe(sfn.StatusChange{ExecutionARN: "arn:x:b", Name: "b", Status: sfn.StatusAborted})
	require.Eventually(t, func() bool { return inv.count() > 4 }, 5*time.Second, time.Millisecond, "in the dead-letter queue")
	stopCtx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
	defer cancel()
	first.stop(stopCtx)

	// The restart: "a" and "b" ended, "c" ended too but no rule matches it, "d" still runs.
	again := &countingInvoker{}
	second := testRules(rules, again)
	n, err := second.redeliver(t.Context(), dir, fakeExecutions{exec("a", sfn.StatusFailed), exec("b", sfn.StatusAborted),
		exec("c", sfn.StatusSucceeded), {ExecutionARN: "arn:x:d", Name: "d", Status: sfn.StatusRunning}}, []string{"arn:sm"})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	require.NoError(t, second.wait(t.Context()))
	second.stop(t.Context())
	assert.Equal(t, []string{`"b"`}, again.calls, "only the delivery that was cut short")

	_, done, err := openLedger(dir)
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{deliveryKey("f", "arn:x:a", sfn.StatusFailed): true, deliveryKey("f", "arn:x:b", sfn.StatusAborted): true}, done,
		"completed deliveries of executions still held")

	// A third start delivers nothing.
	third := testRules(rules, &countingInvoker{})
	n, err = third.redeliver(t.Context(), dir, fakeExecutions{exec("a", sfn.StatusFailed), exec("b", sfn.StatusAborted)}, []string{"arn:sm"})
	require.NoError(t, err)
	assert.Zero(t, n)
	third.stop(t.Context())
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
