package sfn

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestFakeClock(t *testing.T) {
	start := time.Unix(1000, 0)
	c := NewFakeClock(start)
	var fired []string
	c.AfterFunc(3*time.Second, func() { fired = append(fired, "c") })
	c.AfterFunc(time.Second, func() { fired = append(fired, "a") })
	b := c.AfterFunc(2*time.Second, func() { fired = append(fired, "b") })
	c.AfterFunc(time.Second, func() { fired = append(fired, "a2") })
	assert.Equal(t, 4, c.Pending())

	assert.True(t, b.Stop())
	assert.False(t, b.Stop(), "a stopped timer stops once")

	assert.True(t, c.FireNext())
	assert.Equal(t, []string{"a", "a2"}, fired, "timers due at the same instant fire together, in order")
	assert.Equal(t, start.Add(time.Second), c.Now())

	c.Advance(time.Second)
	assert.Equal(t, []string{"a", "a2"}, fired)
	assert.Equal(t, start.Add(2*time.Second), c.Now())

	c.Advance(10 * time.Second)
	assert.Equal(t, []string{"a", "a2", "c"}, fired)
	assert.Equal(t, start.Add(12*time.Second), c.Now())
	assert.False(t, c.FireNext())
}

func TestFakeClockTimerScheduledByTimer(t *testing.T) {
	c := NewFakeClock(time.Unix(0, 0))
	n := 0
	var tick func()
	tick = func() {
		n++
		if n < 3 {
			c.AfterFunc(time.Second, tick)
		}
	}
	c.AfterFunc(time.Second, tick)
	c.Advance(10 * time.Second)
	assert.Equal(t, 3, n)
}

func TestRealClock(t *testing.T) {
	done := make(chan struct{})
	RealClock{}.AfterFunc(0, func() { close(done) })
	<-done
	assert.False(t, RealClock{}.Now().IsZero())
}

func TestFakeClockReset(t *testing.T) {
	c := NewFakeClock(time.Unix(0, 0))
	var fired []string
	a := c.AfterFunc(time.Second, func() { fired = append(fired, "a") })
	c.AfterFunc(2*time.Second, func() { fired = append(fired, "b") })

	assert.True(t, a.Reset(2*time.Second), "pending")
	c.Advance(time.Second)
	assert.Empty(t, fired, "moved later")
	c.Advance(time.Second)
	assert.Equal(t, []string{"b", "a"}, fired, "due at the same instant, a reset timer goes after those set before")

	assert.False(t, a.Reset(time.Second), "fired: Reset schedules it again")
	c.Advance(time.Second)
	assert.Equal(t, []string{"b", "a", "a"}, fired)
	assert.Equal(t, 0, c.Pending())
}

func TestRealClockReset(t *testing.T) {
	done := make(chan struct{})
	tm := RealClock{}.AfterFunc(time.Hour, func() { close(done) })
	assert.True(t, tm.Reset(0))
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the reset timer did not fire")
	}
}
