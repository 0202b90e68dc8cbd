// Package jsonata evaluates JSONata expressions the way AWS Step Functions
// does (QueryLanguage JSONata).
//
// # What runs
//
// The reference implementation, jsonata-js 2.0.6 (the version Step Functions
// documents), runs in an embedded JavaScript VM (goja). It is not bundled:
// it is read from the project's node_modules/jsonata (package.json pins it),
// found by walking up from the working directory or the executable, or at
// $STEPJOBS_JSONATA. It is made synchronous as it is loaded (sync.go: its
// async/await cost three times the time in goja's promises) and compiled
// once into a goja program; VMs made from it are pooled, and each VM
// compiles an expression once and keeps it.
//
// Step Functions' environment is set up in every VM:
//   - $eval is bound to undefined: calling it fails with T1006 "Attempted to
//     invoke a non-function", as on AWS.
//   - AWS's added functions, registered with signatures as jsonata-js checks
//     them (a wrong argument type is T0410): $partition(array, size) (a plain
//     array of arrays), $range(start, end, step) (a sequence, so AWS's
//     recorded $range(1,9,9) is 1), $hash(string, algorithm) (MD5, SHA-1,
//     SHA-256, SHA-384 or SHA-512, lower-case hex), $random([seed]) (seeded:
//     the same number for the same seed), $uuid() (version 4) and
//     $parse(jsonString).
//   - btoa and atob (window.btoa/atob, which jsonata-js uses when there is a
//     window) with Node's Buffer semantics, for $base64encode and
//     $base64decode.
//
// # Values
//
// Values are the asl package's: objects as *jsonvalue.Object (which keep
// their keys' order, as AWS keeps it in state data and JSONata shows it in
// $keys, $string and $each) or map[string]any (the VM sees its keys
// sorted), []any, json.Number, string, bool and nil (float64 and int are
// taken too). Any OrderedObject or Object (asl.Object) is read through its
// fields. An expression that yields nothing returns Undefined; one that
// yields a function (a lambda, a built-in, a regex) returns Function{}.
// Objects the expression builds come back as *jsonvalue.Object in
// JavaScript's key order. Numbers are JavaScript doubles inside, so results
// carry them as JSON.stringify writes them (json.Number "1" for 1.0, "0"
// for -0). Objects are handed to the VM lazily, field by field, so a large
// input costs only what the expression reads; results may share objects
// and slices with the input and bindings, which are never changed.
//
// # Fast path
//
// Expressions made of literals, variables ($name), variables followed by
// field names ($states.input.a.b, $states.context.Execution.Id),
// arithmetic (+ - * / %) and concatenation (&) of those, comparisons
// (= != < <= > >=) of those, and and/or of comparisons (Choice conditions
// such as $states.input.status = 'DONE') are answered in Go without
// entering the VM, which costs tens of microseconds even for a literal.
// That holds as long as every step meets a plain object field and every
// operator meets the values it takes (numbers, strings, booleans, null);
// anything else (an array, a missing variable, a field named like a
// JavaScript prototype property, an operation that jsonata-js answers with
// an error or with a number rounded to 15 digits) falls back to the VM, so
// the result is always the VM's (a differential test and FuzzEval hold
// them to it). Expr.IsSimple tells which expressions qualify.
//
// # Limits
//
// Every evaluation is bounded (Limits, defaults DefaultMaxDepth and
// DefaultTimeout): nesting deeper than the depth limit fails with U1001
// "Stack overflow error", as jsonata-js's own test suite counts depth (its
// evaluate entry and exit hooks); running past the time limit fails with
// U1001 "Expression evaluation timeout"; a cancelled context stops the
// evaluation with the context's error. The VM's call stack is capped
// (MaxCallStackSize frames), strings built by joining are capped at
// MaxStringLength characters (RangeError "Invalid string length", as V8
// says past its own larger cap), result nesting at MaxResultDepth, and
// regular expressions that need backtracking stop after the time limit. At
// most MaxVMs VMs exist; an evaluation waits for a free one. Each VM keeps at
// most VMCacheSize compiled expressions, least recently used first out.
//
// # What differs from AWS
//
// Nothing that AWS has recorded (see the reference suite and the JSONata
// cases in shared/conformance). Not recorded on AWS, and so chosen here:
// the errors of AWS's functions on bad values (codes D3190 to D3193, listed
// at ErrPartitionSize and below), $random's generator (seeded results are
// reproducible here, not AWS's numbers), and the limits above (AWS
// documents none for expressions). Two consequences of the engine: jsonata-js
// is run synchronously (see sync.go: where two items of one array
// constructor both fail, the first one's error is reported, where
// jsonata-js reports the one that fails in fewer steps), and goja orders
// strings by code point where V8 orders UTF-16 code units (they differ only
// between characters above U+FFFF and those from U+E000).
package jsonata

