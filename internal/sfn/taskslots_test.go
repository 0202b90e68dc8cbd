package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The queue serves first come first; a dropped wait never runs, and every
// slot comes back.
func TestTaskSlotsOrder(t *testing.T) {
	s := newTaskSlots(1)
	require.True(t, s.tryTake())
	assert.False(t, s.tryTake(), "one slot")
	var ran []string
	wait := func(name string) *slotWait {
		w := &slotWait{run: func() { ran = append(ran, name) }}
		require.False(t, s.take(w), "%s: no slot is free", name)
		return w
	}
	first := wait("a")
	wait("b")
	middle := wait("c")
	wait("d")
	last := wait("e")
	for _, w := range []*slotWait{middle, first, last} {
		assert.True(t, s.drop(w))
		assert.False(t, s.drop(w), "dropped once")
	}
	assert.Equal(t, 2, s.waiting())
	s.release()
	s.release()
	assert.Equal(t, []string{"b", "d"}, ran)
	assert.Equal(t, 0, s.waiting())
	s.release()
	assert.Equal(t, 1, s.free, "the slot came back")
	assert.True(t, s.tryTake())
	s.release()
}

// wait blocks for a slot and gives up with its context, taking none.
func TestTaskSlotsWait(t *testing.T) {
	s := newTaskSlots(1)
	require.NoError(t, s.wait(context.Background()))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.wait(ctx)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled), "err = %v", err)

	got := make(chan error)
	go func() { got <- s.wait(context.Background()) }()
	require.Eventually(t, func() bool { return s.waiting() == 1 }, 10*time.Second, time.Millisecond)
	s.release()
	require.NoError(t, <-got, "the slot passed to the waiting call")
	s.release()
	assert.Equal(t, 1, s.free)
	assert.Equal(t, 0, s.waiting())

	var none *taskSlots
	assert.NoError(t, none.wait(ctx), "no bound")
	none.release()
}

// slotGate is a function whose calls block until released, recording the
// order they came in and how many ran at once.
type slotGate struct {
	entered chan string
	release chan struct{}
	mu      sync.Mutex
	running int
	peak    int
}

func newSlotGate() *slotGate {
	return &slotGate{entered: make(chan string, 16), release: make(chan struct{})}
}

func (g *slotGate) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	var in struct{ ID, Step string }
	if err := json.Unmarshal(payload, &in); err != nil {
		return nil, err
	}
	g.mu.Lock()
	g.running++
	g.peak = max(g.peak, g.running)
	g.mu.Unlock()
	g.entered <- in.ID + "." + in.Step
	<-g.release
	g.mu.Lock()
	g.running--
	g.mu.Unlock()
	return []byte(`{}`), nil
}

// next is the call that came in next.
func (g *slotGate) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-g.entered:
		return s
	case <-time.After(10 * time.Second):
		require.FailNow(t, "no call came in")
		return ""
	}
}

func (g *slotGate) idle(t *testing.T) {
	t.Helper()
	select {
	case s := <-g.entered:
		assert.Fail(t, "a call beyond the bound ran", s)
	default:
	}
}

// queued waits until n tasks wait for a slot.
func queued(t *testing.T, e *Engine, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return e.slots.waiting() == n },
		10*time.Second, time.Millisecond, "want %d tasks waiting for a slot", n)
}

func slotEngine(t *testing.T, n int, g *slotGate, defs map[string]string) (*Engine, map[string]string) {
	t.Helper()
	reg := NewRegistry()
	reg.RegisterFunction("gate", g)
	reg.RegisterResource("arn:aws:states:::sqs:sendMessage", InvokerFunc(func(context.Context, []byte) ([]byte, error) {
		return []byte(`{}`), nil
	}))
	e := New(Config{Clock: NewFakeClock(time.Unix(0, 0)), Invokers: reg, TaskConcurrency: n})
	arns := map[string]string{}
	for name, def := range defs {
		sm, err := e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: name, Definition: def, RoleARN: "r"})
		require.NoError(t, err)
		arns[name] = sm.ARN
	}
	return e, arns
}

const gateARN = "arn:aws:lambda:us-east-1:123456789012:function:gate"

// Function tasks beyond the bound wait, and run first come first served,
// whichever their kind of Lambda task.
func TestTaskConcurrencyFirstComeFirstServed(t *testing.T) {
	g := newSlotGate()
	def := `{"StartAt":"T1","States":{
		"T1":{"Type":"Task","Resource":"` + gateARN + `","Parameters":{"ID.$":"$.id","Step":"1"},"ResultPath":null,"Next":"T2"},
		"T2":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"gate","Payload":{"ID.$":"$.id","Step":"2"}},"End":true}}}`
	e, arns := slotEngine(t, 1, g, map[string]string{"m": def})
	ctx := context.Background()
	var execs []string
	var order []string
	for i, id := range []string{"a", "b", "c"} {
		info, err := e.StartExecution(ctx, arns["m"], id, `{"id":"`+id+`"}`)
		require.NoError(t, err)
		execs = append(execs, info.ExecutionARN)
		if i == 0 {
			// a holds the slot before the others start.
			order = append(order, g.next(t))
		}
		// One arrival at a time, for a known queue order.
		queued(t, e, i)
	}
	g.idle(t)
	// After each release, the released execution's next task (if any)
	// queues too: wait for it, so that the order is the queue's.
	for _, waiting := range []int{2, 2, 2, 1, 0} {
		g.release <- struct{}{}
		order = append(order, g.next(t))
		queued(t, e, waiting)
		g.idle(t)
	}
	g.release <- struct{}{}
	assert.Equal(t, []string{"a.1", "b.1", "c.1", "a.2", "b.2", "c.2"}, order)
	for _, arn := range execs {
		d, err := e.Wait(ctx, arn)
		require.NoError(t, err)
		assert.Equal(t, StatusSucceeded, d.Status)
	}
	assert.Equal(t, 1, g.peak)
	require.NoError(t, e.WaitIdle(ctx))
	assert.Equal(t, 1, e.slots.free, "no slot leaked")
}

