package client

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const describePath = "POST /dev/describe-execution"

func terminal(status, extra string) answer {
	return answer{200, nil, `{"jobId":"0123456789abcdef-k1","status":"` + status + `","input":{},"startDate":1795470123.456,"stopDate":1795470125` + extra + `}`}
}

func TestWaitBackoffSchedule(t *testing.T) {
	r := running("0123456789abcdef-k1")
	c, s, clk := newTestClient(t, map[string][]answer{describePath: {r, r, r, r, r, r,
		terminal("SUCCEEDED", `,"output":{"status":"SUCCEEDED"}`)}})
	var seen []JobStatus
	st, err := c.Wait(t.Context(), testARN, OnStatus(func(s *Status) { seen = append(seen, s.Status) }))
	require.NoError(t, err)
	assert.Equal(t, StatusSucceeded, st.Status)
	assert.JSONEq(t, `{"status":"SUCCEEDED"}`, string(st.Output))
	assert.Len(t, s.Requests(), 7)
	assert.Equal(t, []JobStatus{"RUNNING", "RUNNING", "RUNNING", "RUNNING", "RUNNING", "RUNNING", "SUCCEEDED"}, seen)
	// Full jitter at one half of min(1s, 100ms*2^n).
	ms := time.Millisecond
	assert.Equal(t, []time.Duration{50 * ms, 100 * ms, 200 * ms, 400 * ms, 500 * ms, 500 * ms}, clk.Sleeps())
}

func TestWaitJitterIsDrawnFromTheWholeInterval(t *testing.T) {
	draws := []float64{0, 0.25, 0.999}
	i := 0
	r := running("a")
	c, _, clk := newTestClient(t, map[string][]answer{describePath: {r, r, r, terminal("SUCCEEDED", "")}},
		WithRand(func() float64 { v := draws[i%len(draws)]; i++; return v }))
	_, err := c.Wait(t.Context(), testARN)
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{0, 50 * time.Millisecond, time.Duration(0.999 * float64(400*time.Millisecond))}, clk.Sleeps())
}

func TestWaitHonoursRetryAfterAndRetriesTemporaryFailures(t *testing.T) {
	ms := time.Millisecond
	c, s, clk := newTestClient(t, map[string][]answer{describePath: {
		running("a"),
		{429, map[string]string{"Retry-After": "2"}, `{"message":"Too Many Requests","code":"THROTTLED"}`},
		{502, nil, `{"message":"Internal server error"}`},
		{429, nil, `{"message":"Too Many Requests","code":"ThrottlingException"}`},
		{503, map[string]string{"Retry-After": "Mon, 23 Nov 2026 12:00:10 GMT"}, `{"message":"busy"}`},
		terminal("SUCCEEDED", ""),
	}})
	st, err := c.Wait(t.Context(), testARN)
	require.NoError(t, err)
	assert.Equal(t, StatusSucceeded, st.Status)
	assert.Len(t, s.Requests(), 6)
	// The clock starts at 12:00:00 and each sleep advances it: the date is
	// 10s after the start, 2s+200ms+400ms have passed when it is read.
	assert.Equal(t, []time.Duration{50 * ms, 2 * time.Second, 200 * ms, 400 * ms, 10*time.Second - 2650*ms}, clk.Sleeps())
}

