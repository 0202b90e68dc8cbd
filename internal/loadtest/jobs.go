// Package loadtest drives the local runtime the way many clients would:
// it starts jobs through the local HTTP API as fast as the machine takes,
// polls them to their end, and checks that nothing was lost (every job
// ended, and its DynamoDB record agrees with its execution). It also
// measures what open executions cost: many executions held in a Wait
// state, and the runtime's resident memory. cmd/stepjobs-load is its
// command (`make load`).
package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// JobOptions configure a job run.
type JobOptions struct {
	// API is the local API's base URL (…/start-execution).
	API string
	// Headers are added to every request (e.g. Authorization).
	Headers map[string]string
	// Jobs is how many jobs to start; Concurrency bounds the requests in
	// flight, starts and describes each (default 64).
	Jobs, Concurrency int
	// Body is the start-execution body; default {"records": 10}.
	Body string
	// PollMin and PollMax bound the describe backoff (default 20ms, 1s).
	PollMin, PollMax time.Duration
	// Records checks the jobs against the job table; nil skips the check.
	Records RecordSource
	// Client is the HTTP client; nil: a keep-alive client sized for
	// Concurrency.
	Client *http.Client
}

// RecordSource lists the job table: job id to status.
type RecordSource interface {
	JobStatuses(ctx context.Context) (map[string]string, error)
}

// JobReport is the outcome of a job run.
type JobReport struct {
	Jobs      int
	Elapsed   time.Duration // first start to last job seen ended
	StartRate float64       // start requests answered per second
	JobRate   float64       // jobs ended per second
	Start     Latency       // start-execution requests
	Describe  Latency       // describe-execution requests
	// Statuses counts the jobs by their execution's final status.
	Statuses map[string]int
	// StartErrors counts start requests that did not answer 2xx (202 on
	// this API).
	StartErrors int
	// Invariants: jobs started but never seen ended, jobs without a
	// record, records whose status differs from the execution's.
	Unfinished, MissingRecords, Mismatched int
	// TableStatuses counts the job table's records of this run by status.
	TableStatuses map[string]int
	Checked       bool // whether the table was compared
}

// Lost is every job that did not end, or ended unrecorded or recorded wrong.
func (r JobReport) Lost() int { return r.Unfinished + r.MissingRecords + r.Mismatched }

type job struct {
	id, arn string
	delay   time.Duration
	due     time.Time
}