import (
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
)

// Undefined is what an expression that selects nothing evaluates to.
var Undefined any = undefined{}

type undefined struct{}

// Function is what an expression evaluates to when its value is a
// function: Step Functions refuses it as a result.
type Function struct{}

// Error is a JSONata error: a syntax error from Compile, or an evaluation
// error from Eval. Code is jsonata-js's (e.g. S0202, T1006, D3030), or one
// of this package's for AWS's functions (D3190 to D3193) and limits (U1001).
type Error struct {
	Code     string
	Position int
	Token    string
	Message  string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Codes of the errors AWS's added functions raise here. AWS has recorded
// none of these cases, so the codes are this package's (jsonata-js's own
// end at D3141).
const (
	ErrPartitionSize = "D3190" // $partition: the size is not a positive integer
	ErrRangeArgs     = "D3191" // $range: not integers, a zero step, or over 1e7 items
	ErrHashAlgorithm = "D3192" // $hash: an algorithm other than MD5, SHA-1, SHA-256, SHA-384, SHA-512
	ErrParseJSON     = "D3193" // $parse: the string is not JSON
)

// Limits bound one evaluation. A zero field takes its default.
type Limits struct {
	// MaxDepth caps how deeply evaluations nest, counted as jsonata-js's
	// test suite counts them (its evaluate hooks, parallel branches
	// aside): a recursive function takes about three a level. Past it the
	// evaluation fails with U1001 "Stack overflow error".
	MaxDepth int
	// Timeout caps the evaluation's time. Past it the evaluation fails
	// with U1001 "Expression evaluation timeout".
	Timeout time.Duration
}

const (
	// DefaultMaxDepth lets a non-tail-recursive function go about 1,600
	// levels deep (tail calls do not nest); jsonata-js on Node has no limit
	// of its own (it grows the heap), so this only stops runaway recursion.
	// Failing deeper costs more: goja captures the call stack at every
	// rethrow on the way out (a second at 3,000 levels).
	DefaultMaxDepth = 5000
	// DefaultTimeout stops an expression that loops for ever. The slowest
	// expressions of the reference suite ([1..1e7] ~> $count()) take about
	// a second here.
	DefaultTimeout = 10 * time.Second
	// MaxCallStackSize caps the VM's call stack (frames), so deep
	// recursion inside jsonata-js itself (the parser on a deeply nested
	// expression, or an evaluation the depth hooks do not count: they skip
	// the items of an array constructor after the first) is an error, not
	// a stack that grows without bound. A JSONata recursion level takes a
	// dozen frames, so DefaultMaxDepth binds first.
	MaxCallStackSize = 50000
	// MaxStringLength caps the strings Array.prototype.join builds
	// ($pad, $join, number formatting): a huge width must fail, not take
	// the process's memory. V8's cap is 2^29-24; AWS's payloads are at
	// most 256 KiB.
	MaxStringLength = 1 << 26
	// MaxResultDepth caps the nesting of a result converted back to Go
	// values.
	MaxResultDepth = 10000
	// VMCacheSize is how many compiled expressions each VM keeps.
	VMCacheSize = 1024
)

// MaxVMs is how many VMs may exist at once: evaluations are CPU-bound, so
// more than a few per processor gain nothing. The pool is made when the
// package is initialised: changing it later has no effect. A VM takes
// about 1 MB and a few milliseconds to make; idle ones are kept.
var MaxVMs = max(4, 2*runtime.GOMAXPROCS(0))

// Expr is a compiled expression. It is safe for concurrent use.
type Expr struct {
	src  string
	id   int64 // key of each VM's cache of compiled expressions
	fast *fastExpr
}

// Source returns the expression's text.
func (e *Expr) Source() string { return e.src }

// IsSimple reports whether the expression may be answered without the VM:
// a literal, a variable, or a variable followed by field names. Whether it
// is depends on the values too (see the package's Fast path).
func (e *Expr) IsSimple() bool { return e.fast != nil }

var (
	loadOnce sync.Once
	program  *goja.Program
	setup    *goja.Program
	loadErr  error

	exprIDs atomic.Int64 // numbers the compiled expressions, for the VMs' caches

	vms = newPool()
)

// Locate returns the path of jsonata.js.
func Locate() (string, error) {
	if p := os.Getenv("STEPJOBS_JSONATA"); p != "" {
		return p, nil
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, dir := range starts {
		for {
			p := filepath.Join(dir, "node_modules", "jsonata", "jsonata.js")
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", errors.New("jsonata: node_modules/jsonata/jsonata.js not found above the working directory or the executable: run npm ci (or set STEPJOBS_JSONATA)")
}

func load() error {
	loadOnce.Do(func() {
		path, err := Locate()
		if err != nil {
			loadErr = err
			return
		}
		src, err := os.ReadFile(path)
		if err != nil {
			loadErr = fmt.Errorf("jsonata: %w", err)
			return
		}
		body, err := syncBundle(string(src))
		if err != nil {
			loadErr = fmt.Errorf("jsonata: %s: %w", path, err)
			return
		}
		program, loadErr = goja.Compile(path, prelude+body+postlude, false)
		if loadErr != nil {
			loadErr = fmt.Errorf("jsonata: compile %s: %w", path, loadErr)
			return
		}
		setup, loadErr = goja.Compile("stepfunctions.js", setupJS, true)
		if loadErr != nil {
			loadErr = fmt.Errorf("jsonata: compile the Step Functions environment: %w", loadErr)
		}
	})
	return loadErr
}

// The bundle is UMD: it sets module.exports when there is a module. A
// window makes $base64encode/$base64decode use window.btoa/atob (without
// one they want Node's global.Buffer).
const prelude = "var module = {exports: {}}; var exports = module.exports; var window = this;\n"
const postlude = "\n;var jsonata = module.exports;"

// vm is one JavaScript VM with jsonata loaded; a VM is not goroutine-safe,
// so each is used by one call at a time (taken from the pool).
type vm struct {
	rt      *goja.Runtime
	prepare goja.Callable // __prepare(src): a compiled expression in Step Functions' environment
	shape   goja.Callable // __shape(expr): the fast path's view of its AST
	limits  *goja.Object  // __limits: the depth hooks' counters
	cache   map[int64]*list.Element
	lru     list.List // of *compiled, most recently used first
}

// compiled is an expression compiled in one VM.
type compiled struct {
	id       int64
	obj      *goja.Object
	evaluate goja.Callable
}

func newVM() (*vm, error) {
	if err := load(); err != nil {
		return nil, err
	}
	v := &vm{rt: goja.New(), cache: map[int64]*list.Element{}}
	v.rt.SetMaxCallStackSize(MaxCallStackSize)
	if _, err := v.rt.RunProgram(program); err != nil {
		return nil, fmt.Errorf("jsonata: load: %w", err)
	}
	v.installNatives()
	if _, err := v.rt.RunProgram(setup); err != nil {
		return nil, fmt.Errorf("jsonata: set up the Step Functions environment: %w", err)
	}
	// The functions' objects come from evaluating an expression: a promise
	// the jobs run at the end of RunProgram settled.
	if _, err := v.rt.RunString("__sfnReady()"); err != nil {
		return nil, fmt.Errorf("jsonata: set up the Step Functions environment: %w", err)
	}
	var ok bool
	if v.prepare, ok = goja.AssertFunction(v.rt.Get("__prepare")); !ok {
		return nil, errors.New("jsonata: the environment has no __prepare")
	}
	if v.shape, ok = goja.AssertFunction(v.rt.Get("__shape")); !ok {
		return nil, errors.New("jsonata: the environment has no __shape")
	}
	v.limits = v.rt.Get("__limits").ToObject(v.rt)
	return v, nil
}

// pool holds the VMs: at most MaxVMs exist, idle ones wait in idle.
type pool struct {
	slots chan struct{} // one token per VM in existence
	idle  chan *vm
}

func newPool() *pool {
	return &pool{slots: make(chan struct{}, MaxVMs), idle: make(chan *vm, MaxVMs)}
}

// get returns an idle VM, a new one if fewer than MaxVMs exist, or waits.
func (p *pool) get(ctx context.Context) (*vm, error) {
	select {
	case v := <-p.idle:
		return v, nil
	default:
	}
	select {
	case v := <-p.idle:
		return v, nil
	case p.slots <- struct{}{}:
		v, err := newVM()
		if err != nil {
			<-p.slots
			return nil, err
		}
		return v, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("jsonata: waiting for a VM: %w", ctx.Err())
	}
}

func (p *pool) put(v *vm) { p.idle <- v }

// discard drops a VM whose state cannot be trusted (interrupted, or a
// timer that may still interrupt it); a new one takes its slot later.
func (p *pool) discard(*vm) { <-p.slots }

// Compile parses an expression. A syntax error is an *Error.
func Compile(src string) (*Expr, error) {
	v, err := vms.get(context.Background())
	if err != nil {
		return nil, err
	}
	e := &Expr{src: src, id: exprIDs.Add(1)}
	c, healthy, err := v.compileIn(e, true)
	if err == nil {
		v.keep(c) // before the VM goes back: then another goroutine has it
	}
	if healthy {
		vms.put(v)
	} else {
		vms.discard(v)
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

// compileIn compiles e in this VM and, with shape (from Compile, before e
// is shared), works out its fast path.
func (v *vm) compileIn(e *Expr, shape bool) (c *compiled, healthy bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, healthy, err = nil, false, fmt.Errorf("jsonata: %v", r)
		}
	}()
	val, err := v.prepare(goja.Undefined(), v.rt.ToValue(e.src))
	if err != nil {
		err, healthy = v.jsError(err)
		return nil, healthy, err
	}
	obj := val.ToObject(v.rt)
	evaluate, ok := goja.AssertFunction(obj.Get("evaluate"))
	if !ok {
		return nil, true, errors.New("jsonata: compiled expression has no evaluate")
	}
	c = &compiled{id: e.id, obj: obj, evaluate: evaluate}
	if shape {
		if s, err := v.shape(goja.Undefined(), obj); err == nil {
			e.fast = newFastExpr(s.Export())
		}
	}
	return c, true, nil
}

// keep puts c in the cache, dropping the least recently used past
// VMCacheSize: expressions of state machines long gone must not pile up.
func (v *vm) keep(c *compiled) {
	v.cache[c.id] = v.lru.PushFront(c)
	for v.lru.Len() > VMCacheSize {
		old := v.lru.Back()
		v.lru.Remove(old)
		delete(v.cache, old.Value.(*compiled).id)
	}
}

// expr returns e compiled in this VM.
func (v *vm) expr(e *Expr) (*compiled, bool, error) {
	if el, ok := v.cache[e.id]; ok {
		v.lru.MoveToFront(el)
		return el.Value.(*compiled), true, nil
	}
	c, healthy, err := v.compileIn(e, false)
	if err != nil {
		return nil, healthy, err
	}
	v.keep(c)
	return c, true, nil
}

// Eval evaluates the expression against input (Undefined for none) with
// the given variable bindings (names without the $), within the default
// Limits.
func (e *Expr) Eval(ctx context.Context, input any, bindings map[string]any) (any, error) {
	return e.EvalLimits(ctx, input, bindings, Limits{})
}

// EvalLimits is Eval within the given limits.
func (e *Expr) EvalLimits(ctx context.Context, input any, bindings map[string]any, lim Limits) (any, error) {
	if e.fast != nil {
		if r, ok := e.fast.eval(bindings); ok {
			return r, nil
		}
	}
	return e.evalVM(ctx, input, bindings, lim)
}

// evalVM evaluates in a VM, never by the fast path.
func (e *Expr) evalVM(ctx context.Context, input any, bindings map[string]any, lim Limits) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("jsonata: %w", err)
	}
	v, err := vms.get(ctx)
	if err != nil {
		return nil, err
	}
	res, healthy, err := v.eval(ctx, e, input, bindings, lim)
	if healthy {
		vms.put(v)
	} else {
		vms.discard(v)
	}
	return res, err
}

// errTimeout is what the time limit interrupts the VM with.
var errTimeout = errors.New("time limit")

const (
	msgStackOverflow = "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive."
	msgTimeout       = "Expression evaluation timeout: Check for infinite loop"
)

func (v *vm) eval(ctx context.Context, e *Expr, input any, bindings map[string]any, lim Limits) (res any, healthy bool, err error) {
	c, healthy, err := v.expr(e)
	if err != nil {
		return nil, healthy, err
	}
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = DefaultMaxDepth
	}
	if lim.Timeout <= 0 {
		lim.Timeout = DefaultTimeout
	}
	defer func() {
		if r := recover(); r != nil {
			res, healthy, err = nil, false, fmt.Errorf("jsonata: %v", r)
		}
	}()
	_ = v.limits.Set("depth", 0)
	_ = v.limits.Set("max", lim.MaxDepth)
	b := v.rt.NewDynamicObject(&jsObject{v: v, m: bindings})
	in := v.toJS(input)

	// Either stopper may fire after the call returned; the VM then may be
	// interrupted at any moment and is not reused.
	timer := time.AfterFunc(lim.Timeout, func() { v.rt.Interrupt(errTimeout) })
	stopCtx := func() bool { return true }
	if ctx.Done() != nil {
		stopCtx = context.AfterFunc(ctx, func() { v.rt.Interrupt(ctx.Err()) })
	}
	p, callErr := c.evaluate(c.obj, in, b)
	healthy = timer.Stop()
	healthy = stopCtx() && healthy
	if callErr != nil {
		err, ok := v.jsError(callErr)
		return nil, ok && healthy, err
	}
	promise, ok := p.Export().(*goja.Promise)
	if !ok {
		res, err := v.fromJS(p, 0)
		return res, healthy, err
	}
	switch promise.State() {
	case goja.PromiseStateFulfilled:
		res, err := v.fromJS(promise.Result(), 0)
		return res, healthy, err
	case goja.PromiseStateRejected:
		return nil, healthy, v.thrown(promise.Result())
	}
	return nil, false, errors.New("jsonata: evaluation did not settle")
}

// jsError turns an error from a call into the VM into an *Error where it
// is one of jsonata's (or a limit's). healthy tells whether the VM can be
// used again: not after an interrupt or a stack overflow.
func (v *vm) jsError(err error) (error, bool) {
	var ex *goja.Exception
	if errors.As(err, &ex) {
		return v.thrown(ex.Value()), true
	}
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		if ie.Value() == errTimeout {
			return &Error{Code: "U1001", Message: msgTimeout}, false
		}
		if c, ok := ie.Value().(error); ok {
			return fmt.Errorf("jsonata: interrupted: %w", c), false
		}
		return fmt.Errorf("jsonata: interrupted: %v", ie.Value()), false
	}
	var so *goja.StackOverflowError
	if errors.As(err, &so) {
		return &Error{Code: "U1001", Message: msgStackOverflow}, false
	}
	return fmt.Errorf("jsonata: %w", err), false
}

