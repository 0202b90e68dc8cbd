package jsonata

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fast path must give exactly what the VM gives: these tests run both
// on the same expressions and values and compare.

// fastExprs are expressions the fast path takes, and a few it must not.
var fastExprs = []string{
	`1`, `-1.5`, `1e300`, `0.1`, `1e-7`, `"a"`, `'b'`, `true`, `false`, `null`,
	`$x`, `$states`, `$missing`, `$string`, `$partition`, `$eval`, `$now`,
	`$states.input`, `$states.input.a`, `$states.input.a.b`, `$states.input.a.b.c`,
	`$states.context.Execution.Id`, `$states.input.arr`, `$states.input.arr.b`,
	`$states.input.n`, `$states.input.s`, `$states.input.z`, `$states.input.z.a`,
	`$states.input.u`, `$states.input.u.a`, `$states.input.s.length`,
	`$x.toString`, `$x.__proto__`, `$x.constructor`, `$x.hasOwnProperty`, `$x.valueOf`,
	`$x.a`, `$x.a.a`, `$x.arr`, `$x.ten`, "$x.`10`", "$states.input.`a b`",
	`$states.input.a[]`, `$states.input.a[0]`, `$states.input.a.b /* c */`, `$x.a.b.c.d.e`,
	// Conditions.
	`$states.input.n = 1`, `$states.input.n != 1`, `$states.input.s = 'x'`, `$states.input.b = true`,
	`$states.input.n > 0`, `$states.input.n <= 0.1`, `$states.input.s < 'y'`, `$states.input.s >= '\ue000'`,
	`$x = null`, `$x != $states.input.a`, `$x = $x`, `$states.input.z = null`, `$missing = 1`,
	`$states.input.s > 1`, `$states.input.b < true`, `$x < $states.input.s`, `1 = 1`, `'a' < 'b'`,
	`$states.input.n >= 1 and $states.input.s = 'x'`, `$x.a = 1 or $x.b = 2`,
	`$states.input.n > 0 and $states.input.n < 10 or $states.input.s = ''`,
	`$states.context.Execution.Id = 'arn:x' and $states.input.toString = 1`,
	// Arithmetic and concatenation.
	`$states.input.n + 1`, `$states.input.n * 2 - $x`, `$states.input.n / 3`, `$states.input.n % 2`,
	`-$states.input.n`, `$states.input.n + 1 > 2`, `1e308 * 10`, `$states.input.n / 0`,
	`'E' & $states.input.s`, `$states.input.n & '/' & $states.input.b & $states.input.z`, `$x & $missing`,
	`'id-' & ($states.input.n + 0.1)`, `$states.input.s & $states.input.a`,
}

// valueGen makes random JSON values with what the fast path must get
// right: numbers JavaScript writes otherwise, undefined members, names of
// prototype properties, arrays where objects are expected, ordered
// objects and objects read field by field.
type valueGen struct{ r *rand.Rand }

var (
	genNumbers = []json.Number{"0", "1", "-1", "1.0", "1e2", "-0", "0.1", "12345678901234567890", "1e400", "1.5e-7", "007", "3.14159"}
	genKeys    = []string{"a", "b", "c", "arr", "toString", "__proto__", "constructor", "10", "a b", "ten", "Execution", "Id"}
	genStrings = []string{"", "x", "y", "héllo", "\xff\xfe", "10", "\U00010000", "\ue000"}
)

func (g valueGen) value(depth int) any {
	n := 9
	if depth > 3 {
		n = 6
	}
	switch g.r.IntN(n) {
	case 0:
		return nil
	case 1:
		return g.r.IntN(2) == 0
	case 2:
		return genNumbers[g.r.IntN(len(genNumbers))]
	case 3:
		return genStrings[g.r.IntN(len(genStrings))]
	case 4:
		return []any{2.5, 7, int64(-3)}[g.r.IntN(3)]
	case 5:
		return Undefined
	case 6:
		a := make([]any, g.r.IntN(3))
		for i := range a {
			a[i] = g.value(depth + 1)
		}
		return a
	case 7:
		m := map[string]any{}
		for range g.r.IntN(5) {
			m[genKeys[g.r.IntN(len(genKeys))]] = g.value(depth + 1)
		}
		return m
	default:
		o := &orderedObject{m: map[string]any{}}
		for range g.r.IntN(5) {
			k := genKeys[g.r.IntN(len(genKeys))]
			if _, dup := o.m[k]; !dup {
				o.keys = append(o.keys, k)
			}
			o.m[k] = g.value(depth + 1)
		}
		return o
	}
}

