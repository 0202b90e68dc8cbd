package vtl

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Limits that keep a hostile or buggy template from running away. API
// Gateway has no documented equivalents (its own limits are a 10 MB payload
// and an integration timeout), so these are generous but finite.
const (
	// MaxLoopIterations caps the #foreach iterations of one render, summed
	// over all loops.
	MaxLoopIterations = 1_000_000
	// MaxRangeSize caps the elements of one range literal [a..b].
	MaxRangeSize = 100_000
	// MaxOutputBytes caps the rendered output and any string built while
	// rendering (API Gateway's payload limit is 10 MB).
	MaxOutputBytes = 10 << 20
	// MaxCallDepth caps the nesting of #define block and macro renders.
	MaxCallDepth = 64
	// MaxBuiltBytes caps the bytes of all strings built during one render
	// (interpolations, concatenations, printed collections, method results)
	// plus the bytes String methods scan, so that a loop over a large string
	// cannot run for minutes.
	MaxBuiltBytes = 256 << 20
)

// Request is the HTTP request a template reads through $input.
type Request struct {
	Body    []byte
	Headers map[string]string
	Query   map[string]string
	Path    map[string]string
}

// Env is what a template can see: $input (from Request), $context (from
// Context, nested maps allowed, or from Prepared) and $stageVariables.
type Env struct {
	Request Request
	Context map[string]any
	// Prepared, when not nil, is $context instead of Context: a caller
	// that renders several templates with one $context converts it once.
	Prepared       *Context
	StageVariables map[string]string
}

// Context is a $context converted for rendering. Each render gets its own
// copy, so what one template sets in $context another does not see, as
// with Env.Context; copying it is cheaper than converting a Go map again
// (sorting its keys), which under load was most of a render's setup. It is
// safe to use concurrently.
type Context struct{ m *Map }

// NewContext converts m as Render converts Env.Context.
func NewContext(m map[string]any) *Context { return &Context{m: contextMap(m)} }

// Result is a rendered template.
type Result struct {
	Body string
	// Status is $context.responseOverride.status, 0 if unset.
	Status int
	// Headers holds $context.responseOverride.header.<Name> values.
	Headers map[string]string
}

// maxOutHint bounds Template.outHint: one large output must not make every
// render of the template reserve as much.
const maxOutHint = 64 << 10

var (
	errBreak        = errors.New("#break")
	errStop         = errors.New("#stop")
	errNoSuchMethod = errors.New("no such method")
)

type renderer struct {
	ctx     context.Context
	t       *Template
	vars    map[string]any
	context *Map
	input   *inputObj
	iters   int
	steps   int
	depth   int
	written int
	built   int
}

// Render renders the template against env. It is safe to call concurrently
// on one Template. A runtime failure is a *RenderError.
func (t *Template) Render(ctx context.Context, env *Env) (*Result, error) {
	res, _, err := t.render(ctx, env, nil)
	return res, err
}

// render is Render, with $context taken from shared instead of env.Context
// when shared is not nil, and it also returns the $context the template left.
// Two templates of one request share $context on API Gateway: what a MOCK
// integration's request template sets there, its response template reads.
func (t *Template) render(ctx context.Context, env *Env, shared *Map) (res *Result, ctxOut *Map, err error) {
	if env == nil {
		env = &Env{}
	}
	r := &renderer{ctx: ctx, t: t, vars: map[string]any{}}
	defer func() {
		// Never let a bug in the engine crash the gateway: report it as a
		// render failure instead.
		if p := recover(); p != nil {
			res, ctxOut, err = nil, nil, &RenderError{Template: t.name, Line: 1, Col: 1, Err: fmt.Errorf("internal error: %v", p)}
		}
	}()
	r.setup(env, shared)
	var out strings.Builder
	out.Grow(int(t.outHint.Load()))
	err = r.renderNodes(t.nodes, &out)
	if err != nil && !errors.Is(err, errStop) && !errors.Is(err, errBreak) {
		return nil, nil, err
	}
	if n := out.Len(); n <= maxOutHint {
		t.outHint.Store(int64(n))
	}
	res = &Result{Body: out.String(), Headers: map[string]string{}}
	r.collectOverrides(res)
	return res, r.context, nil
}

