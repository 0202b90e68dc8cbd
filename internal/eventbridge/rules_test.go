package eventbridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/sfn"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
	"github.com/asyncjobs/stepjobs/internal/syncbuf"
)

func TestMatchPattern(t *testing.T) {
	ev := map[string]any{"source": "aws.states", "detail": map[string]any{"status": "ABORTED", "name": "abc-1", "n": 1.0, "tags": []any{"a", "b"}}}
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
		{"wildcard", `{"detail":{"name":[{"wildcard":"a*-1"}]}}`, true},
		{"wildcard mismatch", `{"detail":{"name":[{"wildcard":"*-2"}]}}`, false},
		{"wildcard on a number", `{"detail":{"n":[{"wildcard":"*"}]}}`, false},
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

func TestMatchWildcard(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "anything", true},
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"*.png", "dir/file.png", true},
		{"*.png", "file.pngx", false},
		{"a**b", "ab", true},
		{"*a*b*", "xxaxxbxx", true},
		{"*a*b*", "xxbxxaxx", false},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{`a\\b`, `a\b`, true},
		{`*"callbackUrl"*`, `{"records":10,"callbackUrl":"https://x"}`, true},
		{`*"callbackUrl"*`, `{"records":10}`, false},
		{"*aab", "aaab", true},
		{"*ab*ab", "abxabab", true},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, matchWildcard(tc.pattern, tc.s), "%q ~ %q", tc.pattern, tc.s)
	}
}

// FuzzMatchWildcard checks the wildcard match against the same match done
// by the standard library's regexp, with the pattern translated.
func FuzzMatchWildcard(f *testing.F) {
	f.Add("a*c", "abc")
	f.Add(`*\**`, "x*y")
	f.Add("**a*", "ba")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if !utf8.ValidString(pattern) || !utf8.ValidString(s) {
			return // regexp reads runes
		}
		var re strings.Builder
		re.WriteString(`^(?s:`)
		rs := []rune(pattern)
		for i := 0; i < len(rs); i++ {
			switch {
			case rs[i] == '\\' && i+1 < len(rs):
				i++
				re.WriteString(regexp.QuoteMeta(string(rs[i])))
			case rs[i] == '*':
				re.WriteString(`.*`)
			default:
				re.WriteString(regexp.QuoteMeta(string(rs[i])))
			}
		}
		re.WriteString(`)$`)
		want := regexp.MustCompile(re.String()).MatchString(s)
		assert.Equal(t, want, matchWildcard(pattern, s), "%q ~ %q", pattern, s)
	})
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
func testRules(rules []slsconfig.EventRule, inv sfn.Invoker) *Rules {
	e := New(rules, func(string) (sfn.Invoker, bool) { return inv, true }, "us-east-1", "000000000000", slog.New(slog.DiscardHandler))
	e.retryDelay = time.Millisecond
	e.dlq.first, e.dlq.max = time.Millisecond, 4*time.Millisecond
	e.dlq.limit = rate.NewLimiter(rate.Inf, 1)
	return e
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
			e.Observe(sfn.StatusChange{ExecutionARN: "arn:x", Status: sfn.StatusAborted})
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			require.NoError(t, e.Wait(ctx), "every delivery ends")
			time.Sleep(20 * time.Millisecond)
			e.Stop(t.Context())
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
		var logs syncbuf.Buffer
		inv := &countingInvoker{fail: func(n int) error {
			if n <= 43 { // the 3 deliveries, then 40 redrives fail
				return errors.New("store busy")
			}
			return nil
		}}
		rules := []slsconfig.EventRule{{Function: "f", Pattern: map[string]any{"detail": map[string]any{"status": []any{"FAILED"}}},
			RetryAttempts: 2, OnFailure: "q"}}
		e := testRules(rules, inv)
		e.log = slog.New(slog.NewJSONHandler(&logs, nil))
		e.dlq.log = e.log
		e.Observe(sfn.StatusChange{ExecutionARN: "arn:x", Status: sfn.StatusFailed})
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		require.NoError(t, e.Wait(ctx), "recorded in the end")
		e.Stop(t.Context())
		assert.Equal(t, 44, inv.count())
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
			e.Observe(sfn.StatusChange{ExecutionARN: fmt.Sprintf("arn:x:%d", i), Status: sfn.StatusFailed})
		}
		time.Sleep(500 * time.Millisecond)
		stopCtx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond) // they never get through
		defer cancel()
		e.Stop(stopCtx)
		redrives := inv.count() - letters // each letter's one delivery
		t.Logf("%d redrives of %d letters in 0.5 s", redrives, letters)
		assert.LessOrEqual(t, redrives, 10+60, "the burst, then 100 a second")
		assert.Greater(t, redrives, 10, "but redriven")
	})
}

