package offline

import (
	"context"
	"runtime"
	"time"

	"github.com/asyncjobs/stepjobs/internal/cpushare"
	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// Under load the state machine's tasks, not the API, are what the runtime
// has too many of: every execution started runs its tasks at once, each an
// SDK call to dynalite (one Node process) or the embedded S3. Unbounded,
// make load held ~1,700 tasks in flight, each with its goroutines, its
// connection and its buffers: hundreds of MB of peak heap, GC, and HTTP
// handlers waiting for a CPU behind them. The engine bounds the in-process
// functions' tasks running at once (sfn.Config.TaskConcurrency): the queue
// forms in front of the tasks, where a waiting task is a queued
// continuation, not a goroutine, while the API's own calls (the
// authorizer, start, describe) are never bounded and so come first.

// defaultTaskSlotsPerCPU times GOMAXPROCS is the default bound on the
// state machines' in-process tasks running at once: enough to keep
// dynalite and the CPUs busy, few enough that a burst queues cheaply.
const defaultTaskSlotsPerCPU = 32

// taskConcurrency is the engine's bound for Config.TaskConcurrency n:
// none for a process pool, which bounds itself (LambdaProcesses), else n,
// or the default, defaultTaskSlotsPerCPU per CPU, for n <= 0.
func taskConcurrency(mode string, n int) int {
	switch {
	case mode == LambdaProcess:
		return 0
	case n <= 0:
		return defaultTaskSlotsPerCPU * runtime.GOMAXPROCS(0)
	}
	return n
}

// taskCPULease is how long a task's hold on a CPU share counts without a
// wait on a store: a task's bursts of CPU between store calls last well
// under a millisecond here, so one that holds longer is most likely
// blocked on something the share cannot see (a callback receiver, a
// sleep), and the next task goes.
const taskCPULease = 10 * time.Millisecond

// taskCPU is the CPU shares of the in-process tasks for
// Config.TaskCPUs n: half the CPUs (at least 1) for n == 0, none (no
// bound) for n < 0. On 2 CPUs, under starts at 1,000/s, one share cut
// start-execution's p99 from 107-139 ms to 21-27 ms (make bench-e2e).
func taskCPU(n int) *cpushare.Limit {
	switch {
	case n < 0:
		return nil
	case n == 0:
		n = max(runtime.GOMAXPROCS(0)/2, 1)
	}
	return cpushare.New(n, taskCPULease)
}

// background is inv as the state machines, event rules and queues call
// it: holding one of the tasks' CPU shares. The gateway calls functions
// (authorizers, proxy routes) for a request, and so without one.
func (s *Server) background(inv sfn.Invoker) sfn.Invoker {
	if s.taskCPU == nil {
		return inv
	}
	return cpuBoundInvoker{s.taskCPU, inv}
}

// backgroundInvoker is the invoker of the function key, as background.
func (s *Server) backgroundInvoker(key string) (sfn.Invoker, bool) {
	inv, ok := s.invokers.invoker(key)
	if !ok {
		return nil, false
	}
	return s.background(inv), true
}

// cpuBoundInvoker runs an in-process function holding a CPU share, which
// it gives back while it waits on the stores' clients (storeTransport).
type cpuBoundInvoker struct {
	cpu *cpushare.Limit
	inv sfn.Invoker
}

// Invoke implements sfn.Invoker.
func (i cpuBoundInvoker) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	ctx, leave := i.cpu.Enter(ctx)
	defer leave()
	return i.inv.Invoke(ctx, payload)
}
