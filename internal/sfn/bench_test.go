package sfn

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// benchEngineFile returns an engine on the real clock with the project's
// definition and no-op in-process handlers, on a data file (durable) when
// file is set.
func benchEngineFile(b *testing.B, file string) (*Engine, string) {
	return benchEngineDef(b, file, jobsDefinitionPath)
}

// The project's definition, and the same machine written in JSONata (a
// test fixture).
const (
	jobsDefinitionPath    = "../../statemachine/jobs.asl.json"
	jobsJSONataDefinition = "../../test/testdata/jobs.jsonata.asl.json"
)

// benchEngineDef is benchEngineFile with the definition at defPath.
func benchEngineDef(b *testing.B, file, defPath string) (*Engine, string) {
	b.Helper()
	def, err := os.ReadFile(defPath)
	if err != nil {
		b.Fatalf("%s: %v", defPath, err)
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
	if file != "" {
		var err error
		if e, err = Open(Config{Invokers: reg, DataFile: file, Logger: slog.New(slog.DiscardHandler)}); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = e.Close() })
	}
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

func BenchmarkJobsSequential(b *testing.B) { benchSequential(b, "") }

// The JSONata machine, to compare with the JSONPath one above.
func BenchmarkJobsJSONataSequential(b *testing.B) {
	e, arn := benchEngineDef(b, "", jobsJSONataDefinition)
	benchSequentialOn(b, e, arn)
}

func BenchmarkJobsJSONataConcurrent1000(b *testing.B) {
	e, arn := benchEngineDef(b, "", jobsJSONataDefinition)
	benchConcurrentOn(b, e, arn)
}

// The durable variants pay two fsyncs per execution when alone (start and
// end are synced); concurrent executions share them (group commit).
func BenchmarkJobsSequentialDurable(b *testing.B) {
	benchSequential(b, filepath.Join(b.TempDir(), "sfn.bolt"))
}

func BenchmarkJobsConcurrent1000(b *testing.B) { benchConcurrent(b, "") }

func BenchmarkJobsConcurrent1000Durable(b *testing.B) {
	benchConcurrent(b, filepath.Join(b.TempDir(), "sfn.bolt"))
}

// Starts from 64 goroutines, as concurrent API clients make them: their
// syncs share commits too.
func BenchmarkJobsConcurrent1000DurableParallelStarts(b *testing.B) {
	e, arn := benchEngineFile(b, filepath.Join(b.TempDir(), "sfn.bolt"))
	const batch, starters = 1000, 64
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.Mallocs
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		exs := make([]*execution, batch)
		var wg sync.WaitGroup
		for w := range starters {
			wg.Go(func() {
				for j := w; j < batch; j += starters {
					ex, err := e.startExecution(arn, "", `{"records":10}`)
					if err != nil {
						b.Error(err)
						return
					}
					exs[j] = ex
				}
			})
		}
		wg.Wait()
		for _, ex := range exs {
			<-ex.done
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	runtime.ReadMemStats(&ms)
	reportPerTransition(b, b.N*batch, elapsed, ms.Mallocs-before)
	b.ReportMetric(float64(fileJournal(e).Commits())/float64(b.N*batch), "commits/execution")
}

// BenchmarkRecover measures Open on a file holding 10,000 finished
// executions (4-transition histories) and 1,000 running ones.
func BenchmarkRecover(b *testing.B) {
	file := filepath.Join(b.TempDir(), "sfn.bolt")
	e, arn := benchEngineFile(b, file)
	var exs []*execution
	for range 10000 {
		ex, err := e.startExecution(arn, "", `{"records":10}`)
		if err != nil {
			b.Fatal(err)
		}
		exs = append(exs, ex)
	}
	for _, ex := range exs {
		<-ex.done
	}
	if err := e.Close(); err != nil {
		b.Fatal(err)
	}
	reg := NewRegistry()
	block := InvokerFunc(func(ctx context.Context, _ []byte) ([]byte, error) { <-ctx.Done(); return nil, ctx.Err() })
	reg.RegisterFunction("tracking", block)
	reg.RegisterFunction("batchSimulation", block)
	reg.RegisterFunction("statusUpdate", block)
	e, err := Open(Config{Invokers: reg, DataFile: file, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	for range 1000 {
		if _, err := e.startExecution(arn, "", `{"records":10}`); err != nil {
			b.Fatal(err)
		}
	}
	e.crash()
	info, _ := os.Stat(file)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e, err := Open(Config{Invokers: reg, DataFile: file, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		if len(e.recovered) != 1000 {
			b.Fatalf("%d running", len(e.recovered))
		}
		b.StopTimer()
		e.crash()
		b.StartTimer()
	}
	b.ReportMetric(float64(info.Size())/(1<<20), "MB-file")
}

func benchSequential(b *testing.B, file string) {
	e, arn := benchEngineFile(b, file)
	benchSequentialOn(b, e, arn)
}

func benchSequentialOn(b *testing.B, e *Engine, arn string) {
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

func benchConcurrent(b *testing.B, file string) {
	e, arn := benchEngineFile(b, file)
	benchConcurrentOn(b, e, arn)
}

func benchConcurrentOn(b *testing.B, e *Engine, arn string) {
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

// BenchmarkRetainedPerFinishedExecution reports the heap a finished
// execution keeps (its history, input and output, the engine's indexes):
// the live heap after a GC, before and after retainedExecutions runs of
// the project's machine, divided by their number. It is the part of the
// local runtime's memory that grows with the executions kept readable
// (--keep-executions bounds their count).
func BenchmarkRetainedPerFinishedExecution(b *testing.B) {
	for i := 0; i < b.N; i++ {
		e, arn := benchEngineFile(b, "")
		b.ReportMetric(retainedPerExecution(b, e, arn), "retained-B/execution")
	}
}

// retainedExecutions is enough executions for the per-execution figure
// to dwarf the heap's noise.
const retainedExecutions = 2000

// retainedPerExecution runs retainedExecutions executions to their end
// and returns the live heap they added, per execution.
func retainedPerExecution(tb testing.TB, e *Engine, arn string) float64 {
	tb.Helper()
	liveHeap := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.GC() // the second finishes what finalizers freed
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := liveHeap()
	for range retainedExecutions {
		ex, err := e.startExecution(arn, "", `{"records":10}`)
		if err != nil {
			tb.Fatal(err)
		}
		<-ex.done
	}
	after := liveHeap()
	runtime.KeepAlive(e)
	return float64(int64(after)-int64(before)) / retainedExecutions
}

// BenchmarkJobsConcurrent1000Bounded is BenchmarkJobsConcurrent1000 with
// 64 task slots, the local runtime's default on 2 CPUs: most of a batch's
// tasks wait in the slot queue (taskslots.go).
func BenchmarkJobsConcurrent1000Bounded(b *testing.B) {
	e, arn := benchEngineFile(b, "")
	e.slots = newTaskSlots(64)
	benchConcurrentOn(b, e, arn)
}