// RunJobs starts o.Jobs jobs and polls each one until it ends.
func RunJobs(ctx context.Context, o JobOptions) (JobReport, error) {
	if o.Jobs <= 0 {
		return JobReport{}, errors.New("loadtest: jobs must be positive")
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	if o.Body == "" {
		o.Body = `{"records": 10}`
	}
	if o.PollMin <= 0 {
		o.PollMin = 20 * time.Millisecond
	}
	if o.PollMax <= 0 {
		o.PollMax = time.Second
	}
	c := &apiClient{base: o.API, headers: o.Headers, http: o.Client}
	if c.http == nil {
		c.http = &http.Client{Timeout: time.Minute, Transport: &http.Transport{
			MaxIdleConnsPerHost: 2 * o.Concurrency, IdleConnTimeout: time.Minute}}
	}

	var (
		startLat, descLat latencies
		startErrs         atomic.Int64
		firstErr          error
		errOnce           sync.Once
		mu                sync.Mutex
		final             = map[string]string{} // job id -> status
		lastEnd           time.Time
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	// pending holds started jobs until their next describe is due; it can
	// hold every job, so no one blocks on it.
	pending := make(chan *job, o.Jobs)
	var outstanding sync.WaitGroup
	outstanding.Add(o.Jobs)

	began := time.Now()
	var startsDone time.Time
	next := make(chan struct{})
	var starters sync.WaitGroup
	for range o.Concurrency {
		starters.Go(func() {
			for range next {
				t0 := time.Now()
				var out struct {
					JobID        string `json:"jobId"`
					ExecutionARN string `json:"executionArn"`
				}
				status, err := c.post(ctx, "/start-execution", []byte(o.Body), &out)
				startLat.add(time.Since(t0))
				if err != nil {
					fail(fmt.Errorf("start a job: %w", err))
					outstanding.Done()
					continue
				}
				if !success(status) || out.ExecutionARN == "" {
					startErrs.Add(1)
					outstanding.Done()
					continue
				}
				pending <- &job{id: out.JobID, arn: out.ExecutionARN, delay: o.PollMin, due: time.Now().Add(o.PollMin)}
			}
		})
	}
	go func() {
		defer close(next)
		for range o.Jobs {
			select {
			case next <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		starters.Wait()
		mu.Lock()
		startsDone = time.Now()
		mu.Unlock()
	}()

	var pollers sync.WaitGroup
	for range o.Concurrency {
		pollers.Go(func() {
			for {
				var j *job
				select {
				case j = <-pending:
				case <-ctx.Done():
					return
				}
				if d := time.Until(j.due); d > 0 {
					select {
					case <-time.After(d):
					case <-ctx.Done():
						return
					}
				}
				body, _ := json.Marshal(map[string]string{"executionArn": j.arn})
				var out struct {
					Status string `json:"status"`
				}
				t0 := time.Now()
				status, err := c.post(ctx, "/describe-execution", body, &out)
				descLat.add(time.Since(t0))
				if err != nil {
					fail(fmt.Errorf("describe job %s: %w", j.id, err))
					return
				}
				if !success(status) {
					fail(fmt.Errorf("describe job %s: HTTP %d", j.id, status))
					return
				}
				if out.Status == "RUNNING" || out.Status == "" {
					j.delay = min(2*j.delay, o.PollMax)
					j.due = time.Now().Add(j.delay)
					pending <- j
					continue
				}
				mu.Lock()
				final[j.id] = out.Status
				lastEnd = time.Now()
				mu.Unlock()
				outstanding.Done()
			}
		})
	}
	done := make(chan struct{})
	go func() { outstanding.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	cancel()
	pollers.Wait()
	starters.Wait()
	if firstErr != nil {
		return JobReport{}, firstErr
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return JobReport{}, err
	}

	mu.Lock()
	defer mu.Unlock()
	r := JobReport{Jobs: o.Jobs, Start: startLat.summary(), Describe: descLat.summary(),
		StartErrors: int(startErrs.Load()), Statuses: map[string]int{}}
	for _, s := range final {
		r.Statuses[s]++
	}
	r.Unfinished = o.Jobs - r.StartErrors - len(final)
	r.Elapsed = lastEnd.Sub(began)
	if r.Elapsed > 0 {
		r.JobRate = float64(len(final)) / r.Elapsed.Seconds()
	}
	if d := startsDone.Sub(began); d > 0 {
		r.StartRate = float64(o.Jobs) / d.Seconds()
	}
	if o.Records != nil {
		table, err := o.Records.JobStatuses(context.WithoutCancel(ctx))
		if err != nil {
			return r, fmt.Errorf("check the job table: %w", err)
		}
		r.Checked = true
		r.TableStatuses = map[string]int{}
		for id, status := range final {
			got, ok := table[id]
			switch {
			case !ok:
				r.MissingRecords++
			case got != status:
				r.Mismatched++
			}
			if ok {
				r.TableStatuses[got]++
			}
		}
	}
	return r, nil
}

// apiClient posts JSON to the local API.
type apiClient struct {
	base    string
	headers map[string]string
	http    *http.Client
}

func (c *apiClient) post(ctx context.Context, path string, body []byte, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("request %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("POST %s: read: %w", path, err)
	}
	if success(resp.StatusCode) {
		if err := json.Unmarshal(b, out); err != nil {
			return 0, fmt.Errorf("POST %s: decode %q: %w", path, b, err)
		}
	}
	return resp.StatusCode, nil
}

// success reports a 2xx answer: start answers 202, describe 200.
func success(status int) bool { return status >= 200 && status < 300 }

// sortedKeys lists a count map's keys in order, for stable reports.
func sortedKeys(m map[string]int) []string { return slices.Sorted(maps.Keys(m)) }
