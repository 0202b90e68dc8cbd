package jsonata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func eval(t *testing.T, src string, bindings map[string]any) (any, error) {
	t.Helper()
	e, err := Compile(src)
	if err != nil {
		return nil, err
	}
	return e.Eval(context.Background(), Undefined, bindings)
}

func states(input any) map[string]any {
	return map[string]any{"states": map[string]any{"input": input}}
}

// TestAWSFunctions covers Step Functions' added functions: the results AWS
// recorded (shared/conformance/sfn/cases, intrinsic_functions.jsonl), and
// the behaviour chosen where it recorded none.
func TestAWSFunctions(t *testing.T) {
	tests := []struct {
		src  string
		in   any
		want any
		code string // an *Error's code instead of want
	}{
		// Recorded on AWS.
		{src: `$partition($states.input.a, $states.input.n)`, in: map[string]any{"a": []any{json.Number("0")}, "n": json.Number("1")}, want: []any{[]any{json.Number("0")}}},
		{src: `$partition([0,1,2,3], 3)`, want: []any{[]any{json.Number("0"), json.Number("1"), json.Number("2")}, []any{json.Number("3")}}},
		{src: `$partition([0,1], 5)`, want: []any{[]any{json.Number("0"), json.Number("1")}}},
		{src: `$range(0, 9, 3)`, want: []any{json.Number("0"), json.Number("3"), json.Number("6"), json.Number("9")}},
		{src: `$range(0, 10, 3)`, want: []any{json.Number("0"), json.Number("3"), json.Number("6"), json.Number("9")}},
		{src: `$range(1, 9, 9)`, want: json.Number("1")},
		{src: `$range(1, 9, 2)`, want: []any{json.Number("1"), json.Number("3"), json.Number("5"), json.Number("7"), json.Number("9")}},
		{src: `$parse($states.input)`, in: "-0", want: json.Number("0")},
		{src: `$parse($states.input)`, in: "1.1", want: json.Number("1.1")},
		{src: `$parse($states.input)`, in: `"HelloWorld"`, want: "HelloWorld"},
		{src: `$parse($states.input)`, in: `[1, 2, "HelloWorld"]`, want: []any{json.Number("1"), json.Number("2"), "HelloWorld"}},
		{src: `$parse($states.input)`, in: `{"Arg1": 1, "Arg2": []}`, want: map[string]any{"Arg1": json.Number("1"), "Arg2": []any{}}},
		{src: `$randomSeeded(1)`, code: "T1006"},
		{src: `$eval('1')`, code: "T1006"},
		// Documented, not recorded.
		{src: `$partition([1,2,3,4,5,6,7,8,9], 3)`, want: []any{
			[]any{json.Number("1"), json.Number("2"), json.Number("3")},
			[]any{json.Number("4"), json.Number("5"), json.Number("6")},
			[]any{json.Number("7"), json.Number("8"), json.Number("9")}}},
		{src: `$range(0, 10, 2)`, want: []any{json.Number("0"), json.Number("2"), json.Number("4"), json.Number("6"), json.Number("8"), json.Number("10")}},
		{src: `$range(3, 1, -1)`, want: []any{json.Number("3"), json.Number("2"), json.Number("1")}},
		{src: `$hash('input data', 'MD5')`, want: "812f45842bc6d66ee14572ce20db8e86"},
		{src: `$hash('input data', 'SHA-1')`, want: "aaff4a450a104cd177d28d18d74485e8cae074b7"},
		{src: `$hash('input data', 'SHA-256')`, want: "b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"},
		{src: `$string($random(7) = $random(7))`, want: "true"},
		{src: `$random() >= 0 and $random() < 1`, want: true},
		// The errors chosen where AWS recorded none.
		{src: `$partition([1], 0)`, code: ErrPartitionSize},
		{src: `$partition([1], 1.5)`, code: ErrPartitionSize},
		{src: `$partition([1])`, code: "T0410"},
		{src: `$range(0, 3, 0)`, code: ErrRangeArgs},
		{src: `$range(0, 1, 0.5)`, code: ErrRangeArgs},
		{src: `$range(0, 1e8, 1)`, code: ErrRangeArgs},
		{src: `$range(0, 'a', 1)`, code: "T0410"},
		{src: `$hash('x', 'SHA-3')`, code: ErrHashAlgorithm},
		{src: `$hash({'a': 1}, 'MD5')`, code: "T0410"},
		{src: `$parse('{')`, code: ErrParseJSON},
		{src: `$uuid(1)`, code: "T0410"},
		// Undefined in, undefined out, as jsonata-js's own functions do.
		{src: `$partition($nothing, 2)`, want: Undefined},
		{src: `$range(1, 9, 9)[0]`, want: json.Number("1")},
		{src: `$range(5, 1, 1)`, want: Undefined},
		{src: `$parse($nothing)`, want: Undefined},
		{src: `$hash($nothing, 'MD5')`, want: Undefined},
		// btoa/atob with Node's Buffer semantics.
		{src: `$base64encode('hello:world')`, want: "aGVsbG86d29ybGQ="},
		{src: `$base64decode('aGVsbG86d29ybGQ=')`, want: "hello:world"},
		{src: `$base64encode('é')`, want: "6Q=="},
		{src: `$base64decode('aGVsbG8')`, want: "hello"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			got, err := eval(t, tt.src, states(tt.in))
			if tt.code != "" {
				var je *Error
				require.ErrorAs(t, err, &je, "got %#v", got)
				assert.Equal(t, tt.code, je.Code, je.Message)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, plain(got))
		})
	}
}

