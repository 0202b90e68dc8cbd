package offline

import "runtime"

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
