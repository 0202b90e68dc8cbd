package offline

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// gate is an invoker whose calls block until released, counting the calls
// running at once.
type gate struct {
	entered chan struct{}
	release chan struct{}
	mu      sync.Mutex
	running int
	peak    int
}

func newGate() *gate { return &gate{entered: make(chan struct{}, 16), release: make(chan struct{})} }

func (g *gate) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	g.mu.Lock()
	g.running++
	g.peak = max(g.peak, g.running)
	g.mu.Unlock()
	g.entered <- struct{}{}
	<-g.release
	g.mu.Lock()
	g.running--
	g.mu.Unlock()
	return payload, nil
}

// Tasks beyond the bound wait for a slot, across functions, and each
// runs once one frees.
func TestTaskSlotsBoundAcrossFunctions(t *testing.T) {
	slots := newTaskSlots(2)
	g := newGate()
	a, b := slots.bound(g), slots.bound(g)
	var wg sync.WaitGroup
	outs := make(chan string, 5)
	for i, inv := range []sfn.Invoker{a, b, a, b, a} {
		wg.Go(func() {
			out, err := inv.Invoke(context.Background(), []byte{byte('0' + i)})
			assert.NoError(t, err)
			outs <- string(out)
		})
	}
	// Two run; the other three wait for a slot.
	<-g.entered
	<-g.entered
	select {
	case <-g.entered:
		t.Fatal("a third task ran while two held both slots")
	default:
	}
	for range 3 {
		g.release <- struct{}{}
		<-g.entered
	}
	g.release <- struct{}{}
	g.release <- struct{}{}
	wg.Wait()
	close(outs)
	var got []string
	for o := range outs {
		got = append(got, o)
	}
	assert.ElementsMatch(t, []string{"0", "1", "2", "3", "4"}, got)
	assert.Equal(t, 2, g.peak)
}

// A task whose context ends while it waits for a slot returns the
// context's error without running.
func TestTaskSlotsWaitEndsWithContext(t *testing.T) {
	slots := newTaskSlots(1)
	g := newGate()
	inv := slots.bound(g)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err := inv.Invoke(context.Background(), nil)
		assert.NoError(t, err)
	}()
	<-g.entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := inv.Invoke(ctx, nil)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled), "err = %v", err)
	g.release <- struct{}{}
	<-done
	assert.Equal(t, 1, g.peak)
}

func TestTaskSlotsDefault(t *testing.T) {
	assert.Equal(t, defaultTaskSlotsPerCPU*runtime.GOMAXPROCS(0), cap(newTaskSlots(0)))
	assert.Equal(t, 5, cap(newTaskSlots(5)))
}