func (r *renderer) setup(env *Env, shared *Map) {
	ctxMap := shared
	switch {
	case ctxMap != nil:
	case env.Prepared != nil:
		ctxMap = env.Prepared.m.clone()
	default:
		ctxMap = contextMap(env.Context)
	}
	r.context = ctxMap
	r.input = newInput(env.Request)
	stage, _ := fromGo(env.StageVariables).(*Map)
	if stage == nil {
		stage = newMap()
	}
	r.vars["context"] = ctxMap
	r.vars["input"] = r.input
	r.vars["util"] = &utilObj{}
	r.vars["stageVariables"] = stage
}

// contextMap converts a $context with the responseOverride a template may
// set.
func contextMap(ctx map[string]any) *Map {
	ctxMap, _ := fromGo(ctx).(*Map)
	if ctxMap == nil {
		ctxMap = newMap()
	}
	ro, ok := ctxMap.value("responseOverride").(*Map)
	if !ok {
		ro = newMap()
		ctxMap.put("responseOverride", ro)
	}
	if _, ok := ro.value("header").(*Map); !ok {
		ro.put("header", newMap())
	}
	// The objects API Gateway puts in $context print as nothing; maps a
	// template sets there later are its own and print as maps.
	markContextObjects(ctxMap, 0)
	return ctxMap
}

func (r *renderer) collectOverrides(res *Result) {
	ro, ok := r.context.value("responseOverride").(*Map)
	if !ok {
		return
	}
	switch s := ro.value("status").(type) {
	case int64:
		res.Status = int(s)
	case float64:
		res.Status = int(s)
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
			res.Status = n
		}
	}
	if h, ok := ro.value("header").(*Map); ok {
		for _, k := range h.keys {
			if h.value(k) == nil {
				continue
			}
			s, err := r.toStr(h.value(k), true, 0)
			if err == nil {
				res.Headers[k] = s
			}
		}
	}
}

func (r *renderer) errAt(pos int, err error) error {
	var re *RenderError
	if errors.As(err, &re) {
		return err
	}
	line, col := lineCol(r.t.src, pos)
	return &RenderError{Template: r.t.name, Line: line, Col: col, Err: err}
}

func (r *renderer) step(pos int) error {
	r.steps++
	if r.steps&1023 == 0 && r.ctx != nil {
		if err := r.ctx.Err(); err != nil {
			return r.errAt(pos, fmt.Errorf("render: %w", err))
		}
	}
	return nil
}

// charge accounts n bytes of built strings against MaxBuiltBytes.
func (r *renderer) charge(n int) error {
	r.built += n
	if r.built > MaxBuiltBytes {
		return fmt.Errorf("strings built over %d bytes: %w", MaxBuiltBytes, ErrLimit)
	}
	return nil
}

func (r *renderer) write(w *strings.Builder, s string, pos int) error {
	r.written += len(s)
	if r.written > MaxOutputBytes {
		return r.errAt(pos, fmt.Errorf("output over %d bytes: %w", MaxOutputBytes, ErrLimit))
	}
	w.WriteString(s)
	return nil
}

func (r *renderer) renderNodes(nodes []node, w *strings.Builder) error {
	for _, n := range nodes {
		if err := r.renderNode(n, w); err != nil {
			return err
		}
	}
	return nil
}

