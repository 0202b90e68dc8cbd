// Package jsonata evaluates JSONata expressions the way AWS Step Functions
// does: the reference implementation, jsonata-js 2.0.6 (the version Step
// Functions documents), run in an embedded JavaScript VM (goja), with
// $eval removed and Step Functions' own functions added.
//
// The implementation is not bundled: it is read from the project's
// node_modules/jsonata (package.json pins it), found by walking up from the
// working directory or the executable, or at $STEPJOBS_JSONATA.
//
// Values are the asl package's: map[string]any, []any, json.Number, string,
// bool and nil. An expression that yields nothing returns Undefined.
package jsonata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/dop251/goja"
)

// Undefined is what an expression that selects nothing evaluates to.
var Undefined any = undefined{}

type undefined struct{}

// Function is what an expression evaluates to when its value is a
// function: Step Functions refuses it as a result.
type Function struct{}

// Error is a JSONata error: a syntax error from Compile, or an evaluation
// error from Eval. Code is jsonata-js's (e.g. S0202, T1006, D3030).
type Error struct {
	Code     string
	Position int
	Token    string
	Message  string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Expr is a compiled expression. It is safe for concurrent use.
type Expr struct {
	src string
	id  int // index into each VM's cache of compiled expressions
}

// Source returns the expression's text.
func (e *Expr) Source() string { return e.src }

var (
	loadOnce sync.Once
	program  *goja.Program
	loadErr  error

	exprIDs atomic.Int64 // numbers the compiled expressions, for the VMs' caches

	pool = sync.Pool{New: func() any { return newVM() }}
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
		program, loadErr = goja.Compile(path, prelude+string(src)+postlude, false)
		if loadErr != nil {
			loadErr = fmt.Errorf("jsonata: compile %s: %w", path, loadErr)
		}
	})
	return loadErr
}

// The bundle is UMD: it sets module.exports when there is a module.
const prelude = "var module = {exports: {}}; var exports = module.exports;\n"
const postlude = "\n;var jsonata = module.exports;"

// vm is one JavaScript VM with jsonata loaded; a VM is not goroutine-safe,
// so each is used by one evaluation at a time (taken from the pool).
type vm struct {
	rt      *goja.Runtime
	compile goja.Callable
	exprs   []goja.Value // compiled expression objects, by Expr.id
	err     error
}

func newVM() any {
	v := &vm{rt: goja.New()}
	if err := load(); err != nil {
		v.err = err
		return v
	}
	if _, err := v.rt.RunProgram(program); err != nil {
		v.err = fmt.Errorf("jsonata: load: %w", err)
		return v
	}
	fn, ok := goja.AssertFunction(v.rt.Get("jsonata"))
	if !ok {
		v.err = errors.New("jsonata: the bundle did not define jsonata")
		return v
	}
	v.compile = fn
	return v
}

// Compile parses an expression. A syntax error is an *Error.
func Compile(src string) (*Expr, error) {
	v := pool.Get().(*vm)
	defer pool.Put(v)
	if v.err != nil {
		return nil, v.err
	}
	if _, err := v.compileIn(src); err != nil {
		return nil, err
	}
	return &Expr{src: src, id: int(exprIDs.Add(1) - 1)}, nil
}

// compileIn compiles src in this VM.
func (v *vm) compileIn(src string) (val goja.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("jsonata: %v", r)
		}
	}()
	obj, err := v.compile(goja.Undefined(), v.rt.ToValue(src))
	if err != nil {
		return nil, v.jsError(err)
	}
	return obj, nil
}

// expr returns e compiled in this VM.
func (v *vm) expr(e *Expr) (goja.Value, error) {
	if e.id < len(v.exprs) && v.exprs[e.id] != nil {
		return v.exprs[e.id], nil
	}
	obj, err := v.compileIn(e.src)
	if err != nil {
		return nil, err
	}
	for len(v.exprs) <= e.id {
		v.exprs = append(v.exprs, nil)
	}
	v.exprs[e.id] = obj
	return obj, nil
}

// Eval evaluates the expression against input (Undefined for none) with
// the given variable bindings (names without the $).
func (e *Expr) Eval(ctx context.Context, input any, bindings map[string]any) (any, error) {
	v := pool.Get().(*vm)
	defer pool.Put(v)
	if v.err != nil {
		return nil, v.err
	}
	return v.eval(ctx, e, input, bindings)
}

