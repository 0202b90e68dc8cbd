package jsonata

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// fuzzLimits keep each case short: the point is that no expression crashes
// or holds the process, not that slow ones finish.
var fuzzLimits = Limits{MaxDepth: 500, Timeout: time.Second}

var fuzzSeeds = []string{
	`$states.input.a.b`, `$x`, `42`, `'s'`, `$partition([1,2,3], 2)`, `$range(1, 9, 2)`,
	`$hash('a', 'SHA-256')`, `$parse('{"a": [1, 2]}')`, `$uuid()`, `$random(1)`, `$eval('1')`,
	`$states.input.records[value > 1].{'id': id}`, `($f := function($n){$n = 0 ? 0 : $f($n - 1)}; $f(10))`,
	`$pad('x', 5)`, `$base64decode($base64encode('é'))`, `/a(b+)/`, `$match('abbb', /a(b+)/)`,
	`[1..5] ~> $map(function($v){$v * 2})`, `$states.input ~> | $ | {'c': 3} |`, `$keys($states.input)`,
	`$states.input.%`, `$states.input#$i.a`, `$states.input@$o.a`, `$string($states.input)`,
}

// FuzzCompile: any text compiles or fails with an error, never a panic.
func FuzzCompile(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Compile(src)
		if err == nil && e.Source() != src {
			t.Fatalf("Source() = %q", e.Source())
		}
	})
}

// FuzzEval: any expression over any input fails cleanly or gives a JSON
// value, within its time limit; where the fast path answers, the VM agrees.
func FuzzEval(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, `{"a": {"b": [1, "x", null]}, "records": [{"id": "r", "value": 2}]}`)
	}
	f.Add(`$states.input.a`, `[1, {"a": 1.0}]`)
	f.Add(`$states.input`, `"\ud800"`)
	f.Fuzz(func(t *testing.T, src, input string) {
		e, err := Compile(src)
		if err != nil {
			return
		}
		var in any = input
		if v, err := decodeOrdered([]byte(input)); err == nil {
			in = v
		}
		b := map[string]any{"states": map[string]any{"input": in}, "x": in}
		start := time.Now()
		got, err := e.EvalLimits(context.Background(), Undefined, b, fuzzLimits)
		if elapsed := time.Since(start); elapsed > 10*fuzzLimits.Timeout {
			t.Fatalf("took %v, the limit is %v", elapsed, fuzzLimits.Timeout)
		}
		if err != nil {
			var je *Error
			if !errors.As(err, &je) && err.Error() == "" {
				t.Fatalf("an error without text: %#v", err)
			}
			return
		}
		switch got.(type) {
		case Function, undefined:
		default:
			if _, err := json.Marshal(plain(got)); err != nil {
				t.Fatalf("the result %#v is not JSON: %v", got, err)
			}
		}
		if e.fast != nil {
			if fast, ok := e.fast.eval(b); ok {
				vm, err := e.evalVM(context.Background(), Undefined, b, fuzzLimits)
				if err != nil || jsonText(vm) != jsonText(fast) {
					t.Fatalf("fast path %s, VM %s (%v)", jsonText(fast), jsonText(vm), err)
				}
			}
		}
	})
}
