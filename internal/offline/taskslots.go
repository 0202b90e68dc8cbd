package offline

import (
	"context"
	"fmt"
	"runtime"

	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// Under load the state machine's tasks, not the API, are what the runtime
// has too many of: every execution started runs its tasks at once, each an
// SDK call to dynalite (one Node process) or the embedded S3. Unbounded,
// make load held ~1,700 tasks in flight, each with its goroutines, its
// connection and its buffers: hundreds of MB of peak heap, GC, and HTTP
// handlers waiting for a CPU behind them. Bounding the tasks running at once
// makes the queue form in front of the tasks, where a waiting task is a
// parked goroutine, while the API's own calls (the authorizer, start,
// describe) are never bounded and so come first.

// defaultTaskSlotsPerCPU times GOMAXPROCS is the default bound on the
// state machines' in-process tasks running at once: enough to keep
// dynalite and the CPUs busy, few enough that a burst queues cheaply.
const defaultTaskSlotsPerCPU = 32

// taskSlots bounds the in-process tasks running at once across all
// functions.
type taskSlots chan struct{}

// newTaskSlots returns a bound of n tasks at once; n <= 0 means the
// default, defaultTaskSlotsPerCPU per CPU.
func newTaskSlots(n int) taskSlots {
	if n <= 0 {
		n = defaultTaskSlotsPerCPU * runtime.GOMAXPROCS(0)
	}
	return make(taskSlots, n)
}

// bound returns inv, running once a slot is free. A task that waits for a
// slot has its task timeout running, as a throttled Lambda invocation does.
func (s taskSlots) bound(inv sfn.Invoker) sfn.Invoker {
	return slotInvoker{slots: s, inv: inv}
}

type slotInvoker struct {
	slots taskSlots
	inv   sfn.Invoker
}

// Invoke implements sfn.Invoker.
func (b slotInvoker) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	select {
	case b.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for a task slot: %w", ctx.Err())
	}
	defer func() { <-b.slots }()
	return b.inv.Invoke(ctx, payload)
}
