package sfn

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"
)

// benchEngine returns an engine on the real clock with the project's
// definition and no-op in-process handlers.
func benchEngine(b *testing.B) (*Engine, string) {
	b.Helper()
	def, err := os.ReadFile("../../statemachine/jobs.asl.json")
	if err != nil {
		b.Skipf("statemachine/jobs.asl.json: %v", err)
	}
	reg := NewRegistry()
	noop := func(out string) Invoker {
		res := []byte(out)
		return InvokerFunc(func(context.Context, []byte) ([]byte, error) { return res, nil })
	}
	reg.RegisterFunction("tracking", noop(`{"jobId":"j","status":"RUNNING","createdAt":"2026-01-01T00:00:00Z"}`))
	reg.RegisterFunction("batchSimulation", noop(`{"bucket":"b","key":"results/j.json","records":100,"bytes":1234}`))
	reg.RegisterFunction("statusUpdate", noop(`{"jobId":"j","status":"SUCCEEDED","result":{"bucket":"b","key":"results/j.json","records":100,"bytes":1234}}`))
	e := New(Config{Invokers: reg})
	sm, err := e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "jobs", Definition: string(def), RoleARN: "r"})
	if err != nil {
		b.Fatal(err)
	}
	return e, sm.ARN
}

// transitionsPerExecution: Track, Simulate, RecordSuccess, Done.
const transitionsPerExecution = 4

func reportPerTransition(b *testing.B, executions int, elapsed time.Duration, mallocs uint64) {
	transitions := float64(executions * transitionsPerExecution)
	b.ReportMetric(float64(elapsed.Nanoseconds())/transitions, "ns/transition")
	b.ReportMetric(float64(executions)/elapsed.Seconds(), "executions/s")
	b.ReportMetric(float64(mallocs)/transitions, "allocs/transition")
}

func BenchmarkJobsSequential(b *testing.B) {
	e, arn := benchEngine(b)
	ctx := context.Background()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.Mallocs
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		ex, err := e.startExecution(arn, "", `{"records":10}`)
		if err != nil {
			b.Fatal(err)
		}
		<-ex.done
		if ex.status != StatusSucceeded {
			b.Fatalf("status %s", ex.status)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	runtime.ReadMemStats(&ms)
	reportPerTransition(b, b.N, elapsed, ms.Mallocs-before)
	_ = ctx
}

func BenchmarkJobsConcurrent1000(b *testing.B) {
	e, arn := benchEngine(b)
	const batch = 1000
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.Mallocs
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		exs := make([]*execution, batch)
		for j := range exs {
			ex, err := e.startExecution(arn, "", `{"records":10}`)
			if err != nil {
				b.Fatal(err)
			}
			exs[j] = ex
		}
		for _, ex := range exs {
			<-ex.done
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	runtime.ReadMemStats(&ms)
	reportPerTransition(b, b.N*batch, elapsed, ms.Mallocs-before)
}
