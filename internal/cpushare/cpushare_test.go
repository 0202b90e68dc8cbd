package cpushare

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// never is a lease no test outlives: holders count until they leave.
const never = time.Hour

// counted is how many of l's shares are held, read under its lock.
func counted(l *Limit) (held, free, waiting int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, g := range l.held {
		if g.s.counted && g.s.epoch == g.epoch {
			held++
		}
	}
	return held, l.free, len(l.waiters)
}

// enterSoon is Enter bounded by a generous deadline, failing the test if
// the deadline, not a share, ended the wait.
func enterSoon(t *testing.T, l *Limit) (leave func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx, leave = l.Enter(ctx)
	s := ctx.Value(shareKey{}).(*share)
	l.mu.Lock()
	got := s.counted
	l.mu.Unlock()
	require.True(t, got, "no share within 10 s")
	return leave
}

// waitFor polls cond, failing the test after a generous bound: what it
// waits for is a goroutine reaching a state, not a duration.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 10*time.Second, time.Millisecond, what)
}

func TestAtMostNHoldersRunAtOnce(t *testing.T) {
	for _, n := range []int{1, 2, 5} {
		l := New(n, never)
		var running, most atomic.Int32
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				_, leave := l.Enter(context.Background())
				defer leave()
				now := running.Add(1)
				for {
					m := most.Load()
					if now <= m || most.CompareAndSwap(m, now) {
						break
					}
				}
				time.Sleep(100 * time.Microsecond)
				running.Add(-1)
			})
		}
		wg.Wait()
		assert.EqualValues(t, n, most.Load(), "n=%d", n)
		held, free, waiting := counted(l)
		assert.Equal(t, []int{0, n, 0}, []int{held, free, waiting}, "n=%d: all shares back", n)
	}
}

func TestNewHasAtLeastOneShare(t *testing.T) {
	l := New(0, 0)
	_, leave := l.Enter(context.Background())
	_, free, _ := counted(l)
	assert.Equal(t, 0, free)
	leave()
	_, free, _ = counted(l)
	assert.Equal(t, 1, free)
	assert.Equal(t, time.Millisecond, l.lease)
}

// A holder waiting for a store's answer does not hold its share: with one
// share, a second Enter gets in while the first waits, and the first
// takes a share again when the answer comes.
func TestTransportGivesTheShareBackWhileWaiting(t *testing.T) {
	l := New(1, never)
	answer := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-answer }))
	defer srv.Close()
	var answered sync.Once
	defer answered.Do(func() { close(answer) }) // before Close, on failure too
	client := &http.Client{Transport: Transport(http.DefaultTransport)}

	ctx, leaveA := l.Enter(context.Background())
	done := make(chan error, 1)
	go func() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		if err == nil {
			var resp *http.Response
			if resp, err = client.Do(req); err == nil {
				resp.Body.Close()
			}
		}
		done <- err
	}()
	leaveB := enterSoon(t, l) // no share if A kept its own
	answered.Do(func() { close(answer) })
	waitFor(t, "A waits for a share again", func() bool { _, _, w := counted(l); return w == 1 })
	leaveB()
	require.NoError(t, <-done)
	held, free, _ := counted(l)
	assert.Equal(t, []int{1, 0}, []int{held, free}, "A holds the share after its answer")
	leaveA()
	held, free, _ = counted(l)
	assert.Equal(t, []int{0, 1}, []int{held, free})
}

func TestTransportPassesRequestsWithoutAShareThrough(t *testing.T) {
	l := New(1, never)
	_, leave := l.Enter(context.Background()) // the only share, held
	defer leave()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	resp, err := (&http.Client{Transport: Transport(http.DefaultTransport)}).Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	held, free, waiting := counted(l)
	assert.Equal(t, []int{1, 0, 0}, []int{held, free, waiting})
}

// Calls made under one share from several goroutines give it back once
// and take it again once, when the last answer comes.
func TestConcurrentWaitsUnderOneShare(t *testing.T) {
	l := New(1, never)
	ctx, leave := l.Enter(context.Background())
	s := ctx.Value(shareKey{}).(*share)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				s.pause()
				s.resume(ctx)
			}
		})
	}
	wg.Wait()
	held, free, waiting := counted(l)
	assert.Equal(t, []int{1, 0, 0}, []int{held, free, waiting})
	leave()
	held, free, _ = counted(l)
	assert.Equal(t, []int{0, 1}, []int{held, free})
}

// A holder blocked on something the Limit cannot see loses its share at
// the end of the lease, so the next Enter gets in; its own leave then
// gives nothing back twice.
func TestLeaseEndsABlockedHold(t *testing.T) {
	l := New(1, 20*time.Millisecond)
	_, leaveA := l.Enter(context.Background())
	leaveB := enterSoon(t, l) // no share if A kept its own
	leaveA()
	held, free, _ := counted(l)
	assert.Equal(t, []int{1, 0}, []int{held, free}, "B holds the one share; A's leave freed none")
	leaveB()
	held, free, _ = counted(l)
	assert.Equal(t, []int{0, 1}, []int{held, free})
}

func TestLeaseEndsWithoutWaitersToo(t *testing.T) {
	l := New(1, time.Millisecond)
	now := time.Now()
	l.now = func() time.Time { return now }
	_, leaveA := l.Enter(context.Background())
	now = now.Add(time.Second)
	_, leaveB := l.Enter(context.Background()) // A's lease has ended: no wait
	held, free, waiting := counted(l)
	assert.Equal(t, []int{1, 0, 0}, []int{held, free, waiting})
	leaveA()
	leaveB()
	held, free, _ = counted(l)
	assert.Equal(t, []int{0, 1}, []int{held, free})
	for range 100 {
		_, leave := l.Enter(context.Background())
		leave()
	}
	assert.Len(t, l.held, 1, "given-back grants do not pile up")
}

func TestEnterGivesUpWhenTheContextEnds(t *testing.T) {
	l := New(1, never)
	_, leaveA := l.Enter(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	entered := make(chan func())
	go func() {
		_, leave := l.Enter(ctx)
		entered <- leave
	}()
	waitFor(t, "B waits", func() bool { _, _, w := counted(l); return w == 1 })
	cancel()
	leaveB := <-entered
	held, free, waiting := counted(l)
	assert.Equal(t, []int{1, 0, 0}, []int{held, free, waiting}, "B runs without a share")
	leaveB()
	leaveA()
	held, free, _ = counted(l)
	assert.Equal(t, []int{0, 1}, []int{held, free})
}

func TestWaitersAreServedInOrder(t *testing.T) {
	l := New(1, never)
	_, leave := l.Enter(context.Background())
	var order []int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 5 {
		waitFor(t, "the previous waiter queues", func() bool { _, _, w := counted(l); return w == i })
		wg.Go(func() {
			_, leave := l.Enter(context.Background())
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			leave()
		})
	}
	waitFor(t, "all queue", func() bool { _, _, w := counted(l); return w == 5 })
	leave()
	wg.Wait()
	assert.Equal(t, []int{0, 1, 2, 3, 4}, order)
}