// thrown converts a thrown JavaScript value.
func (v *vm) thrown(val goja.Value) error {
	if o, ok := val.(*goja.Object); ok {
		code := o.Get("code")
		if code != nil && !goja.IsUndefined(code) {
			e := &Error{Code: code.String()}
			if m := o.Get("message"); m != nil && !goja.IsUndefined(m) {
				e.Message = m.String()
			}
			if p := o.Get("position"); p != nil && !goja.IsUndefined(p) {
				e.Position = int(p.ToInteger())
			}
			if t := o.Get("token"); t != nil && !goja.IsUndefined(t) && !goja.IsNull(t) {
				e.Token = t.String()
			}
			return e
		}
	}
	return fmt.Errorf("jsonata: %s", val.String())
}

// Number formats a float64 as JavaScript prints it (JSON.stringify): "null"
// for NaN and the infinities, "0" for -0.
func Number(f float64) json.Number {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "null"
	}
	if f == 0 {
		return "0"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
	}
	// JavaScript writes decimals from 1e-6 (0.000001) and exponents below
	// (1e-7).
	a := math.Abs(f)
	if a >= 1e-6 && a < 1e21 {
		return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // 1e+21, 1.5e-07
	// JavaScript writes the exponent without leading zeros.
	mant, exp, _ := cut(s, 'e')
	sign := exp[0]
	digits := exp[1:]
	for len(digits) > 1 && digits[0] == '0' {
		digits = digits[1:]
	}
	return json.Number(mant + "e" + string(sign) + digits)
}

func cut(s string, c byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