func TestWaitOutcomes(t *testing.T) {
	tests := map[string]struct {
		answer answer
		check  func(t *testing.T, st *Status, err error)
	}{
		"FAILED": {terminal("FAILED", `,"error":"SimulatedFailure","cause":"{\"errorMessage\":\"boom\"}"`), func(t *testing.T, st *Status, err error) {
			var jf *JobFailedError
			require.ErrorAs(t, err, &jf)
			assert.Equal(t, "SimulatedFailure", jf.ErrorName)
			assert.Equal(t, `{"errorMessage":"boom"}`, jf.Cause)
			assert.Equal(t, StatusFailed, jf.Status)
			assert.Equal(t, "0123456789abcdef-k1", jf.JobID)
			assert.Contains(t, err.Error(), "SimulatedFailure")
			assert.Equal(t, StatusFailed, st.Status)
		}},
		"PENDING_REDRIVE": {terminal("PENDING_REDRIVE", `,"error":"E","cause":"C"`), func(t *testing.T, st *Status, err error) {
			var jf *JobFailedError
			require.ErrorAs(t, err, &jf)
			assert.Equal(t, StatusPendingRedrive, jf.Status)
		}},
		"ABORTED": {terminal("ABORTED", ""), func(t *testing.T, st *Status, err error) {
			assert.ErrorIs(t, err, ErrAborted)
			assert.NotErrorIs(t, err, ErrTimedOut)
			assert.Equal(t, StatusAborted, st.Status)
		}},
		"TIMED_OUT": {terminal("TIMED_OUT", ""), func(t *testing.T, st *Status, err error) {
			assert.ErrorIs(t, err, ErrTimedOut)
			assert.NotErrorIs(t, err, context.DeadlineExceeded, "the job's timeout is not the caller's")
			assert.Equal(t, StatusTimedOut, st.Status)
		}},
		"not found": {answer{404, nil, `{"message":"Job not found","code":"JobNotFound"}`}, func(t *testing.T, st *Status, err error) {
			assert.ErrorIs(t, err, ErrNotFound)
			assert.Equal(t, StatusRunning, st.Status, "the last status read")
		}},
		"forbidden": {answer{403, nil, `{"message":"denied","code":"ACCESS_DENIED"}`}, func(t *testing.T, st *Status, err error) {
			assert.ErrorIs(t, err, ErrForbidden)
		}},
		"unauthorized": {answer{401, nil, `{"message":"Unauthorized","code":"UNAUTHORIZED"}`}, func(t *testing.T, st *Status, err error) {
			assert.ErrorIs(t, err, ErrUnauthorized)
		}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c, s, _ := newTestClient(t, map[string][]answer{describePath: {running("a"), tt.answer}})
			st, err := c.Wait(t.Context(), testARN)
			require.Error(t, err)
			tt.check(t, st, err)
			assert.Len(t, s.Requests(), 2)
		})
	}
}

func TestWaitStopsOnContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c, s, clk := newTestClient(t, map[string][]answer{describePath: {running("0123456789abcdef-k1")}})
	clk.onSleep = func(n int) {
		if n == 2 {
			cancel()
		}
	}
	st, err := c.Wait(ctx, testARN)
	assert.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, st, "the last status read is returned")
	assert.Equal(t, StatusRunning, st.Status)
	assert.Len(t, s.Requests(), 3)
}

func TestWaitStopsOnDeadlineDuringRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c, _, clk := newTestClient(t, map[string][]answer{describePath: {{503, nil, `{"message":"busy"}`}}})
	clk.onSleep = func(int) { cancel() }
	_, err := c.Wait(ctx, testARN)
	assert.ErrorIs(t, err, context.Canceled)
	var ae *APIError
	assert.ErrorAs(t, err, &ae, "the last failure is kept")
}

func TestWaitGivesUpAfterConsecutiveFailures(t *testing.T) {
	busy := answer{503, nil, `{"message":"busy","code":"ServiceUnavailable"}`}
	// A success in between resets the count: 2 failures, a RUNNING, 3 failures.
	c, s, _ := newTestClient(t, map[string][]answer{describePath: {busy, busy, running("a"), busy}}, WithMaxAttempts(3))
	st, err := c.Wait(t.Context(), testARN)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 503, ae.Status)
	assert.Equal(t, StatusRunning, st.Status)
	assert.Len(t, s.Requests(), 6)
}

func TestWaitWithEmptyRef(t *testing.T) {
	c, s, _ := newTestClient(t, nil)
	_, err := c.Wait(t.Context(), "")
	require.Error(t, err)
	assert.False(t, errors.Is(err, ErrNotFound))
	assert.Empty(t, s.Requests())
}
