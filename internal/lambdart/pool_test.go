package lambdart

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// testBinary builds testdata/<name> once per test binary.
func testBinary(t testing.TB, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "lambdart-test-")
		if buildErr != nil {
			return
		}
		for _, n := range []string{"echo", "hello"} {
			if buildErr = Build(context.Background(), "../..", "./internal/lambdart/testdata/"+n, filepath.Join(buildDir, n)); buildErr != nil {
				return
			}
		}
	})
	require.NoError(t, buildErr, "build the test functions")
	return filepath.Join(buildDir, name)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

func echoPool(t *testing.T, cfg Config) *Pool {
	cfg.Name = "echo"
	cfg.Binary = testBinary(t, "echo")
	p, err := NewPool(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

type echoOut struct {
	Echo        json.RawMessage `json:"echo"`
	Env         string          `json:"env"`
	PID         int             `json:"pid"`
	HasDeadline bool            `json:"hasDeadline"`
}

func invokeEcho(t *testing.T, p *Pool, in string) (echoOut, error) {
	t.Helper()
	b, err := p.Invoke(context.Background(), []byte(in))
	var out echoOut
	if err == nil {
		require.NoError(t, json.Unmarshal(b, &out), string(b))
	}
	return out, err
}

func TestPoolRealBootstrap(t *testing.T) {
	p := echoPool(t, Config{Timeout: 30 * time.Second, Env: map[string]string{"GREETING": "hi"}})

	out, err := invokeEcho(t, p, `{"echo":{"x":[1,2]},"env":"GREETING"}`)
	require.NoError(t, err)
	assert.JSONEq(t, `{"x":[1,2]}`, string(out.Echo))
	assert.Equal(t, "hi", out.Env)
	assert.True(t, out.HasDeadline, "the deadline header becomes the handler's context deadline")

	again, err := invokeEcho(t, p, `{"env":"AWS_LAMBDA_FUNCTION_NAME"}`)
	require.NoError(t, err)
	assert.Equal(t, out.PID, again.PID, "a warm process serves the next invocation")
	assert.Equal(t, "echo", again.Env)
	assert.Equal(t, Stats{Started: 1, Running: 1, Idle: 1}, p.Stats())
}

func TestPoolErrors(t *testing.T) {
	tests := []struct {
		name, in, wantType, wantMsgPrefix string
		replaced                          bool
	}{
		{"named error", `{"fail":"x"}`, "BadInput", "bad input: x", false},
		{"panic", `{"panic":"oops"}`, "string", "oops", true},
		{"exit", `{"exit":2}`, "Runtime.ExitError", "RequestId: ", true},
		{"timeout", `{"sleepMs":5000}`, "Sandbox.Timedout", "RequestId: ", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := echoPool(t, Config{Timeout: 300 * time.Millisecond})
			first, err := invokeEcho(t, p, `{}`)
			require.NoError(t, err)
			_, err = invokeEcho(t, p, tc.in)
			var e messages.InvokeResponse_Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.wantType, e.Type)
			assert.Contains(t, e.Message, tc.wantMsgPrefix)
			// The pool still serves: the same process after a handled
			// error, a new one after an exit, a panic or a timeout.
			next, err := invokeEcho(t, p, `{}`)
			require.NoError(t, err)
			assert.Equal(t, tc.replaced, next.PID != first.PID)
		})
	}
}

func TestPoolTimeoutMessage(t *testing.T) {
	p := echoPool(t, Config{Timeout: 200 * time.Millisecond})
	_, err := invokeEcho(t, p, `{"sleepMs":5000}`)
	var e messages.InvokeResponse_Error
	require.ErrorAs(t, err, &e)
	assert.Regexp(t, `^RequestId: [0-9a-f-]{36} Error: Task timed out after 0\.20 seconds$`, e.Message)
	assert.Equal(t, 1, p.Stats().Killed)
}

func TestPoolInitFailure(t *testing.T) {
	p := echoPool(t, Config{Env: map[string]string{"ECHO_FAIL_INIT": "1"}})
	_, err := invokeEcho(t, p, `{}`)
	var e messages.InvokeResponse_Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "Runtime.ExitError", e.Type)
	assert.Contains(t, e.Message, "exit status 3")
	assert.Equal(t, 0, p.Stats().Running)
}

func TestPoolConcurrencyBound(t *testing.T) {
	p := echoPool(t, Config{MaxProcesses: 2, Timeout: 30 * time.Second})
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Go(func() {
			_, err := p.Invoke(context.Background(), []byte(`{"sleepMs":50}`))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	s := p.Stats()
	assert.LessOrEqual(t, s.Started, 2)
	assert.Equal(t, s.Started, s.Idle)
}

func TestPoolContextCancelKillsProcess(t *testing.T) {
	p := echoPool(t, Config{Timeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := p.Invoke(ctx, []byte(`{"sleepMs":60000}`))
		done <- err
	}()
	// Cancel once the process holds the event.
	require.Eventually(t, func() bool { return p.Stats().Running == 1 }, 10*time.Second, 5*time.Millisecond)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	assert.Equal(t, 0, p.Stats().Running)
}

func TestPoolClosed(t *testing.T) {
	p := echoPool(t, Config{})
	require.NoError(t, p.Close())
	_, err := p.Invoke(context.Background(), []byte(`{}`))
	require.ErrorIs(t, err, ErrClosed)
}

func TestMeasureColdStart(t *testing.T) {
	cs, err := MeasureColdStart(context.Background(), Config{Name: "hello", Binary: testBinary(t, "hello")}, []byte(`{}`))
	require.NoError(t, err)
	assert.Positive(t, cs.Init)
	assert.GreaterOrEqual(t, cs.FirstInvoke, cs.Init)
}
