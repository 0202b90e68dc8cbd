package test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkE2EJobs is the end-to-end job rate of the local runtime with its
// real stores (dynalite, gofakes3): b.N jobs started through the local HTTP
// API by 50 concurrent clients, each timed from the start request until
// its execution is SUCCEEDED (the engine's Wait, so no polling load skews
// the figure). Reports jobs/s.
func BenchmarkE2EJobs(b *testing.B) {
	rt := shared(b)
	const concurrency = 50
	body := []byte(`{"records": 10}`)
	jobs := make(chan int)
	errs := make(chan error, concurrency)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range concurrency {
		wg.Go(func() {
			for range jobs {
				if err := runJob(rt, body); err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		})
	}
	for i := 0; i < b.N; i++ {
		select {
		case jobs <- i:
		case err := <-errs:
			close(jobs)
			b.Fatal(err)
		}
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "jobs/s")
}

func runJob(rt *localRuntime, body []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resp, err := rt.tryPost(ctx, "/start-execution", body)
	if err != nil {
		return err
	}
	if resp.Status != http.StatusAccepted {
		return &statusError{resp}
	}
	arn, _ := resp.Body["executionArn"].(string)
	info, err := rt.srv.Engine().Wait(ctx, arn)
	if err != nil {
		return fmt.Errorf("wait for %s: %w", arn, err)
	}
	if info.Status != "SUCCEEDED" {
		return fmt.Errorf("%s ended %s", arn, info.Status)
	}
	return nil
}

// BenchmarkE2ELatency measures start-execution and describe-execution
// through the local API Gateway at a fixed request rate (open loop: a
// request is sent every 1/rate seconds whether or not earlier ones have
// answered), and reports the 50th and 99th percentile latencies. ns/op is
// then the send interval, not a cost. 1,000 requests a second is issue 17's
// goal rate; 200, the rate of the first figures, for comparison.
func BenchmarkE2ELatency(b *testing.B) {
	rt := shared(b)
	arn, _ := rt.start(b, `{"records": 1}`)
	rt.wait(b, arn)
	describeBody, err := json.Marshal(map[string]string{"executionArn": arn})
	require.NoError(b, err)

	for _, bc := range []struct {
		name, path string
		body       []byte
		want       int
	}{
		{"start-execution", "/start-execution", []byte(`{"records": 1}`), http.StatusAccepted},
		{"describe-execution", "/describe-execution", describeBody, http.StatusOK},
	} {
		for _, rate := range []int{200, 1000} { // requests per second
			b.Run(fmt.Sprintf("%s/rate=%d", bc.name, rate), func(b *testing.B) {
				latencies := make([]time.Duration, b.N)
				failures := make(chan error, b.N)
				interval := time.Second / time.Duration(rate)
				var wg sync.WaitGroup
				b.ResetTimer()
				t0 := time.Now()
				for i := 0; i < b.N; i++ {
					// Request i is due at t0+i*interval: a sender that falls
					// behind catches up instead of offering less (a ticker
					// drops the ticks it misses).
					if d := time.Until(t0.Add(time.Duration(i) * interval)); d > 0 {
						time.Sleep(d)
					}
					wg.Go(func() {
						t0 := time.Now()
						resp, err := rt.tryPost(context.Background(), bc.path, bc.body)
						latencies[i] = time.Since(t0)
						if err == nil && resp.Status != bc.want {
							err = &statusError{resp}
						}
						if err != nil {
							failures <- err
						}
					})
				}
				sent := time.Since(t0)
				wg.Wait()
				b.StopTimer()
				close(failures)
				for err := range failures {
					b.Fatal(err)
				}
				slices.Sort(latencies)
				b.ReportMetric(ms(percentile(latencies, 0.50)), "p50-ms")
				b.ReportMetric(ms(percentile(latencies, 0.99)), "p99-ms")
				// The rate offered, to compare with the rate asked.
				b.ReportMetric(float64(b.N)/sent.Seconds(), "sent/s")
			})
		}
	}
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