// plain makes objects maps, whatever object type results carry (key
// order aside, which TestValues checks through $keys and $string).
func plain(v any) any {
	switch t := v.(type) {
	case OrderedObject:
		m := map[string]any{}
		for _, k := range t.Keys() {
			e, _ := t.Field(k)
			m[k] = plain(e)
		}
		return m
	case map[string]any:
		m := map[string]any{}
		for k, e := range t {
			m[k] = plain(e)
		}
		return m
	case []any:
		a := make([]any, len(t))
		for i, e := range t {
			a[i] = plain(e)
		}
		return a
	}
	return v
}

func TestUUIDAndRandom(t *testing.T) {
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, err := eval(t, `$uuid()`, nil)
	require.NoError(t, err)
	b, err := eval(t, `$uuid()`, nil)
	require.NoError(t, err)
	assert.Regexp(t, v4, a)
	assert.NotEqual(t, a, b)
	r, err := eval(t, `$random(42)`, nil)
	require.NoError(t, err)
	r2, err := eval(t, `$random(42)`, nil)
	require.NoError(t, err)
	assert.Equal(t, r, r2, "a seed gives the same number")
}

// TestFunctionResults: a function as a result is Function{}, whatever made
// it.
func TestFunctionResults(t *testing.T) {
	for _, src := range []string{`function($x){$x}`, `λ($x){$x}`, `$string`, `$partition`, `/ab/`, `$sum(?, 1)`} {
		t.Run(src, func(t *testing.T) {
			got, err := eval(t, src, nil)
			require.NoError(t, err)
			assert.Equal(t, Function{}, got)
		})
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		src, code, msg string
		pos            int
	}{
		{src: `$states.input.`, code: "S0207", msg: "Unexpected end of expression", pos: 14},
		{src: `"abc`, code: "S0101", msg: "String literal must be terminated by a matching quote", pos: 4},
		// The operators of 2.1.0 are refused, as on AWS.
		{src: `$a ?: 1`, code: "S0211", msg: `The symbol ":" cannot be used as a unary operator`, pos: 5},
		{src: `$a ?? 1`, code: "S0211", msg: `The symbol "?" cannot be used as a unary operator`, pos: 5},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, err := Compile(tt.src)
			var je *Error
			require.ErrorAs(t, err, &je)
			assert.Equal(t, tt.code, je.Code)
			assert.Equal(t, tt.msg, je.Message)
			assert.Equal(t, tt.pos, je.Position)
		})
	}
}

// TestLimits: a runaway expression fails, never takes the process.
func TestLimits(t *testing.T) {
	tests := []struct {
		name, src string
		lim       Limits
		msg       string
	}{
		{name: "deep recursion", src: `($f := function($n){$n = 0 ? 0 : 1 + $f($n - 1)}; $f(100000))`, lim: Limits{MaxDepth: 300}, msg: msgStackOverflow},
		{name: "endless tail recursion", src: `($f := function(){$f()}; $f())`, lim: Limits{Timeout: 200 * time.Millisecond}, msg: msgTimeout},
		{name: "endless loop in a built-in", src: `[1..10000000].($ + 1) ~> $count()`, lim: Limits{Timeout: 100 * time.Millisecond}, msg: msgTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Compile(tt.src)
			require.NoError(t, err)
			start := time.Now()
			_, err = e.EvalLimits(context.Background(), Undefined, nil, tt.lim)
			var je *Error
			require.ErrorAs(t, err, &je)
			assert.Equal(t, "U1001", je.Code)
			assert.Equal(t, tt.msg, je.Message)
			assert.Less(t, time.Since(start), 30*time.Second)
		})
	}
	t.Run("the VM works after a timeout", func(t *testing.T) {
		got, err := eval(t, `1 + 1`, nil)
		require.NoError(t, err)
		assert.Equal(t, json.Number("2"), got)
	})
	t.Run("a huge string", func(t *testing.T) {
		_, err := eval(t, `$pad('x', 1e9)`, nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "Invalid string length")
	})
	t.Run("deeply nested expression", func(t *testing.T) {
		src := ""
		for i := 0; i < 20000; i++ {
			src += "["
		}
		_, err := Compile(src)
		require.Error(t, err)
	})
}