func (r *renderer) renderNode(n node, w *strings.Builder) error {
	switch n := n.(type) {
	case *textNode:
		return r.write(w, n.s, 0)
	case *refNode:
		return r.renderRef(n, w)
	case *setNode:
		if err := r.step(n.pos); err != nil {
			return err
		}
		return r.execSet(n)
	case *ifNode:
		for i, c := range n.conds {
			v, err := r.eval(c)
			if err != nil {
				return err
			}
			if truthy(v) {
				return r.renderNodes(n.blocks[i], w)
			}
		}
		return r.renderNodes(n.elseBlock, w)
	case *foreachNode:
		return r.execForeach(n, w)
	case *breakNode:
		return errBreak
	case *stopNode:
		return errStop
	case *defineNode:
		r.vars[n.name] = &blockValue{body: n.body}
		return nil
	case *macroCallNode:
		return r.execMacro(n, w)
	case *unsupportedNode:
		return r.errAt(n.pos, fmt.Errorf("#%s: %w (no resource loader in API Gateway templates)", n.name, ErrUnsupported))
	}
	return fmt.Errorf("unknown node %T", n)
}

func (r *renderer) renderRef(n *refNode, w *strings.Builder) error {
	if err := r.step(n.ref.pos); err != nil {
		return err
	}
	v, err := r.evalRef(n.ref)
	if err != nil {
		return err
	}
	if n.escapes > 0 {
		// Velocity 1.7: "\$a" prints "$a" when $a is defined and "\$a" when
		// it is not; pairs of backslashes print one each.
		if v == nil {
			return r.write(w, strings.Repeat("\\", n.escapes)+n.ref.literal, n.ref.pos)
		}
		if err := r.write(w, strings.Repeat("\\", n.escapes/2), n.ref.pos); err != nil {
			return err
		}
		if n.escapes%2 == 1 {
			return r.write(w, n.ref.literal, n.ref.pos)
		}
	}
	if v == nil {
		// API Gateway renders a null reference as nothing, quiet or not
		// (see doc.go).
		return nil
	}
	s, err := r.toStr(v, false, 0)
	if err != nil {
		return r.errAt(n.ref.pos, err)
	}
	return r.write(w, s, n.ref.pos)
}

func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	}
	return true
}

// writeElem appends to b the string form of e, an element of the list or
// map coll. An element that is coll itself prints as self, as in Java,
// rather than recursing for ever.
func (r *renderer) writeElem(b *strings.Builder, e, coll any, self string, depth int) error {
	if e == coll { // both are *List or *Map, comparable: no panic
		b.WriteString(self)
		return nil
	}
	s, err := r.toStr(e, true, depth+1)
	if err != nil {
		return err
	}
	b.WriteString(s)
	if b.Len() > MaxOutputBytes {
		return fmt.Errorf("string over %d bytes: %w", MaxOutputBytes, ErrLimit)
	}
	return nil
}

// toStr is Java's toString; nested is true inside collections, where null
// prints as "null".
func (r *renderer) toStr(v any, nested bool, depth int) (string, error) {
	if depth > 100 {
		return "", fmt.Errorf("value nested too deep to print: %w", ErrLimit)
	}
	switch x := v.(type) {
	case nil:
		if nested {
			return "null", nil
		}
		return "", nil
	case string:
		return x, nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return javaDouble(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case *List:
		var b strings.Builder
		if x.jsonArray {
			if err := writeSmartJSON(&b, x, depth); err != nil {
				return "", err
			}
			return b.String(), r.charge(b.Len())
		}
		b.WriteByte('[')
		for i, e := range x.items {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := r.writeElem(&b, e, x, "(this Collection)", depth); err != nil {
				return "", err
			}
		}
		b.WriteByte(']')
		return b.String(), r.charge(b.Len())
	case *Map:
		if x.contextObject {
			return "", nil
		}
		var b strings.Builder
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k)
			b.WriteByte('=')
			if err := r.writeElem(&b, x.value(k), x, "(this Map)", depth); err != nil {
				return "", err
			}
		}
		b.WriteByte('}')
		return b.String(), r.charge(b.Len())
	case *entry:
		vs, err := r.toStr(x.v, true, depth+1)
		return x.k + "=" + vs, err
	case *blockValue:
		if r.depth >= MaxCallDepth {
			return "", fmt.Errorf("#define blocks nested deeper than %d: %w", MaxCallDepth, ErrLimit)
		}
		r.depth++
		defer func() { r.depth-- }()
		var b strings.Builder
		err := r.renderNodes(x.body, &b)
		if errors.Is(err, errBreak) {
			err = nil
		}
		if err == nil {
			err = r.charge(b.Len())
		}
		return b.String(), err
	case *inputObj:
		return "com.amazonaws.apigateway.InputObject", nil
	case *utilObj:
		return "com.amazonaws.apigateway.Util", nil
	case *foreachScope:
		return "org.apache.velocity.runtime.directive.ForeachScope", nil
	}
	return fmt.Sprint(v), nil
}