// A task waiting for a slot times out, or ends with its execution, without
// running; a service integration's task takes no slot.
func TestTaskConcurrencyWhileQueued(t *testing.T) {
	defs := map[string]string{
		"hold":    `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + gateARN + `","Parameters":{"ID":"hold","Step":"1"},"End":true}}}`,
		"timeout": `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + gateARN + `","Parameters":{"ID":"late","Step":"1"},"TimeoutSeconds":5,"End":true}}}`,
		"service": `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl":"q"},"End":true}}}`,
	}
	tests := []struct {
		name   string
		end    func(t *testing.T, e *Engine, clock *FakeClock, arn string)
		status string
		last   EventType
	}{
		{"timeout", func(_ *testing.T, _ *Engine, clock *FakeClock, _ string) { clock.Advance(5 * time.Second) },
			StatusFailed, "ExecutionFailed"},
		{"stop", func(t *testing.T, e *Engine, _ *FakeClock, arn string) {
			_, err := e.StopExecution(context.Background(), arn, nil, nil)
			require.NoError(t, err)
		}, StatusAborted, "ExecutionAborted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newSlotGate()
			e, arns := slotEngine(t, 1, g, defs)
			clock := e.cfg.Clock.(*FakeClock)
			ctx := context.Background()
			hold, err := e.StartExecution(ctx, arns["hold"], "", "{}")
			require.NoError(t, err)
			assert.Equal(t, "hold.1", g.next(t))
			late, err := e.StartExecution(ctx, arns["timeout"], "", "{}")
			require.NoError(t, err)
			queued(t, e, 1)

			svc, err := e.StartExecution(ctx, arns["service"], "", "{}")
			require.NoError(t, err)
			d, err := e.Wait(ctx, svc.ExecutionARN)
			require.NoError(t, err)
			assert.Equal(t, StatusSucceeded, d.Status, "a service task runs while the slot is held")

			tt.end(t, e, clock, late.ExecutionARN)
			d, err = e.Wait(ctx, late.ExecutionARN)
			require.NoError(t, err)
			assert.Equal(t, tt.status, d.Status)
			queued(t, e, 0)
			h, err := e.History(ctx, late.ExecutionARN)
			require.NoError(t, err)
			assert.Equal(t, tt.last, h[len(h)-1].Type)
			if tt.status == StatusFailed {
				assert.Equal(t, "States.Timeout", *d.Error)
				assert.Contains(t, eventTypes(h), "LambdaFunctionTimedOut")
			}

			g.release <- struct{}{}
			d, err = e.Wait(ctx, hold.ExecutionARN)
			require.NoError(t, err)
			assert.Equal(t, StatusSucceeded, d.Status)
			require.NoError(t, e.WaitIdle(ctx))
			g.idle(t)
			assert.Equal(t, 1, g.peak)
			assert.Equal(t, 1, e.slots.free, "no slot leaked")
			assert.Equal(t, 0, clock.Pending(), "no timer left")
		})
	}
}

// TestState's function invocation takes a slot too: with none free it
// times out as the state's TimeoutSeconds says, without invoking.
func TestTaskConcurrencyTestState(t *testing.T) {
	var calls atomic.Int32
	reg := NewRegistry()
	reg.RegisterFunction("f", InvokerFunc(func(context.Context, []byte) ([]byte, error) {
		calls.Add(1)
		return []byte(`{"ok":true}`), nil
	}))
	e := New(Config{Invokers: reg, TaskConcurrency: 1})
	in := TestStateInput{Definition: `{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","TimeoutSeconds":1,"End":true}`,
		Input: `{}`, RoleARN: "arn:aws:iam::123456789012:role/r"}
	ctx := context.Background()

	require.True(t, e.slots.tryTake(), "hold the only slot")
	out, err := e.TestState(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, TestStatusFailed, out.Status)
	assert.Equal(t, "States.Timeout", out.Error)
	assert.Zero(t, calls.Load(), "not invoked without a slot")

	e.slots.release()
	out, err = e.TestState(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, TestStatusSucceeded, out.Status)
	assert.JSONEq(t, `{"ok":true}`, out.Output)
	assert.Equal(t, int32(1), calls.Load())
	assert.Equal(t, 1, e.slots.free, "the slot came back")
}
