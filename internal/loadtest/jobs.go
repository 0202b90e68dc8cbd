// Package loadtest drives the local runtime the way many clients would:
// it starts jobs through the local HTTP API as fast as the machine takes,
// polls them to their end, and checks that nothing was lost (every job
// ended, and its DynamoDB record agrees with its execution). It also
// measures what open executions cost: many executions held in a Wait
// state, and the runtime's resident memory, and the functions' cold
// starts under the Lambda Runtime API. Command is the whole run of
// cmd/stepjobs-load (`make load`), spawning the runtime unless one is named;
// that main only reads the flags.
package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asyncjobs/stepjobs/client"
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
	// Client is the HTTP client under the API client (client.Client, sent
	// once: no retries, so an error answer counts); nil: a keep-alive
	// client sized for Concurrency.
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
	o, err := o.withDefaults()
	if err != nil {
		return JobReport{}, err
	}
	c, err := newAPIClient(o)
	if err != nil {
		return JobReport{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	run := &jobRun{o: o, api: c, cancel: cancel, final: map[string]string{},
		pending: make(chan *job, o.Jobs)} // it can hold every job, so no one blocks on it
	run.outstanding.Add(o.Jobs)
	run.began = time.Now()

	starters := run.start(ctx)
	pollers := run.poll(ctx)
	run.waitEnded(ctx)
	cancel()
	pollers.Wait()
	starters.Wait()
	if run.firstErr != nil {
		return JobReport{}, run.firstErr
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return JobReport{}, err
	}

	run.mu.Lock()
	defer run.mu.Unlock()
	r := run.report()
	if o.Records != nil {
		if err := run.checkTable(context.WithoutCancel(ctx), &r); err != nil {
			return r, err
		}
	}
	return r, nil
}

// withDefaults checks o and fills in its defaults.
func (o JobOptions) withDefaults() (JobOptions, error) {
	if o.Jobs <= 0 {
		return o, errors.New("loadtest: jobs must be positive")
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
	return o, nil
}

// newAPIClient is the project's API client for o: each call sent once,
// o.Headers added to every request.
func newAPIClient(o JobOptions) (*client.Client, error) {
	hc := o.Client
	if hc == nil {
		hc = &http.Client{Timeout: time.Minute, Transport: &http.Transport{
			MaxIdleConnsPerHost: 2 * o.Concurrency, IdleConnTimeout: time.Minute}}
	}
	if len(o.Headers) > 0 {
		with := *hc
		with.Transport = headerTransport{base: hc.Transport, headers: o.Headers}
		hc = &with
	}
	c, err := client.New(o.API, client.WithHTTPClient(hc), client.WithMaxAttempts(1))
	if err != nil {
		return nil, fmt.Errorf("loadtest: %w", err)
	}
	return c, nil
}

// headerTransport adds headers to every request.
type headerTransport struct {
	base    http.RoundTripper // nil: http.DefaultTransport
	headers map[string]string
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range t.headers {
		r.Header.Set(k, v)
	}
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r)
}

// jobRun is the state of one RunJobs: starters feed pending, pollers
// describe what is pending until each job ends.
type jobRun struct {
	o      JobOptions
	api    *client.Client
	cancel context.CancelFunc

	startLat, descLat latencies
	startErrs         atomic.Int64
	errOnce           sync.Once
	firstErr          error // read once the starters and pollers are done

	pending     chan *job
	outstanding sync.WaitGroup // jobs neither ended nor failed to start

	began      time.Time
	mu         sync.Mutex
	final      map[string]string // job id -> status
	lastEnd    time.Time
	startsDone time.Time
}

// fail ends the run with its first error.
func (run *jobRun) fail(err error) {
	run.errOnce.Do(func() { run.firstErr = err; run.cancel() })
}

// start sends o.Jobs starts from o.Concurrency goroutines and queues each
// started job on pending. An error answer counts as a start error; a
// request that gets no answer ends the run.
func (run *jobRun) start(ctx context.Context) *sync.WaitGroup {
	next := make(chan struct{})
	var starters sync.WaitGroup
	for range run.o.Concurrency {
		starters.Go(func() {
			for range next {
				t0 := time.Now()
				j, err := run.api.Start(ctx, json.RawMessage(run.o.Body))
				run.startLat.add(time.Since(t0))
				var answered *client.APIError
				switch {
				case errors.As(err, &answered):
					run.startErrs.Add(1)
					run.outstanding.Done()
				case err != nil:
					run.fail(fmt.Errorf("start a job: %w", err))
					run.outstanding.Done()
				default:
					run.pending <- &job{id: j.JobID, arn: j.ExecutionARN, delay: run.o.PollMin, due: time.Now().Add(run.o.PollMin)}
				}
			}
		})
	}
	go func() {
		defer close(next)
		for range run.o.Jobs {
			select {
			case next <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		starters.Wait()
		run.mu.Lock()
		run.startsDone = time.Now()
		run.mu.Unlock()
	}()
	return &starters
}

// poll describes pending jobs from o.Concurrency goroutines, each when it
// is due, backing off from PollMin to PollMax while it runs.
func (run *jobRun) poll(ctx context.Context) *sync.WaitGroup {
	var pollers sync.WaitGroup
	for range run.o.Concurrency {
		pollers.Go(func() {
			for {
				var j *job
				select {
				case j = <-run.pending:
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
				t0 := time.Now()
				st, err := run.api.Describe(ctx, j.arn)
				run.descLat.add(time.Since(t0))
				if err != nil {
					run.fail(fmt.Errorf("describe job %s: %w", j.id, err))
					return
				}
				if !st.Status.Terminal() {
					j.delay = min(2*j.delay, run.o.PollMax)
					j.due = time.Now().Add(j.delay)
					run.pending <- j
					continue
				}
				run.mu.Lock()
				run.final[j.id] = string(st.Status)
				run.lastEnd = time.Now()
				run.mu.Unlock()
				run.outstanding.Done()
			}
		})
	}
	return &pollers
}

// waitEnded returns when every job has ended or failed to start, or the
// run was cancelled.
func (run *jobRun) waitEnded(ctx context.Context) {
	done := make(chan struct{})
	go func() { run.outstanding.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// report sums up the run; run.mu is held.
func (run *jobRun) report() JobReport {
	r := JobReport{Jobs: run.o.Jobs, Start: run.startLat.summary(), Describe: run.descLat.summary(),
		StartErrors: int(run.startErrs.Load()), Statuses: map[string]int{}}
	for _, s := range run.final {
		r.Statuses[s]++
	}
	r.Unfinished = run.o.Jobs - r.StartErrors - len(run.final)
	r.Elapsed = run.lastEnd.Sub(run.began)
	if r.Elapsed > 0 {
		r.JobRate = float64(len(run.final)) / r.Elapsed.Seconds()
	}
	if d := run.startsDone.Sub(run.began); d > 0 {
		r.StartRate = float64(run.o.Jobs) / d.Seconds()
	}
	return r
}

// checkTable compares the job table with the final statuses; run.mu is
// held.
func (run *jobRun) checkTable(ctx context.Context, r *JobReport) error {
	table, err := run.o.Records.JobStatuses(ctx)
	if err != nil {
		return fmt.Errorf("check the job table: %w", err)
	}
	r.Checked = true
	r.TableStatuses = map[string]int{}
	for id, status := range run.final {
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
	return nil
}

// sortedKeys lists a count map's keys in order, for stable reports.
func sortedKeys(m map[string]int) []string { return slices.Sorted(maps.Keys(m)) }