// Stopping the runtime ends the redrives of a store that never comes back.
// The retries and redrives wait on a fake clock, moved one timer at a time.
func TestEventRulesStopEndsRedrives(t *testing.T) {
	inv := &countingInvoker{fail: func(int) error { return errors.New("down") }}
	rules := []slsconfig.EventRule{{Function: "f", Pattern: map[string]any{"detail": map[string]any{"status": []any{"FAILED"}}},
		RetryAttempts: 2, OnFailure: "q"}}
	clock := sfn.NewFakeClock(time.Date(2026, 11, 23, 22, 0, 0, 0, time.UTC))
	e := testRules(rules, inv)
	e.clock, e.dlq.clock = clock, clock
	e.Observe(sfn.StatusChange{ExecutionARN: "arn:x", Status: sfn.StatusFailed})
	// The delivery, its 2 retries, then 3 redrives, each failed call
	// followed by one pending wait.
	for calls := 1; calls <= 6; calls++ {
		require.Eventually(t, func() bool { return inv.count() == calls && clock.Pending() == 1 }, 5*time.Second, time.Millisecond,
			"call %d, then a wait", calls)
		if calls < 6 {
			clock.FireNext()
		}
	}
	ended, cancel := context.WithCancel(t.Context())
	cancel()
	assert.ErrorIs(t, e.Wait(ended), context.Canceled, "never recorded")
	done := make(chan struct{})
	go func() { e.Stop(ended); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("stop did not end the redrives")
	}
	assert.Zero(t, clock.Pending(), "the next redrive is cancelled")
	clock.Advance(time.Hour)
	assert.Equal(t, 6, inv.count(), "nothing is sent after stop")
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
	_, err := first.Redeliver(t.Context(), dir, fakeExecutions{}, []string{"arn:sm"})
	require.NoError(t, err)
	first.Observe(sfn.StatusChange{ExecutionARN: "arn:x:a", Name: "a", Status: sfn.StatusFailed})
	require.Eventually(t, func() bool { return inv.count() == 1 }, 5*time.Second, time.Millisecond)
	require.NoError(t, first.ledger.add(deliveryKey("f", "arn:x:gone", sfn.StatusAborted)))
	first.Observe(sfn.StatusChange{ExecutionARN: "arn:x:b", Name: "b", Status: sfn.StatusAborted})
	require.Eventually(t, func() bool { return inv.count() > 4 }, 5*time.Second, time.Millisecond, "in the dead-letter queue")
	stopCtx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
	defer cancel()
	first.Stop(stopCtx)

	// The restart: "a" and "b" ended, "c" ended too but no rule matches it, "d" still runs.
	again := &countingInvoker{}
	second := testRules(rules, again)
	n, err := second.Redeliver(t.Context(), dir, fakeExecutions{exec("a", sfn.StatusFailed), exec("b", sfn.StatusAborted),
		exec("c", sfn.StatusSucceeded), {ExecutionARN: "arn:x:d", Name: "d", Status: sfn.StatusRunning}}, []string{"arn:sm"})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	require.NoError(t, second.Wait(t.Context()))
	second.Stop(t.Context())
	assert.Equal(t, []string{`"b"`}, again.calls, "only the delivery that was cut short")

	_, done, err := openLedger(dir)
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{deliveryKey("f", "arn:x:a", sfn.StatusFailed): true, deliveryKey("f", "arn:x:b", sfn.StatusAborted): true}, done,
		"completed deliveries of executions still held")

	// A third start delivers nothing.
	third := testRules(rules, &countingInvoker{})
	n, err = third.Redeliver(t.Context(), dir, fakeExecutions{exec("a", sfn.StatusFailed), exec("b", sfn.StatusAborted)}, []string{"arn:sm"})
	require.NoError(t, err)
	assert.Zero(t, n)
	third.Stop(t.Context())
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

// A rule whose target is an SQS queue sends the whole event there, with
// EventBridge's retries when the queue refuses it, and invokes nothing.
func TestQueueTarget(t *testing.T) {
	inv := &countingInvoker{}
	pattern := map[string]any{"detail": map[string]any{"status": []any{"SUCCEEDED", "FAILED"}}}
	e := testRules([]slsconfig.EventRule{{Queue: "arn:aws:sqs:us-east-1:000000000000:cb", Pattern: pattern}}, inv)
	var mu sync.Mutex
	var sends int
	var got [][]byte
	e.DeliverToQueues(func(_ context.Context, arn string, body []byte) error {
		mu.Lock()
		defer mu.Unlock()
		sends++
		if sends == 1 {
			return errors.New("queue busy")
		}
		assert.Equal(t, "arn:aws:sqs:us-east-1:000000000000:cb", arn)
		got = append(got, body)
		return nil
	})
	e.Observe(sfn.StatusChange{ExecutionARN: "arn:x", Name: "j", Status: sfn.StatusSucceeded, Input: `{"callbackUrl":"https://h/"}`})
	e.Observe(sfn.StatusChange{ExecutionARN: "arn:y", Name: "k", Status: sfn.StatusAborted})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	require.NoError(t, e.Wait(ctx))
	e.Stop(t.Context())
	assert.Zero(t, inv.count(), "no function is the target")
	assert.Equal(t, 2, sends, "refused once, then sent; the ABORTED change does not match")
	require.Len(t, got, 1)
	var ev struct {
		DetailType string `json:"detail-type"`
		Detail     struct{ Name, Input string }
	}
	require.NoError(t, json.Unmarshal(got[0], &ev), "the whole event")
	assert.Equal(t, "Step Functions Execution Status Change", ev.DetailType)
	assert.Equal(t, "j", ev.Detail.Name)
	assert.Equal(t, `{"callbackUrl":"https://h/"}`, ev.Detail.Input)
}
