package faults

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/sfn"
)

func TestParseTaskFaults(t *testing.T) {
	testParse(t, ParseTaskFaults, []parseCase[TaskFault]{
		{name: "empty", spec: "", want: map[string]TaskFault{}},
		{name: "error with type and latency", spec: "batchSimulation:error=0.2:Lambda.ServiceException,latency=50ms",
			want: map[string]TaskFault{"batchSimulation": {ErrorRate: 0.2, ErrorType: "Lambda.ServiceException", Latency: 50 * time.Millisecond}}},
		{name: "default error type", spec: "tracking:error=1", want: map[string]TaskFault{"tracking": {ErrorRate: 1, ErrorType: "Lambda.ServiceException"}}},
		{name: "two functions, spaces", spec: " tracking:error=0.1:TransientError ; statusUpdate:timeout=0.05 ",
			want: map[string]TaskFault{"tracking": {ErrorRate: 0.1, ErrorType: "TransientError"}, "statusUpdate": {TimeoutRate: 0.05}}},
		{name: "lost answers", spec: "statusUpdate:lost=0.1,timeout=0.05",
			want: map[string]TaskFault{"statusUpdate": {LostRate: 0.1, TimeoutRate: 0.05}}},
		{name: "lost rate above 1", spec: "statusUpdate:lost=2", wantErr: `rate "2"`},
		{name: "merged", spec: "tracking:error=0.1;tracking:latency=1s",
			want: map[string]TaskFault{"tracking": {ErrorRate: 0.1, ErrorType: "Lambda.ServiceException", Latency: time.Second}}},
		{name: "rate above 1", spec: "tracking:error=1.5", wantErr: `rate "1.5"`},
		{name: "negative rate", spec: "tracking:timeout=-0.1", wantErr: `rate "-0.1"`},
		{name: "NaN", spec: "tracking:timeout=NaN", wantErr: `rate "NaN"`},
		{name: "bad latency", spec: "tracking:latency=fast", wantErr: `latency "fast"`},
		{name: "unknown rule", spec: "tracking:crash=1", wantErr: `unknown rule "crash"`},
		{name: "no target", spec: ":error=1", wantErr: "want TARGET:RULE"},
		{name: "no rules", spec: "tracking:", wantErr: "want TARGET:RULE"},
		{name: "rule without value", spec: "tracking:error", wantErr: "want NAME=VALUE"},
		{name: "bad error type", spec: "tracking:error=0.1:bad type", wantErr: `error type "bad type"`},
	})
}

func TestParseStoreFaults(t *testing.T) {
	testParse(t, ParseStoreFaults, []parseCase[StoreFault]{
		{name: "s3 default 503", spec: "s3:error=0.1", want: map[string]StoreFault{"s3": {ErrorRate: 0.1, Status: 503}}},
		{name: "dynamodb reset and latency", spec: "dynamodb:error=0.05:reset,latency=5ms",
			want: map[string]StoreFault{"dynamodb": {ErrorRate: 0.05, Latency: 5 * time.Millisecond}}},
		{name: "500", spec: "s3:error=1:500", want: map[string]StoreFault{"s3": {ErrorRate: 1, Status: 500}}},
		{name: "unknown store", spec: "sqs:error=0.1", wantErr: `unknown store "sqs"`},
		{name: "unknown status", spec: "s3:error=0.1:404", wantErr: `store error "404"`},
		{name: "timeout is a task rule", spec: "s3:timeout=0.1", wantErr: `unknown rule "timeout"`},
	})
}

// parseCase is a row of a parser's test: spec reads as want, or fails with
// an error containing wantErr.
type parseCase[F any] struct {
	name    string
	spec    string
	want    map[string]F
	wantErr string
}

func testParse[F any](t *testing.T, parse func(string) (map[string]F, error), tests []parseCase[F]) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parse(tc.spec)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// Whatever the input, the parsers return faults that are valid and that
// read back the same from their String form, or an error; never a panic.
func FuzzParseFaults(f *testing.F) {
	for _, s := range []string{"batchSimulation:error=0.2:Lambda.ServiceException,latency=50ms", "s3:error=0.1;dynamodb:error=0.05:reset",
		"a:timeout=1", "a:lost=0.5,timeout=0.25", ";;", "x:error=1e-3", "s3:latency=1h", "t:error=0.5:A.B_c-d,timeout=0.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		if tasks, err := ParseTaskFaults(spec); err == nil {
			for k, tf := range tasks {
				require.NotEmpty(t, k)
				require.True(t, tf.ErrorRate >= 0 && tf.ErrorRate <= 1 && tf.TimeoutRate >= 0 && tf.TimeoutRate <= 1 &&
					tf.LostRate >= 0 && tf.LostRate <= 1, "%+v", tf)
				require.True(t, tf.Latency >= 0 && tf.Latency <= time.Hour)
				if tf.ErrorRate > 0 {
					require.True(t, validErrorType(tf.ErrorType))
				}
			}
			again, err := ParseTaskFaults(Faults{Tasks: tasks}.String())
			require.NoError(t, err, Faults{Tasks: tasks}.String())
			for k, tf := range tasks {
				if tf != (TaskFault{}) {
					require.Equal(t, tf.Latency, again[k].Latency)
					require.Equal(t, tf.LostRate > 0, again[k].LostRate > 0, "lost survives the round trip")
				}
			}
		}
		if stores, err := ParseStoreFaults(spec); err == nil {
			for k, sf := range stores {
				require.Contains(t, []string{StoreDynamoDB, StoreS3}, k)
				require.Contains(t, []int{0, 500, 503}, sf.Status)
				require.True(t, sf.ErrorRate >= 0 && sf.ErrorRate <= 1)
			}
		}
	})
}

