package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testARN = "arn:aws:states:us-east-1:123456789012:execution:stepjobs-dev-jobs:0123456789abcdef-k1"

// fakeClock records the sleeps asked of it and advances its time by them,
// without waiting. onSleep, when set, runs on each sleep (to cancel a
// context at a given point).
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	sleeps  []time.Duration
	onSleep func(n int) // called with the sleep's index before it "ends"
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.sleeps = append(f.sleeps, d)
	f.now = f.now.Add(d)
	n, hook := len(f.sleeps)-1, f.onSleep
	f.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return ctx.Err()
}

func (f *fakeClock) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

// answer is one scripted HTTP answer.
type answer struct {
	status int
	header map[string]string
	body   string
}

// script is an API fake: each path answers its scripted answers in order,
// repeating the last one, and records every request.
type script struct {
	mu       sync.Mutex
	answers  map[string][]answer
	requests []recorded
}

type recorded struct {
	method, path string
	header       http.Header
	body         string
	query        string
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests = append(s.requests, recorded{r.Method, r.URL.Path, r.Header.Clone(), string(body), r.URL.RawQuery})
	list := s.answers[r.Method+" "+r.URL.Path]
	var a answer
	switch len(list) {
	case 0:
		a = answer{status: 403, body: `{"message":"Missing Authentication Token","code":"MISSING_AUTHENTICATION_TOKEN"}`}
	case 1:
		a = list[0]
	default:
		a, s.answers[r.Method+" "+r.URL.Path] = list[0], list[1:]
	}
	s.mu.Unlock()
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

func (s *script) Requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.requests...)
}

// newTestClient serves answers (keyed "METHOD /path") and returns a client
// of it with a fake clock and a constant jitter of one half.
func newTestClient(t *testing.T, answers map[string][]answer, opts ...Option) (*Client, *script, *fakeClock) {
	t.Helper()
	s := &script{answers: answers}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	clk := newFakeClock()
	base := []Option{
		WithHTTPClient(srv.Client()), WithClock(clk), WithRand(func() float64 { return 0.5 }),
		WithBackoff(Backoff{Initial: 100 * time.Millisecond, Max: time.Second, Multiplier: 2}),
	}
	c, err := New(srv.URL+"/dev", append(base, opts...)...)
	require.NoError(t, err)
	return c, s, clk
}

func running(id string) answer {
	return answer{200, nil, `{"jobId":"` + id + `","status":"RUNNING","input":{"records":5},"startDate":1795470123.456}`}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "localhost:8080", "ftp://x", "http://", "://x"} {
		_, err := New(u)
		assert.Error(t, err, u)
	}
}

func TestStart(t *testing.T) {
	c, s, _ := newTestClient(t, map[string][]answer{
		"POST /dev/start-execution": {{202, map[string]string{"Location": "jobs/0123456789abcdef-k1/result"},
			`{"jobId":"0123456789abcdef-k1","executionArn":"` + testARN + `","startDate":1795470123.456}`}},
	}, WithToken("tok"), WithUserAgent("test-agent"))

	job, err := c.Start(t.Context(), map[string]any{"records": 5}, WithIdempotencyKey("k1"))
	require.NoError(t, err)
	assert.Equal(t, "0123456789abcdef-k1", job.JobID)
	assert.Equal(t, testARN, job.ExecutionARN)
	assert.Equal(t, time.UnixMilli(1795470123456).UTC(), job.StartDate)
	assert.True(t, strings.HasSuffix(job.Location, "/dev/jobs/0123456789abcdef-k1/result"), job.Location)

	reqs := s.Requests()
	require.Len(t, reqs, 1)
	assert.JSONEq(t, `{"records":5}`, reqs[0].body)
	assert.Equal(t, "Bearer tok", reqs[0].header.Get("Authorization"))
	assert.Equal(t, "k1", reqs[0].header.Get("Idempotency-Key"))
	assert.Equal(t, "application/json", reqs[0].header.Get("Content-Type"))
	assert.Equal(t, "test-agent", reqs[0].header.Get("User-Agent"))

	// A later bare job id is described under the ARN prefix Start taught.
	assert.Equal(t, strings.TrimSuffix(testARN, "k1")+"k2", c.ExecutionARN("0123456789abcdef-k2"))
}