func TestContextCancel(t *testing.T) {
	e, err := Compile(`($f := function(){$f()}; $f())`)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = e.Eval(ctx, Undefined, nil)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)

	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	_, err = e.Eval(done, Undefined, nil)
	assert.ErrorIs(t, err, context.Canceled)
}

// TestConcurrentEval runs many expressions at once, more than there are
// VMs, with the race detector in `make test`.
func TestConcurrentEval(t *testing.T) {
	exprs := make([]*Expr, 8)
	for i := range exprs {
		e, err := Compile(fmt.Sprintf(`$states.input.n * %d + $count($states.input.items)`, i))
		require.NoError(t, err)
		exprs[i] = e
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 4*MaxVMs; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			// Compiling meanwhile too: Compile keeps what it compiled in
			// the VM it used.
			if _, err := Compile(fmt.Sprintf(`$states.input.n + %d`, g)); err != nil {
				errs <- err
				return
			}
			for i, e := range exprs {
				in := map[string]any{"n": json.Number(fmt.Sprint(g)), "items": []any{"a", "b"}}
				got, err := e.Eval(context.Background(), Undefined, states(in))
				if err != nil {
					errs <- err
					return
				}
				if want := Number(float64(g*i + 2)); got != want {
					errs <- fmt.Errorf("%s with n=%d: got %v, want %v", e.Source(), g, got, want)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestVMCacheBounded: compiling many expressions (many state machines
// over time) keeps each VM's cache at VMCacheSize.
func TestVMCacheBounded(t *testing.T) {
	for i := 0; i < VMCacheSize+50; i++ {
		e, err := Compile(fmt.Sprintf(`%d`, i))
		require.NoError(t, err)
		_, err = e.evalVM(context.Background(), Undefined, nil, Limits{})
		require.NoError(t, err)
	}
	v, err := vms.get(context.Background())
	require.NoError(t, err)
	defer vms.put(v)
	assert.LessOrEqual(t, len(v.cache), VMCacheSize)
	assert.Equal(t, len(v.cache), v.lru.Len())
}

func TestNumber(t *testing.T) {
	tenth, fifth := 0.1, 0.2 // variables: Go folds constants exactly
	tests := []struct {
		f    float64
		want json.Number
	}{
		{0, "0"}, {math.Copysign(0, -1), "0"}, {1, "1"}, {-1.5, "-1.5"}, {1e21, "1e+21"}, {1.5e-7, "1.5e-7"},
		{123456789012345680000, "123456789012345680000"}, {tenth + fifth, "0.30000000000000004"},
		{0.000001, "0.000001"}, {1e-7, "1e-7"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Number(tt.f), "%v", tt.f)
	}
}

// TestValues: what goes in comes out as JSON.stringify would write it.
func TestValues(t *testing.T) {
	in := map[string]any{
		"n": json.Number("1.0"), "big": json.Number("12345678901234567890"), "neg0": json.Number("-0"),
		"f": 2.5, "i": 3, "s": "x", "b": true, "z": nil,
		"o": map[string]any{"b": json.Number("2"), "a": json.Number("1"), "10": "ten", "9": "nine"},
		"a": []any{json.Number("1"), map[string]any{"k": "v"}},
	}
	tests := []struct {
		src  string
		want any
	}{
		{`$states.input.n`, json.Number("1")},
		{`$states.input.big`, json.Number("12345678901234567000")},
		{`$states.input.neg0`, json.Number("0")},
		{`$states.input.f + $states.input.i`, json.Number("5.5")},
		{`$keys($states.input.o)`, []any{"9", "10", "a", "b"}},
		{`$string($states.input.o)`, `{"9":"nine","10":"ten","a":1,"b":2}`},
		{`$states.input.a[1].k`, "v"},
		{`$states.input.z`, nil},
		{`$states.input.o ~> | $ | {'c': 3} |`, map[string]any{"a": json.Number("1"), "b": json.Number("2"), "c": json.Number("3"), "10": "ten", "9": "nine"}},
		{`$states.input.toString`, Function{}},
		{`$states.input.o.missing`, Undefined},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			got, err := eval(t, tt.src, states(in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, plain(got))
		})
	}
}