// ---- directives ----

func (r *renderer) execSet(n *setNode) error {
	val, err := r.eval(n.value)
	if err != nil {
		return err
	}
	if val == nil {
		// Velocity 1.7 (directive.set.null.allowed=false) leaves the left
		// side unchanged when the right side is null.
		return nil
	}
	t := n.target
	if len(t.parts) == 0 {
		r.vars[t.name] = val
		return nil
	}
	obj, err := r.evalRefParts(t, len(t.parts)-1)
	if err != nil || obj == nil {
		return err
	}
	last := t.parts[len(t.parts)-1]
	switch last.kind {
	case partProp:
		if m, ok := obj.(*Map); ok {
			m.put(last.name, val)
		}
		// Other objects have no setters a template may call.
		return nil
	case partIndex:
		idx, err := r.eval(last.idx)
		if err != nil {
			return err
		}
		switch o := obj.(type) {
		case *Map:
			ks, err := r.toStr(idx, true, 0)
			if err != nil {
				return r.errAt(last.pos, err)
			}
			o.put(ks, val)
		case *List:
			i, ok := idx.(int64)
			if !ok {
				return nil
			}
			if i < 0 {
				i += int64(len(o.items))
			}
			if i < 0 || i >= int64(len(o.items)) {
				return r.errAt(last.pos, fmt.Errorf("IndexOutOfBoundsException: index %d, size %d", i, len(o.items)))
			}
			o.items[i] = val
		}
		return nil
	}
	return nil
}

type foreachScope struct {
	index   int
	count   int
	hasNext bool
	parent  *foreachScope
}

func (r *renderer) iterItems(v any) []any {
	switch x := v.(type) {
	case *List:
		return append([]any(nil), x.items...)
	case *Map:
		out := make([]any, 0, len(x.keys))
		for _, k := range x.keys {
			out = append(out, x.value(k))
		}
		return out
	}
	// Velocity logs and skips the loop for null and non-iterables.
	return nil
}