func TestStartNilInputIsEmptyObject(t *testing.T) {
	c, s, _ := newTestClient(t, map[string][]answer{
		"POST /dev/start-execution": {{200, nil, `{"jobId":"a","executionArn":"arn:aws:states:r:1:execution:m:a","startDate":1}`}},
	})
	job, err := c.Start(t.Context(), nil)
	require.NoError(t, err)
	assert.Empty(t, job.Location, "no Location header, none made up")
	assert.Equal(t, "{}", s.Requests()[0].body)
	assert.Empty(t, s.Requests()[0].header.Get("Idempotency-Key"))
	assert.Empty(t, s.Requests()[0].header.Get("Authorization"), "no token source, no header")
}

func TestStartRetriesOnlyWhatIsSafe(t *testing.T) {
	ok := answer{202, nil, `{"jobId":"a","executionArn":"arn:aws:states:r:1:execution:m:a","startDate":1}`}
	tests := map[string]struct {
		first    answer
		key      string
		wantSent int
		wantErr  bool
	}{
		"429 without key is retried":     {answer{429, nil, `{"message":"Too Many Requests","code":"THROTTLED"}`}, "", 2, false},
		"503 without key is retried":     {answer{503, nil, `{"message":"busy","code":"ServiceUnavailable"}`}, "", 2, false},
		"502 without key is not retried": {answer{502, nil, `{"message":"x","code":"ServiceException"}`}, "", 1, true},
		"502 with a key is retried":      {answer{502, nil, `{"message":"x","code":"ServiceException"}`}, "k", 2, false},
		"400 is never retried":           {answer{400, nil, `{"message":"Invalid request body","code":"BAD_REQUEST_BODY"}`}, "k", 1, true},
		"409 key reuse is never retried": {answer{409, nil, `{"message":"Execution Already Exists","code":"ExecutionAlreadyExists"}`}, "k", 1, true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c, s, _ := newTestClient(t, map[string][]answer{"POST /dev/start-execution": {tt.first, ok}})
			var opts []StartOption
			if tt.key != "" {
				opts = append(opts, WithIdempotencyKey(tt.key))
			}
			_, err := c.Start(t.Context(), map[string]int{"records": 1}, opts...)
			assert.Equal(t, tt.wantErr, err != nil, "%v", err)
			assert.Len(t, s.Requests(), tt.wantSent)
		})
	}
}

func TestDescribeDecodesTheAnswer(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "describe-failed.json"))
	require.NoError(t, err)
	c, s, _ := newTestClient(t, map[string][]answer{"POST /dev/describe-execution": {{200, nil, string(raw)}}})

	st, err := c.Describe(t.Context(), testARN)
	require.NoError(t, err)
	assert.Equal(t, StatusFailed, st.Status)
	assert.Equal(t, "0123456789abcdef-k1", st.JobID)
	assert.Equal(t, "SimulatedFailure", st.Error)
	assert.Contains(t, st.Cause, "simulated permanent failure")
	assert.JSONEq(t, `{"records":5,"simulateFailure":"permanent"}`, string(st.Input))
	assert.Nil(t, st.Output)
	assert.Equal(t, time.UnixMilli(1795470123456).UTC(), st.StartDate)
	assert.Equal(t, 1500*time.Millisecond, st.Elapsed(time.Time{}))
	assert.JSONEq(t, `{"executionArn":"`+testARN+`"}`, s.Requests()[0].body)

	// The status marshals to the shape the CLI's --json prints.
	got, err := json.Marshal(st)
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join("testdata", "status-failed.golden.json"))
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
}

func TestDescribeBareJobIDUsesAPlaceholderARN(t *testing.T) {
	c, s, _ := newTestClient(t, map[string][]answer{"POST /dev/describe-execution": {running("0123456789abcdef-k9")}})
	_, err := c.Describe(t.Context(), "0123456789abcdef-k9")
	require.NoError(t, err)
	assert.JSONEq(t, `{"executionArn":"`+PlaceholderARNPrefix+`0123456789abcdef-k9"}`, s.Requests()[0].body)

	c2, s2, _ := newTestClient(t, map[string][]answer{"POST /dev/describe-execution": {running("x")}},
		WithExecutionARNPrefix("arn:aws:states:eu-west-1:111111111111:execution:stepjobs-prod-jobs:"))
	_, err = c2.Describe(t.Context(), "0123456789abcdef-k9")
	require.NoError(t, err)
	assert.JSONEq(t, `{"executionArn":"arn:aws:states:eu-west-1:111111111111:execution:stepjobs-prod-jobs:0123456789abcdef-k9"}`, s2.Requests()[0].body)
}

