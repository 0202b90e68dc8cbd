package jsonata

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/asyncjobs/stepjobs/internal/jsonvalue"
)

// benchInput is about 60 KB of state data: 550 records of a few fields,
// nested objects and arrays, the size of a large Step Functions payload
// (the limit is 256 KiB).
func benchInput(tb testing.TB) map[string]any {
	tb.Helper()
	records := make([]any, 550)
	for i := range records {
		records[i] = map[string]any{
			"id":       fmt.Sprintf("rec-%04d", i),
			"category": []string{"a", "b", "c"}[i%3],
			"value":    json.Number(fmt.Sprint(i * 7 % 100)),
			"ok":       i%5 != 0,
			"tags":     []any{"t" + fmt.Sprint(i%7), "t" + fmt.Sprint(i%11)},
			"meta":     map[string]any{"source": "sensor", "seq": json.Number(fmt.Sprint(i))},
		}
	}
	in := map[string]any{"job": map[string]any{"id": "job-1", "owner": "alice"}, "records": records}
	b, err := json.Marshal(in)
	if err != nil {
		tb.Fatal(err)
	}
	if len(b) < 50_000 || len(b) > 70_000 {
		tb.Fatalf("bench input is %d bytes, want about 60 KB", len(b))
	}
	return in
}

func benchEval(b *testing.B, src string, input any) {
	e, err := Compile(src)
	if err != nil {
		b.Fatal(err)
	}
	benchEvalExpr(b, e, input)
}

func benchEvalExpr(b *testing.B, e *Expr, input any) {
	bindings := map[string]any{"states": map[string]any{"input": input}}
	// One warm-up: every VM the benchmark uses compiles the expression once.
	if _, err := e.Eval(context.Background(), Undefined, bindings); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Eval(context.Background(), Undefined, bindings); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvalTiny is a small expression over a small input (the fast
// path answers it).
func BenchmarkEvalTiny(b *testing.B) {
	benchEval(b, `$states.input.n + 1`, map[string]any{"n": json.Number("41")})
}

// BenchmarkEvalTinyVM is BenchmarkEvalTiny in the VM, for comparison.
func BenchmarkEvalTinyVM(b *testing.B) {
	e, err := Compile(`$states.input.n + 1`)
	if err != nil {
		b.Fatal(err)
	}
	e.fast = nil
	benchEvalExpr(b, e, map[string]any{"n": json.Number("41")})
}

// BenchmarkEvalPath is the commonest expression in a JSONata state machine:
// a field of the state input.
func BenchmarkEvalPath(b *testing.B) {
	benchEval(b, `$states.input.job.id`, benchInput(b))
}

// BenchmarkEvalCondition is a Choice rule's condition over a 60 KB input
// (the fast path).
func BenchmarkEvalCondition(b *testing.B) {
	benchEval(b, `$states.input.job.owner = 'alice' and $states.input.job.id != 'x'`, benchInput(b))
}

// BenchmarkEvalPathVM is BenchmarkEvalPath in the VM, for comparison.
func BenchmarkEvalPathVM(b *testing.B) {
	e, err := Compile(`$states.input.job.id`)
	if err != nil {
		b.Fatal(err)
	}
	e.fast = nil
	benchEvalExpr(b, e, benchInput(b))
}

// BenchmarkEvalMid60KB filters and reshapes part of a 60 KB input.
func BenchmarkEvalMid60KB(b *testing.B) {
	benchEval(b, `$states.input.records[category = 'a' and value > 50].{'id': id, 'v': value * 2, 'tag': tags[0]}`, benchInput(b))
}

// BenchmarkEvalMid60KBOrdered is BenchmarkEvalMid60KB over the engine's own
// value model (objects that keep their key order).
func BenchmarkEvalMid60KBOrdered(b *testing.B) {
	benchEval(b, `$states.input.records[category = 'a' and value > 50].{'id': id, 'v': value * 2, 'tag': tags[0]}`, jsonvalue.Normalize(benchInput(b)))
}

// BenchmarkEvalSum60KB reads one field of every record of a 60 KB input.
func BenchmarkEvalSum60KB(b *testing.B) {
	benchEval(b, `$sum($states.input.records.value)`, benchInput(b))
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Compile(`$states.input.records[category = 'a' and value > 50].{'id': id, 'v': value * 2}`); err != nil {
			b.Fatal(err)
		}
	}
}