func (r *renderer) execForeach(n *foreachNode, w *strings.Builder) error {
	iv, err := r.eval(n.iter)
	if err != nil {
		return err
	}
	items := r.iterItems(iv)
	// The loop's variables are restored after it. Arrays, not maps: a
	// name listed twice ($foreach as the loop variable) saves and restores
	// the same value twice.
	names := [...]string{n.varName, "velocityCount", "velocityHasNext", "foreach"}
	var saved [len(names)]any
	var savedOK [len(names)]bool
	for i, k := range names {
		saved[i], savedOK[i] = r.vars[k]
	}
	defer func() {
		for i, k := range names {
			if savedOK[i] {
				r.vars[k] = saved[i]
			} else {
				delete(r.vars, k)
			}
		}
	}()
	parent, _ := saved[len(names)-1].(*foreachScope)
	scope := &foreachScope{parent: parent}
	r.vars["foreach"] = scope
	for i, it := range items {
		r.iters++
		if r.iters > MaxLoopIterations {
			return r.errAt(n.pos, fmt.Errorf("more than %d #foreach iterations: %w", MaxLoopIterations, ErrLimit))
		}
		if err := r.step(n.pos); err != nil {
			return err
		}
		scope.index, scope.count, scope.hasNext = i, i+1, i < len(items)-1
		if it == nil {
			delete(r.vars, n.varName)
		} else {
			r.vars[n.varName] = it
		}
		r.vars["velocityCount"] = int64(i + 1)
		r.vars["velocityHasNext"] = scope.hasNext
		err := r.renderNodes(n.body, w)
		if errors.Is(err, errBreak) {
			break
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *renderer) execMacro(n *macroCallNode, w *strings.Builder) error {
	m, ok := r.t.macros[n.name]
	if !ok {
		// Velocity prints an unknown macro call as written.
		return r.write(w, n.literal, n.pos)
	}
	if r.depth >= MaxCallDepth {
		return r.errAt(n.pos, fmt.Errorf("macros nested deeper than %d: %w", MaxCallDepth, ErrLimit))
	}
	args := make([]any, len(n.args))
	for i, a := range n.args {
		v, err := r.eval(a)
		if err != nil {
			return err
		}
		args[i] = v
	}
	type savedVar struct {
		v  any
		ok bool
	}
	saved := make([]savedVar, len(m.params))
	for i, p := range m.params {
		saved[i].v, saved[i].ok = r.vars[p]
		if i < len(args) && args[i] != nil {
			r.vars[p] = args[i]
		} else {
			delete(r.vars, p)
		}
	}
	r.depth++
	err := r.renderNodes(m.body, w)
	r.depth--
	for i, p := range m.params {
		if saved[i].ok {
			r.vars[p] = saved[i].v
		} else {
			delete(r.vars, p)
		}
	}
	return err
}

// ---- expressions ----

func (r *renderer) eval(e expr) (any, error) {
	switch e := e.(type) {
	case *refExpr:
		return r.evalRef(e)
	case *strLit:
		if e.interp == nil {
			return e.boxed, nil
		}
		var b strings.Builder
		if err := r.renderNodes(e.interp, &b); err != nil && !errors.Is(err, errStop) {
			return nil, err
		}
		return b.String(), r.charge(b.Len())
	case *intLit:
		return e.v, nil
	case *floatLit:
		return e.v, nil
	case *boolLit:
		return e.v, nil
	case *listLit:
		l := &List{items: make([]any, 0, len(e.items))}
		for _, it := range e.items {
			v, err := r.eval(it)
			if err != nil {
				return nil, err
			}
			l.items = append(l.items, v)
		}
		return l, nil
	case *mapLit:
		m := newMap()
		for i := range e.keys {
			k, err := r.eval(e.keys[i])
			if err != nil {
				return nil, err
			}
			v, err := r.eval(e.vals[i])
			if err != nil {
				return nil, err
			}
			ks, err := r.toStr(k, true, 0)
			if err != nil {
				return nil, err
			}
			m.put(ks, v)
		}
		return m, nil
	case *rangeLit:
		return r.evalRange(e)
	case *notExpr:
		v, err := r.eval(e.e)
		if err != nil {
			return nil, err
		}
		return !truthy(v), nil
	case *negExpr:
		v, err := r.eval(e.e)
		if err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case int64:
			if x == math.MinInt64 {
				return -float64(x), nil
			}
			return -x, nil
		case float64:
			return -x, nil
		}
		return nil, nil
	case *binExpr:
		return r.evalBin(e)
	}
	return nil, fmt.Errorf("unknown expression %T", e)
}

func (r *renderer) evalRange(e *rangeLit) (any, error) {
	a, err := r.eval(e.from)
	if err != nil {
		return nil, err
	}
	b, err := r.eval(e.to)
	if err != nil {
		return nil, err
	}
	if !isNumber(a) || !isNumber(b) {
		return nil, nil
	}
	from, to := int64(toFloat(a)), int64(toFloat(b))
	n := to - from
	if n < 0 {
		n = -n
	}
	if n >= MaxRangeSize {
		return nil, r.errAt(e.pos, fmt.Errorf("range [%d..%d] over %d elements: %w", from, to, MaxRangeSize, ErrLimit))
	}
	l := &List{items: make([]any, 0, n+1)}
	step := int64(1)
	if to < from {
		step = -1
	}
	for i := from; ; i += step {
		l.items = append(l.items, i)
		if i == to {
			break
		}
	}
	return l, nil
}

func (r *renderer) evalBin(e *binExpr) (any, error) {
	l, err := r.eval(e.l)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "&&":
		if !truthy(l) {
			return false, nil
		}
		rv, err := r.eval(e.r)
		return truthy(rv), err
	case "||":
		if truthy(l) {
			return true, nil
		}
		rv, err := r.eval(e.r)
		return truthy(rv), err
	}
	rv, err := r.eval(e.r)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "==":
		eq, err := r.velocityEquals(l, rv)
		return eq, err
	case "!=":
		eq, err := r.velocityEquals(l, rv)
		return !eq, err
	case "<", ">", "<=", ">=":
		if !isNumber(l) || !isNumber(rv) {
			// Velocity 1.7 logs "not a Number" and evaluates to false.
			return false, nil
		}
		c := compareNumbers(l, rv)
		switch e.op {
		case "<":
			return c < 0, nil
		case ">":
			return c > 0, nil
		case "<=":
			return c <= 0, nil
		default:
			return c >= 0, nil
		}
	case "+":
		_, ls := l.(string)
		_, rs := rv.(string)
		if ls || rs {
			a, b := l, rv
			if a == nil {
				a = literalOf(e.l)
			}
			if b == nil {
				b = literalOf(e.r)
			}
			as, err := r.toStr(a, false, 0)
			if err != nil {
				return nil, err
			}
			bs, err := r.toStr(b, false, 0)
			if err != nil {
				return nil, err
			}
			if len(as)+len(bs) > MaxOutputBytes {
				return nil, r.errAt(e.pos, fmt.Errorf("string over %d bytes: %w", MaxOutputBytes, ErrLimit))
			}
			if err := r.charge(len(as) + len(bs)); err != nil {
				return nil, r.errAt(e.pos, err)
			}
			return as + bs, nil
		}
	}
	if !isNumber(l) || !isNumber(rv) {
		return nil, nil
	}
	return arith(e.op, l, rv), nil
}