func TestDescribeRejectsAnswersWithoutStatus(t *testing.T) {
	for _, body := range []string{`{}`, `not json`, `{"jobId":"a"}`} {
		c, _, _ := newTestClient(t, map[string][]answer{"POST /dev/describe-execution": {{200, nil, body}}})
		_, err := c.Describe(t.Context(), testARN)
		assert.Error(t, err, body)
	}
}

func TestTypedErrors(t *testing.T) {
	tests := map[string]struct {
		answer   answer
		is       error
		wantCode string
	}{
		"404 JobNotFound":                     {answer{404, nil, `{"message":"Job not found","code":"JobNotFound"}`}, ErrNotFound, "JobNotFound"},
		"400 ExecutionDoesNotExist (unwired)": {answer{400, nil, `{"message":"Execution Does Not Exist: 'x'","code":"ExecutionDoesNotExist"}`}, ErrNotFound, "ExecutionDoesNotExist"},
		"401":                                 {answer{401, nil, `{"message":"Unauthorized","code":"UNAUTHORIZED"}`}, ErrUnauthorized, "UNAUTHORIZED"},
		"403":                                 {answer{403, nil, `{"message":"User is not authorized","code":"ACCESS_DENIED"}`}, ErrForbidden, "ACCESS_DENIED"},
		"409":                                 {answer{409, nil, `{"message":"Job is RUNNING","code":"JobNotSucceeded"}`}, ErrConflict, "JobNotSucceeded"},
		"AWS JSON __type":                     {answer{400, nil, `{"__type":"com.amazonaws.swf.service.v2.model#InvalidArn","Message":"bad"}`}, nil, "InvalidArn"},
		"400 BAD_REQUEST_BODY":                {answer{400, nil, `{"message":"Invalid request body","code":"BAD_REQUEST_BODY"}`}, nil, "BAD_REQUEST_BODY"},
		"500 not JSON":                        {answer{500, nil, `Internal Server Error`}, nil, ""},
	}
	sentinels := []error{ErrNotFound, ErrUnauthorized, ErrForbidden, ErrConflict, ErrAborted, ErrTimedOut}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c, s, _ := newTestClient(t, map[string][]answer{"POST /dev/describe-execution": {tt.answer}})
			_, err := c.Describe(t.Context(), testARN)
			require.Error(t, err)
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.answer.status, ae.Status)
			assert.Equal(t, tt.wantCode, ae.Code)
			assert.NotEmpty(t, ae.Message)
			for _, s := range sentinels {
				assert.Equal(t, s == tt.is, errors.Is(err, s), "errors.Is(%v)", s)
			}
			assert.Len(t, s.Requests(), 1, "not a temporary failure: sent once")
		})
	}
}

func TestRetriesThenSucceeds(t *testing.T) {
	tests := map[string]struct {
		first     answer
		wantSleep time.Duration
	}{
		"429 with Retry-After seconds":     {answer{429, map[string]string{"Retry-After": "3"}, `{"message":"Too Many Requests","code":"THROTTLED"}`}, 3 * time.Second},
		"503 with Retry-After date":        {answer{503, map[string]string{"Retry-After": "Mon, 23 Nov 2026 12:00:07 GMT"}, `{"message":"busy"}`}, 7 * time.Second},
		"429 without Retry-After: backoff": {answer{429, nil, `{"message":"Too Many Requests","code":"THROTTLED"}`}, 50 * time.Millisecond},
		"502: backoff":                     {answer{502, nil, `{"message":"Internal server error"}`}, 50 * time.Millisecond},
		"504: backoff":                     {answer{504, nil, `{"message":"Endpoint request timed out"}`}, 50 * time.Millisecond},
		"Retry-After date in the past":     {answer{503, map[string]string{"Retry-After": "Mon, 23 Nov 2026 11:00:00 GMT"}, `{}`}, 50 * time.Millisecond},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c, s, clk := newTestClient(t, map[string][]answer{"POST /dev/describe-execution": {tt.first, running("a")}})
			st, err := c.Describe(t.Context(), testARN)
			require.NoError(t, err)
			assert.Equal(t, StatusRunning, st.Status)
			assert.Len(t, s.Requests(), 2)
			assert.Equal(t, []time.Duration{tt.wantSleep}, clk.Sleeps())
		})
	}
}

func TestRetriesGiveUpAfterMaxAttempts(t *testing.T) {
	c, s, clk := newTestClient(t, map[string][]answer{
		"POST /dev/describe-execution": {{503, nil, `{"message":"busy","code":"ServiceUnavailable"}`}},
	}, WithMaxAttempts(4))
	_, err := c.Describe(t.Context(), testARN)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 503, ae.Status)
	assert.True(t, ae.Temporary())
	assert.Len(t, s.Requests(), 4)
	// Full jitter at one half of 100ms, 200ms, 400ms.
	assert.Equal(t, []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}, clk.Sleeps())
}

