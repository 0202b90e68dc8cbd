package offline

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/cpushare"
	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// The engine's bound: the flag's value, its default per CPU, and none for
// a process pool, which bounds itself.
func TestTaskConcurrency(t *testing.T) {
	def := defaultTaskSlotsPerCPU * runtime.GOMAXPROCS(0)
	tests := []struct {
		mode string
		n    int
		want int
	}{
		{"", 0, def},
		{"", -1, def},
		{"", 5, 5},
		{LambdaInProcess, 7, 7},
		{LambdaProcess, 0, 0},
		{LambdaProcess, 5, 0},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, taskConcurrency(tt.mode, tt.n), "mode %q, n %d", tt.mode, tt.n)
	}
}

// The tasks' CPU shares: half the CPUs by default, at least one; none
// when negative.
func TestTaskCPU(t *testing.T) {
	assert.Nil(t, taskCPU(-1))
	assert.Equal(t, max(runtime.GOMAXPROCS(0)/2, 1), taskCPU(0).Size())
	assert.Equal(t, 3, taskCPU(3).Size())
}

// A function runs holding a share, gives it back while its store call
// waits (storeTransport), and gives it back when it returns.
func TestCPUBoundInvoker(t *testing.T) {
	cpu := cpushare.New(1, time.Hour)
	var during bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		ctx, leave := cpu.Enter(ctx) // the only share: free while the caller waits
		during = cpushare.Holds(ctx)
		leave()
	}))
	defer srv.Close()
	client := &http.Client{Transport: storeTransport()}
	var before, after bool
	inv := cpuBoundInvoker{cpu, sfn.InvokerFunc(func(ctx context.Context, _ []byte) ([]byte, error) {
		before = cpushare.Holds(ctx)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		resp, err := client.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		after = cpushare.Holds(ctx)
		return nil, nil
	})}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := inv.Invoke(ctx, nil)
	require.NoError(t, err)
	assert.True(t, before, "the function holds a share")
	assert.True(t, during, "the share was free during the store call")
	assert.True(t, after, "and held again after it")
	ctx, leave := cpu.Enter(ctx)
	assert.True(t, cpushare.Holds(ctx), "given back at the end")
	leave()
}

// Background callers (the engine, event rules, queues) run a function
// holding a CPU share; the gateway, serving a request, runs it without.
func TestBackgroundHoldsAShareTheGatewayDoesNot(t *testing.T) {
	var held bool
	inv := sfn.InvokerFunc(func(ctx context.Context, _ []byte) ([]byte, error) {
		held = cpushare.Holds(ctx)
		return nil, nil
	})
	s := &Server{taskCPU: cpushare.New(1, time.Hour), invokers: &functionInvokers{invokers: map[string]sfn.Invoker{"f": inv}}}
	ctx := context.Background()

	bg, ok := s.backgroundInvoker("f")
	require.True(t, ok)
	_, err := bg.Invoke(ctx, nil)
	require.NoError(t, err)
	assert.True(t, held, "event rules and queues")

	_, err = s.background(inv).Invoke(ctx, nil)
	require.NoError(t, err)
	assert.True(t, held, "the engine")

	_, err = s.invokers.Invoke(ctx, "f", nil)
	require.NoError(t, err)
	assert.False(t, held, "the gateway")

	_, ok = s.backgroundInvoker("nope")
	assert.False(t, ok)
	s.taskCPU = nil // --task-cpus -1, or process mode
	_, err = s.background(inv).Invoke(ctx, nil)
	require.NoError(t, err)
	assert.False(t, held)
}