func (v *vm) eval(ctx context.Context, e *Expr, input any, bindings map[string]any) (res any, err error) {
	obj, err := v.expr(e)
	if err != nil {
		return nil, err
	}
	evaluate, ok := goja.AssertFunction(obj.ToObject(v.rt).Get("evaluate"))
	if !ok {
		return nil, errors.New("jsonata: compiled expression has no evaluate")
	}
	b := v.rt.NewObject()
	for k, val := range bindings {
		_ = b.Set(k, v.toJS(val))
	}
	stop := context.AfterFunc(ctx, func() { v.rt.Interrupt(ctx.Err()) })
	defer func() {
		stop()
		v.rt.ClearInterrupt()
		if r := recover(); r != nil {
			err = fmt.Errorf("jsonata: %v", r)
		}
	}()
	p, err := evaluate(obj, v.toJS(input), b)
	if err != nil {
		return nil, v.jsError(err)
	}
	promise, ok := p.Export().(*goja.Promise)
	if !ok {
		return v.fromJS(p), nil
	}
	switch promise.State() {
	case goja.PromiseStateFulfilled:
		return v.fromJS(promise.Result()), nil
	case goja.PromiseStateRejected:
		return nil, v.thrown(promise.Result())
	}
	return nil, errors.New("jsonata: evaluation did not settle")
}

// jsError turns an error from a call into the VM into an *Error where it
// is one of jsonata's.
func (v *vm) jsError(err error) error {
	var ex *goja.Exception
	if errors.As(err, &ex) {
		return v.thrown(ex.Value())
	}
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		if c, ok := ie.Value().(error); ok {
			return fmt.Errorf("jsonata: interrupted: %w", c)
		}
		return fmt.Errorf("jsonata: interrupted: %v", ie.Value())
	}
	return fmt.Errorf("jsonata: %w", err)
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

// toJS converts a Go value to a JavaScript one. Objects get their keys in
// sorted order, so that what JSONata sees is deterministic.
func (v *vm) toJS(x any) goja.Value {
	switch t := x.(type) {
	case undefined:
		return goja.Undefined()
	case nil:
		return goja.Null()
	case bool:
		return v.rt.ToValue(t)
	case string:
		return v.rt.ToValue(t)
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			f, _ = strconv.ParseFloat(string(t), 64)
		}
		return v.rt.ToValue(f)
	case float64:
		return v.rt.ToValue(t)
	case int:
		return v.rt.ToValue(t)
	case int64:
		return v.rt.ToValue(t)
	case []any:
		vals := make([]any, len(t))
		for i, e := range t {
			vals[i] = v.toJS(e)
		}
		return v.rt.NewArray(vals...)
	case map[string]any:
		o := v.rt.NewObject()
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			_ = o.Set(k, v.toJS(t[k]))
		}
		return o
	}
	return v.rt.ToValue(x)
}

// fromJS converts a JavaScript value back to a Go one.
func (v *vm) fromJS(val goja.Value) any {
	if val == nil || goja.IsUndefined(val) {
		return Undefined
	}
	if goja.IsNull(val) {
		return nil
	}
	switch t := val.Export().(type) {
	case bool:
		return t
	case string:
		return t
	case int64:
		return json.Number(strconv.FormatInt(t, 10))
	case float64:
		return Number(t)
	}
	o, ok := val.(*goja.Object)
	if !ok {
		return val.Export()
	}
	if _, isFn := goja.AssertFunction(o); isFn {
		return Function{}
	}
	if o.ClassName() == "Array" {
		n := int(o.Get("length").ToInteger())
		out := make([]any, 0, n)
		for i := 0; i < n; i++ {
			e := v.fromJS(o.Get(strconv.Itoa(i)))
			if e == Undefined {
				continue
			}
			out = append(out, e)
		}
		return out
	}
	keys := o.Keys()
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		e := v.fromJS(o.Get(k))
		if e == Undefined {
			continue
		}
		out[k] = e
	}
	return out
}

// Number formats a float64 as JavaScript prints it (JSON.stringify).
func Number(f float64) json.Number {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "null"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
	}
	a := math.Abs(f)
	if a >= 1e-7 && a < 1e21 {
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