func TestNetworkErrorsAreRetriedForIdempotentCalls(t *testing.T) {
	// A server that closes the connection on the first request.
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		_, _ = io.WriteString(w, `{"jobId":"a","status":"SUCCEEDED","input":{},"startDate":1}`)
	}))
	t.Cleanup(srv.Close)
	clk := newFakeClock()
	c, err := New(srv.URL, WithClock(clk), WithRand(func() float64 { return 0 }))
	require.NoError(t, err)
	st, err := c.Describe(t.Context(), testARN)
	require.NoError(t, err)
	assert.Equal(t, StatusSucceeded, st.Status)
	assert.Equal(t, 2, calls)
}

func TestTokenSourceErrorIsNotRetried(t *testing.T) {
	boom := errors.New("no credentials")
	c, s, _ := newTestClient(t, nil, WithTokenSource(func(context.Context) (string, error) { return "", boom }))
	_, err := c.Describe(t.Context(), testARN)
	assert.ErrorIs(t, err, boom)
	assert.Empty(t, s.Requests())
	_, err = c.Wait(t.Context(), testARN)
	assert.ErrorIs(t, err, boom)
}

func TestTokenSourceIsAskedEveryAttempt(t *testing.T) {
	n := 0
	c, s, _ := newTestClient(t, map[string][]answer{"POST /dev/describe-execution": {{429, nil, `{}`}, running("a")}},
		WithTokenSource(func(context.Context) (string, error) { n++; return "t" + string(rune('0'+n)), nil }))
	_, err := c.Describe(t.Context(), testARN)
	require.NoError(t, err)
	reqs := s.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "Bearer t1", reqs[0].header.Get("Authorization"))
	assert.Equal(t, "Bearer t2", reqs[1].header.Get("Authorization"))
}

func TestStop(t *testing.T) {
	c, s, _ := newTestClient(t, map[string][]answer{"POST /dev/stop-execution": {{200, nil, `{"stopDate":1795470124.5}`}}})
	require.NoError(t, c.Stop(t.Context(), testARN))
	assert.JSONEq(t, `{"executionArn":"`+testARN+`"}`, s.Requests()[0].body)

	c2, _, _ := newTestClient(t, map[string][]answer{"POST /dev/stop-execution": {{404, nil, `{"message":"Job not found","code":"JobNotFound"}`}}})
	assert.ErrorIs(t, c2.Stop(t.Context(), "0123456789abcdef-gone"), ErrNotFound)
	assert.Error(t, c2.Stop(t.Context(), ""))
}

func TestResultAndDownload(t *testing.T) {
	// The download host checks that no bearer token leaks to it.
	var sawAuth bool
	objects := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawAuth = r.Header.Get("Authorization") != ""
		if r.URL.Query().Get("X-Amz-Signature") == "" {
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `<Error><Code>AccessDenied</Code></Error>`)
			return
		}
		_, _ = io.WriteString(w, `{"jobId":"0123456789abcdef-k1","records":1}`)
	}))
	t.Cleanup(objects.Close)
	c, s, _ := newTestClient(t, map[string][]answer{
		"GET /dev/jobs/0123456789abcdef-k1/result": {{200, map[string]string{"Cache-Control": "no-store"},
			`{"jobId":"0123456789abcdef-k1","url":"` + objects.URL + `/results/x.json?X-Amz-Signature=abc","expiresAt":"2026-11-23T12:15:00Z"}`}},
	}, WithToken("tok"))

	link, err := c.Result(t.Context(), testARN) // an ARN names its job id
	require.NoError(t, err)
	assert.Equal(t, "0123456789abcdef-k1", link.JobID)
	assert.Equal(t, time.Date(2026, 11, 23, 12, 15, 0, 0, time.UTC), link.ExpiresAt)
	assert.Equal(t, "Bearer tok", s.Requests()[0].header.Get("Authorization"))

	var buf strings.Builder
	n, err := c.Download(t.Context(), link, &buf)
	require.NoError(t, err)
	assert.Equal(t, int64(buf.Len()), n)
	assert.JSONEq(t, `{"jobId":"0123456789abcdef-k1","records":1}`, buf.String())
	assert.False(t, sawAuth, "the bearer token must not be sent to the download host")

	_, err = c.Download(t.Context(), &ResultLink{JobID: "x", URL: objects.URL + "/results/x.json"}, io.Discard)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 403, ae.Status)
	_, err = c.Download(t.Context(), nil, io.Discard)
	assert.Error(t, err)
}