// The decisions are fixed by the seed, the payload and its repetition,
// whatever the order of the calls; the rates are about right.
func TestFaultyInvokerDecisions(t *testing.T) {
	ok := sfn.InvokerFunc(func(context.Context, []byte) ([]byte, error) { return []byte(`{}`), nil })
	run := func(order []int) map[int][]bool {
		inv := NewInvoker("batchSimulation", ok, TaskFault{ErrorRate: 0.3, ErrorType: "TransientError"}, 42)
		out := map[int][]bool{}
		for _, i := range order {
			_, err := inv.Invoke(context.Background(), []byte(`{"jobId":"`+strings.Repeat("x", i)+`"}`))
			out[i] = append(out[i], err != nil)
		}
		return out
	}
	var forward, backward []int
	for i := range 500 {
		forward = append(forward, i, i)
		backward = append([]int{i, i}, backward...)
	}
	a, b := run(forward), run(backward)
	assert.Equal(t, a, b, "the same decisions in any order")
	failed := 0
	for _, d := range a {
		for _, f := range d {
			if f {
				failed++
			}
		}
	}
	assert.InDelta(t, 300, failed, 60, "about 30%% of 1000 calls fail")

	// The error is named as configured, as Lambda names errors.
	inv := NewInvoker("t", ok, TaskFault{ErrorRate: 1, ErrorType: "Lambda.TooManyRequestsException"}, 1)
	_, err := inv.Invoke(context.Background(), []byte(`{}`))
	var ire messages.InvokeResponse_Error
	require.ErrorAs(t, err, &ire)
	assert.Equal(t, "Lambda.TooManyRequestsException", ire.Type)

	// A timeout hangs until the engine cancels the attempt.
	called := false
	hang := NewInvoker("t", sfn.InvokerFunc(func(context.Context, []byte) ([]byte, error) { called = true; return nil, nil }),
		TaskFault{TimeoutRate: 1}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { _, err := hang.Invoke(ctx, []byte(`{}`)); done <- err }()
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
	assert.False(t, called, "the handler never runs")

	// A lost answer: the handler runs (its writes are done), then the
	// invocation hangs until the engine cancels the attempt.
	ran := make(chan struct{})
	lost := NewInvoker("t", sfn.InvokerFunc(func(context.Context, []byte) ([]byte, error) { close(ran); return []byte(`{}`), nil }),
		TaskFault{LostRate: 1}, 1)
	ctx, cancel = context.WithCancel(context.Background())
	go func() { _, err := lost.Invoke(ctx, []byte(`{}`)); done <- err }()
	<-ran
	select {
	case err := <-done:
		t.Fatalf("a lost answer came back: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled, "the attempt ends with the task timeout, the answer never arrives")
}

func TestFaultyTransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	defer srv.Close()
	for _, tc := range []struct {
		store  string
		status int
		want   string
	}{
		{StoreS3, 503, "<Code>SlowDown</Code>"},
		{StoreS3, 500, "<Code>InternalError</Code>"},
		{StoreDynamoDB, 503, "#ServiceUnavailable"},
		{StoreDynamoDB, 500, "#InternalServerError"},
	} {
		c := HTTPClient(tc.store, Faults{Stores: map[string]StoreFault{tc.store: {ErrorRate: 1, Status: tc.status}}}, http.DefaultTransport)
		res, err := c.Get(srv.URL)
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		assert.Equal(t, tc.status, res.StatusCode)
		assert.Contains(t, string(body), tc.want)
	}
	c := HTTPClient(StoreS3, Faults{Stores: map[string]StoreFault{StoreS3: {ErrorRate: 1}}}, http.DefaultTransport)
	_, err := c.Get(srv.URL)
	var opErr *net.OpError
	assert.True(t, errors.As(err, &opErr), "a connection reset: %v", err)

	c = HTTPClient(StoreS3, Faults{Stores: map[string]StoreFault{StoreS3: {ErrorRate: 0.5, Status: 503}}, Seed: 7}, http.DefaultTransport)
	failed := 0
	for range 200 {
		res, err := c.Get(srv.URL)
		require.NoError(t, err)
		_ = res.Body.Close()
		if res.StatusCode == 503 {
			failed++
		}
	}
	assert.InDelta(t, 100, failed, 30)
	c = HTTPClient(StoreS3, Faults{}, http.DefaultTransport)
	res, err := c.Get(srv.URL)
	require.NoError(t, err)
	_ = res.Body.Close()
	assert.Equal(t, 200, res.StatusCode, "no faults configured")
}