// bindings makes $states (input, context) and $x, with the keys the
// expressions read present more often than chance would have them.
func (g valueGen) bindings() map[string]any {
	obj := func() map[string]any {
		m := map[string]any{}
		for _, k := range genKeys {
			if g.r.IntN(3) > 0 {
				m[k] = g.value(1)
			}
		}
		return m
	}
	in := obj()
	for _, k := range []string{"n", "s", "b", "z"} {
		if g.r.IntN(4) > 0 {
			in[k] = g.value(1)
		}
	}
	if g.r.IntN(2) == 0 {
		in["a"] = map[string]any{"b": map[string]any{"c": g.value(2)}}
	}
	st := map[string]any{"input": in, "context": map[string]any{"Execution": map[string]any{"Id": "arn:x", "Input": in}}}
	b := map[string]any{"states": st, "x": g.value(0)}
	if g.r.IntN(4) == 0 {
		b["x"] = obj()
	}
	return b
}

// TestFastPathMatchesVM is the differential test: thousands of random
// values through every expression, fast path against VM.
func TestFastPathMatchesVM(t *testing.T) {
	rounds := 300
	if testing.Short() {
		rounds = 30
	}
	g := valueGen{rand.New(rand.NewPCG(1, 2))}
	compiled := make([]*Expr, len(fastExprs))
	for i, src := range fastExprs {
		e, err := Compile(src)
		require.NoError(t, err, src)
		compiled[i] = e
	}
	answered, fellBack := 0, 0
	for round := 0; round < rounds; round++ {
		b := g.bindings()
		for _, e := range compiled {
			want, wantErr := e.evalVM(context.Background(), Undefined, b, Limits{})
			if e.fast == nil {
				continue
			}
			got, ok := e.fast.eval(b)
			if !ok {
				fellBack++
				continue
			}
			answered++
			require.NoError(t, wantErr, "%s: the fast path answered %#v where the VM failed", e.Source(), got)
			require.Equal(t, want, got, "%s over %s", e.Source(), jsonText(b))
		}
	}
	t.Logf("fast path: %d answers, all equal to the VM's; %d fell back to the VM", answered, fellBack)
	assert.Greater(t, answered, fellBack, "the fast path should answer most of these")
}

// TestFastPathCoverage pins which expressions the fast path takes.
func TestFastPathCoverage(t *testing.T) {
	tests := []struct {
		src    string
		simple bool
	}{
		{`$states.input.a.b`, true}, {`$states.context.Execution.Id`, true}, {`$var`, true},
		{`42`, true}, {`'text'`, true}, {`null`, true}, {"$states.input.`odd key`", true},
		{`$states.input.a[0]`, false}, {`$states.input.a[]`, false}, {`$`, false}, {`$$.a`, false},
		{`$.a`, false}, {`a.b`, false}, {`$states.input.a + 1`, true}, {`$f()`, false}, {`-$states.input.a`, false},
		{`$states.input.status = 'DONE'`, true}, {`$n >= 3 and $n < 10`, true}, {`$a = 1 or $b != null`, true},
		{`$states.input.n + 1 > 2`, true}, {`'job-' & $states.input.id`, true}, {`$states.input.n * 10`, true},
		{`$f($x) = 1`, false}, {`$x in [1, 2]`, false}, {`$states.input.n + $count($x)`, false},
		{`{'a': 1}`, false}, {`[1]`, false}, {`$states.input.*`, false}, {`$states.input.(a)`, false}, {`$states.input.a.b.%`, false},
	}
	for _, tt := range tests {
		e, err := Compile(tt.src)
		require.NoError(t, err, tt.src)
		assert.Equal(t, tt.simple, e.IsSimple(), tt.src)
	}
}

func TestFastPathFallsBack(t *testing.T) {
	in := map[string]any{"arr": []any{map[string]any{"b": "1"}, map[string]any{"b": "2"}}, "o": map[string]any{}}
	tests := []struct {
		src  string
		want any
	}{
		{`$states.input.arr.b`, []any{"1", "2"}},      // an array maps
		{`$states.input.o.toString`, Function{}},      // the prototype's
		{`$missing`, Undefined},                       // not bound
		{`$string`, Function{}},                       // a built-in
		{`$states.input.arr`, in["arr"]},              // an array at the end is the value
		{`$states.input.nothing.toString`, Undefined}, // nothing has no fields
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			got, err := eval(t, tt.src, states(in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func ExampleExpr_IsSimple() {
	for _, src := range []string{`$states.input.order.id`, `$states.input.items[0]`} {
		e, _ := Compile(src)
		fmt.Println(src, e.IsSimple())
	}
	// Output:
	// $states.input.order.id true
	// $states.input.items[0] false
}
