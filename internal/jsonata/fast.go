package jsonata

import (
	"cmp"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The fast path answers the commonest expressions of a state machine
// ($states.input.x, $var, $states.context.Execution.Id, literals, and
// Choice conditions comparing those: $states.input.status = 'DONE',
// $n >= 3 and $n < 10) in Go.
// It knows exactly one JSONata semantics: a name step on a single object
// reads its own field (JavaScript's input[name]). Whenever a step meets
// anything else (an array, which JSONata maps over and flattens; a field
// named like a property every JavaScript object inherits, which jsonata-js
// would read from the prototype; a variable not bound, which may be a
// built-in function), it gives up and the VM answers. What it returns
// passes through canon, so numbers and dropped undefined values come out as
// the VM's would.

// fastExpr is an expression the fast path may answer.
type fastExpr struct {
	kind   fastKind
	lit    any      // the literal's value (fastLit)
	name   string   // the variable, without $ (fastPath)
	fields []string // the field names after it (fastPath)
	op     string   // the operator (fastCmp, fastBool)
	l, r   *fastExpr
}

type fastKind int

const (
	fastLit    fastKind = iota // 'text', 42, true, null
	fastPath                   // $name or $name.field.field
	fastArith                  // value (+ - * / %) value
	fastConcat                 // value & value
	fastCmp                    // value (= != < <= > >=) value
	fastBool                   // condition (and or) condition
)

// newFastExpr makes a fastExpr of __shape's description, nil for none.
func newFastExpr(shape any) *fastExpr {
	s, ok := shape.([]any)
	if !ok || len(s) < 2 {
		return nil
	}
	kind, _ := s[0].(string)
	switch kind {
	case "lit":
		switch t := s[1].(type) {
		case nil, bool, string:
			return &fastExpr{kind: fastLit, lit: t}
		case int64:
			return &fastExpr{kind: fastLit, lit: Number(float64(t))}
		case float64:
			n := number(t)
			if n == nil {
				return nil
			}
			return &fastExpr{kind: fastLit, lit: n}
		}
	case "var", "path":
		f := &fastExpr{kind: fastPath}
		for i, x := range s[1:] {
			name, ok := x.(string)
			if !ok {
				return nil
			}
			if i == 0 {
				f.name = name
			} else {
				f.fields = append(f.fields, name)
			}
		}
		return f
	case "cmp", "bool", "arith", "cat":
		if len(s) != 4 {
			return nil
		}
		op, _ := s[1].(string)
		l, r := newFastExpr(s[2]), newFastExpr(s[3])
		if l == nil || r == nil {
			return nil
		}
		k := map[string]fastKind{"cmp": fastCmp, "bool": fastBool, "arith": fastArith, "cat": fastConcat}[kind]
		return &fastExpr{kind: k, op: op, l: l, r: r}
	}
	return nil
}

// eval answers from the bindings, or says it cannot (ok false).
func (f *fastExpr) eval(bindings map[string]any) (any, bool) {
	switch f.kind {
	case fastLit:
		return f.lit, true
	case fastPath:
		x, ok := f.lookup(bindings)
		if !ok {
			return nil, false
		}
		return canon(x, 0)
	case fastArith:
		o, ok := f.arith(bindings)
		if !ok {
			return nil, false
		}
		if o.kind == 'u' {
			return Undefined, true
		}
		return Number(o.f), true
	case fastConcat:
		o, ok := f.concat(bindings)
		return o.s, ok
	case fastCmp:
		return f.compare(bindings)
	case fastBool:
		l, ok := f.l.eval(bindings)
		if !ok {
			return nil, false
		}
		lb := l == true
		// jsonata-js evaluates the right side only when it decides.
		if (f.op == "and" && !lb) || (f.op == "or" && lb) {
			return lb, true
		}
		r, ok := f.r.eval(bindings)
		if !ok {
			return nil, false
		}
		return r == true, true
	}
	return nil, false
}

// lookup is a path's raw value, before canon.
func (f *fastExpr) lookup(bindings map[string]any) (any, bool) {
	x, ok := bindings[f.name]
	if !ok {
		return nil, false
	}
	for _, name := range f.fields {
		var found bool
		switch t := x.(type) {
		case map[string]any:
			x, found = t[name]
		case fielder:
			x, found = t.Field(name)
		case []any:
			return nil, false
		case undefined:
			return Undefined, true
		case nil, bool, string, json.Number, float64, int, int64:
			// JSONata reads no field of a non-object.
			return Undefined, true
		default:
			return nil, false
		}
		if !found {
			if inherited[name] {
				return nil, false
			}
			return Undefined, true
		}
	}
	return x, true
}

// operand is a comparison's side as JavaScript has it.
type operand struct {
	kind byte // 'u'ndefined, 'n'ull, 'b'oolean, 's'tring, 'd'ouble, 'o'bject or array
	f    float64
	s    string
	b    bool
}

func (f *fastExpr) operand(bindings map[string]any) (operand, bool) {
	switch f.kind {
	case fastArith:
		return f.arith(bindings)
	case fastConcat:
		return f.concat(bindings)
	case fastCmp, fastBool:
		return operand{}, false
	}
	x := f.lit
	if f.kind == fastPath {
		var ok bool
		if x, ok = f.lookup(bindings); !ok {
			return operand{}, false
		}
	}
	switch t := x.(type) {
	case undefined:
		return operand{kind: 'u'}, true
	case nil:
		return operand{kind: 'n'}, true
	case bool:
		return operand{kind: 'b', b: t}, true
	case string:
		return operand{kind: 's', s: t}, utf8.ValidString(t)
	case json.Number:
		return finite(numberFloat(t))
	case float64:
		return finite(t)
	case int:
		return finite(float64(t))
	case int64:
		return finite(float64(t))
	case map[string]any, []any, fielder:
		return operand{kind: 'o'}, true
	}
	return operand{}, false
}

// finite is a number operand; NaN and the infinities go to the VM.
func finite(f float64) (operand, bool) {
	return operand{kind: 'd', f: f}, !math.IsNaN(f) && !math.IsInf(f, 0)
}

// arith is jsonata-js's evaluateNumericExpression where it returns a
// finite number or undefined; where it throws (T2001, T2002: a side not a
// number) or the result overflows, the VM answers.
func (f *fastExpr) arith(bindings map[string]any) (operand, bool) {
	l, ok := f.l.operand(bindings)
	if !ok || (l.kind != 'd' && l.kind != 'u') {
		return operand{}, false
	}
	r, ok := f.r.operand(bindings)
	if !ok || (r.kind != 'd' && r.kind != 'u') {
		return operand{}, false
	}
	if l.kind == 'u' || r.kind == 'u' {
		return operand{kind: 'u'}, true
	}
	var x float64
	switch f.op {
	case "+":
		x = l.f + r.f
	case "-":
		x = l.f - r.f
	case "*":
		x = l.f * r.f
	case "/":
		x = l.f / r.f
	case "%":
		x = math.Mod(l.f, r.f) // JavaScript's %: the sign of the dividend
	default:
		return operand{}, false
	}
	return finite(x)
}

// concat is jsonata-js's evaluateStringConcat for sides that are strings,
// numbers JavaScript writes in 15 digits or fewer, booleans, null or
// undefined; objects, arrays and longer numbers (which $string rounds to
// 15 digits) go to the VM.
func (f *fastExpr) concat(bindings map[string]any) (operand, bool) {
	str := func(e *fastExpr) (string, bool) {
		o, ok := e.operand(bindings)
		if !ok {
			return "", false
		}
		switch o.kind {
		case 'u':
			return "", true
		case 's':
			return o.s, true
		case 'b':
			return strconv.FormatBool(o.b), true
		case 'n':
			return "null", true
		case 'd':
			if mantissa, _, _ := strings.Cut(strconv.FormatFloat(o.f, 'e', -1, 64), "e"); len(strings.TrimLeft(strings.Replace(mantissa, ".", "", 1), "-")) > 15 {
				return "", false
			}
			return string(Number(o.f)), true
		}
		return "", false
	}
	l, ok := str(f.l)
	if !ok {
		return operand{}, false
	}
	r, ok := str(f.r)
	if !ok {
		return operand{}, false
	}
	return operand{kind: 's', s: l + r}, true
}

// compare is jsonata-js's evaluateEqualityExpression and
// evaluateComparisonExpression where they return a value; where they throw
// (T2009, T2010), or compare two objects, the VM answers.
func (f *fastExpr) compare(bindings map[string]any) (any, bool) {
	l, ok := f.l.operand(bindings)
	if !ok {
		return nil, false
	}
	r, ok := f.r.operand(bindings)
	if !ok {
		return nil, false
	}
	switch f.op {
	case "=", "!=":
		if l.kind == 'u' || r.kind == 'u' {
			return false, true
		}
		if l.kind == 'o' && r.kind == 'o' {
			return nil, false // deep equality
		}
		eq := l.kind == r.kind && l.f == r.f && l.s == r.s && l.b == r.b
		return eq == (f.op == "="), true
	}
	comparable := func(o operand) bool { return o.kind == 'u' || o.kind == 's' || o.kind == 'd' }
	if !comparable(l) || !comparable(r) {
		return nil, false // T2010
	}
	if l.kind == 'u' || r.kind == 'u' {
		return Undefined, true
	}
	if l.kind != r.kind {
		return nil, false // T2009
	}
	c := 0
	if l.kind == 'd' {
		c = cmp.Compare(l.f, r.f)
	} else {
		// By code point, as goja compares (V8 compares UTF-16 code
		// units: the two differ only between characters above U+FFFF and
		// those from U+E000).
		c = strings.Compare(l.s, r.s)
	}
	switch f.op {
	case "<":
		return c < 0, true
	case "<=":
		return c <= 0, true
	case ">":
		return c > 0, true
	case ">=":
		return c >= 0, true
	}
	return nil, false
}

// inherited are the properties every JavaScript object has from
// Object.prototype (as goja defines it): input[name] finds them on an object
// without that field.
var inherited = map[string]bool{
	"constructor": true, "hasOwnProperty": true, "isPrototypeOf": true,
	"propertyIsEnumerable": true, "toLocaleString": true, "toString": true,
	"valueOf": true, "__proto__": true, "__defineGetter__": true,
	"__defineSetter__": true, "__lookupGetter__": true, "__lookupSetter__": true,
}