func TestResultOfAJobThatHasNotSucceeded(t *testing.T) {
	c, _, _ := newTestClient(t, map[string][]answer{
		"GET /dev/jobs/a/result": {{409, nil, `{"message":"Job is RUNNING: only a SUCCEEDED job has a result","code":"JobNotSucceeded"}`}},
	})
	_, err := c.Result(t.Context(), "a")
	assert.ErrorIs(t, err, ErrConflict)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "JobNotSucceeded", ae.Code)
}

func TestBackoffCeiling(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: time.Second, Multiplier: 3}
	var got []time.Duration
	for n := range 5 {
		got = append(got, b.Ceiling(n))
	}
	assert.Equal(t, []time.Duration{100 * time.Millisecond, 300 * time.Millisecond, 900 * time.Millisecond, time.Second, time.Second}, got)
	assert.Equal(t, DefaultBackoff.Initial, Backoff{}.Ceiling(0), "zero fields take the defaults")
	assert.Equal(t, 100*time.Millisecond, Backoff{Initial: 100 * time.Millisecond, Multiplier: 0.5}.Ceiling(10), "no shrinking")
	assert.Equal(t, DefaultBackoff.Max, Backoff{}.Ceiling(1000), "no overflow")
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		in   string
		want time.Duration
		ok   bool
	}{
		"seconds":      {"120", 2 * time.Minute, true},
		"zero":         {"0", 0, true},
		"IMF-fixdate":  {"Mon, 23 Nov 2026 12:00:30 GMT", 30 * time.Second, true},
		"RFC 850":      {"Monday, 23-Nov-26 12:01:00 GMT", time.Minute, true},
		"asctime":      {"Mon Nov 23 12:00:05 2026", 5 * time.Second, true},
		"past date":    {"Mon, 23 Nov 2026 11:00:00 GMT", 0, true},
		"empty":        {"", 0, false},
		"negative":     {"-5", 0, false},
		"fraction":     {"1.5", 0, false},
		"garbage":      {"soon", 0, false},
		"huge seconds": {"99999999999999999999999", time.Duration(int64(1<<63-1)/int64(time.Second)) * time.Second, true},
		"padded":       {" 7 ", 7 * time.Second, true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			d, ok := parseRetryAfter(tt.in, now)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, d)
		})
	}
}

func TestEpoch(t *testing.T) {
	assert.True(t, epoch(0).IsZero())
	assert.True(t, epoch(-1).IsZero())
	assert.Equal(t, time.UnixMilli(1795470123457).UTC(), epoch(1795470123.4567))
}

func TestJobIDOf(t *testing.T) {
	assert.Equal(t, "0123456789abcdef-k1", jobIDOf(testARN))
	assert.Equal(t, "plain", jobIDOf("plain"))
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "120", "Mon, 23 Nov 2026 12:00:30 GMT", "Mon Nov 23 12:00:05 2026", "-1", "99999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseRetryAfter(s, now)
		if d < 0 {
			t.Fatalf("negative delay %v for %q", d, s)
		}
		if !ok && d != 0 {
			t.Fatalf("delay %v without ok for %q", d, s)
		}
	})
}

func FuzzParseAPIError(f *testing.F) {
	for _, s := range []string{`{"message":"m","code":"c"}`, `{"__type":"a#B","Message":"m"}`, `{"__type":"#"}`, `x`, ``, `{"code":1}`} {
		f.Add(404, s)
	}
	f.Fuzz(func(t *testing.T, status int, body string) {
		e := parseAPIError(status, http.Header{"Retry-After": {body}}, []byte(body), time.Unix(0, 0))
		if e.Status != status || e.RetryAfter < 0 {
			t.Fatalf("bad error %+v", e)
		}
		_ = e.Error()
	})
}

func FuzzDecodeStatus(f *testing.F) {
	for _, s := range []string{`{"jobId":"a","status":"RUNNING","input":{},"startDate":1.5}`, `{"status":"FAILED","error":"E","cause":"C","stopDate":1e300}`, `{"status":""}`, `null`, `{"input":null,"status":"X"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := decodeStatus([]byte(s))
		if err == nil && st.Status == "" {
			t.Fatalf("decoded a status without one from %q", s)
		}
		if err == nil {
			if _, err := json.Marshal(st); err != nil {
				t.Fatalf("status does not marshal: %v", err)
			}
		}
	})
}