func literalOf(e expr) any {
	if ref, ok := e.(*refExpr); ok {
		return ref.literal
	}
	return ""
}

func compareNumbers(a, b any) int {
	if x, ok := a.(int64); ok {
		if y, ok := b.(int64); ok {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	}
	x, y := toFloat(a), toFloat(b)
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// arith applies + - * / % with Velocity's MathUtils rules: integers stay
// integers (widening on overflow), any double makes a double, division or
// modulo by zero yields null.
func arith(op string, a, b any) any {
	x, xi := a.(int64)
	y, yi := b.(int64)
	if xi && yi {
		switch op {
		case "+":
			s := x + y
			if (s > x) == (y > 0) {
				return s
			}
		case "-":
			s := x - y
			if (s < x) == (y > 0) {
				return s
			}
		case "*":
			if x == 0 || y == 0 {
				return int64(0)
			}
			s := x * y
			if s/y == x && !(x == -1 && y == math.MinInt64) && !(y == -1 && x == math.MinInt64) {
				return s
			}
		case "/":
			if y == 0 {
				return nil
			}
			if x == math.MinInt64 && y == -1 {
				return -float64(x)
			}
			return x / y
		case "%":
			if y == 0 {
				return nil
			}
			if y == -1 {
				return int64(0)
			}
			return x % y
		}
		// Overflow: Velocity widens to BigInteger; we fall back to double.
	}
	f, g := toFloat(a), toFloat(b)
	switch op {
	case "+":
		return f + g
	case "-":
		return f - g
	case "*":
		return f * g
	case "/":
		if g == 0 {
			return nil
		}
		return f / g
	case "%":
		if g == 0 {
			return nil
		}
		return math.Mod(f, g)
	}
	return nil
}

// velocityEquals is Velocity 1.7's == : numbers compare by value, objects of
// the same class use equals(), anything else compares toString() results.
// Unlike Velocity 1.7, null equals "" as well as null, as on API Gateway
// (recorded on AWS, testdata/aws class null-vs-empty-string).
func (r *renderer) velocityEquals(a, b any) (bool, error) {
	if isNumber(a) && isNumber(b) {
		return compareNumbers(a, b) == 0, nil
	}
	if a == nil || b == nil {
		if a == nil {
			a, b = b, a
		}
		return a == nil || a == "", nil
	}
	if sameClass(a, b) {
		return javaEquals(a, b), nil
	}
	as, err := r.toStr(a, true, 0)
	if err != nil {
		return false, err
	}
	bs, err := r.toStr(b, true, 0)
	if err != nil {
		return false, err
	}
	return as == bs, nil
}

func (r *renderer) lookup(name string) any {
	return r.vars[name]
}

func (r *renderer) evalRef(ref *refExpr) (any, error) {
	return r.evalRefParts(ref, len(ref.parts))
}

// evalRefParts evaluates the reference's root and its first n parts. A null
// anywhere in the chain makes the whole reference null, as in Velocity.
func (r *renderer) evalRefParts(ref *refExpr, n int) (any, error) {
	v := r.lookup(ref.name)
	for _, part := range ref.parts[:n] {
		if v == nil {
			return nil, nil
		}
		var err error
		switch part.kind {
		case partProp:
			v, err = r.getProp(v, part.name)
		case partMethod:
			args := make([]any, len(part.args))
			for i, a := range part.args {
				if args[i], err = r.eval(a); err != nil {
					return nil, err
				}
			}
			v, err = r.call(v, part.name, args)
			if errors.Is(err, errNoSuchMethod) {
				v, err = nil, nil
			}
			if s, ok := v.(string); ok && err == nil {
				err = r.charge(len(s))
			}
		case partIndex:
			var idx any
			if idx, err = r.eval(part.idx); err != nil {
				return nil, err
			}
			v, err = r.index(v, idx)
		}
		if err != nil {
			return nil, r.errAt(part.pos, err)
		}
	}
	return v, nil
}

func (r *renderer) getProp(v any, name string) (any, error) {
	switch x := v.(type) {
	case *Map:
		val, _ := x.get(name)
		return val, nil
	case *foreachScope:
		switch name {
		case "index":
			return int64(x.index), nil
		case "count":
			return int64(x.count), nil
		case "hasNext":
			return x.hasNext, nil
		case "first":
			return x.index == 0, nil
		case "last":
			return !x.hasNext, nil
		case "parent":
			if x.parent == nil {
				return nil, nil
			}
			return x.parent, nil
		}
		return nil, nil
	case *entry:
		switch name {
		case "key":
			return x.k, nil
		case "value":
			return x.v, nil
		}
		return nil, nil
	}
	// Velocity's uberspector: getFoo(), then isFoo().
	if name == "" {
		return nil, nil
	}
	up := strings.ToUpper(name[:1]) + name[1:]
	for _, m := range []string{"get" + up, "is" + up} {
		val, err := r.call(v, m, nil)
		if errors.Is(err, errNoSuchMethod) {
			continue
		}
		return val, err
	}
	return nil, nil
}

func (r *renderer) index(v any, idx any) (any, error) {
	switch x := v.(type) {
	case *List:
		i, ok := idx.(int64)
		if !ok {
			return nil, nil
		}
		if i < 0 {
			i += int64(len(x.items))
		}
		if i < 0 || i >= int64(len(x.items)) {
			return nil, fmt.Errorf("IndexOutOfBoundsException: index %v, size %d", idx, len(x.items))
		}
		return x.items[i], nil
	case *Map:
		ks, err := r.toStr(idx, true, 0)
		if err != nil {
			return nil, err
		}
		val, _ := x.get(ks)
		return val, nil
	}
	v2, err := r.call(v, "get", []any{idx})
	if errors.Is(err, errNoSuchMethod) {
		return nil, nil
	}
	return v2, err
}
