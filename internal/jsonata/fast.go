package jsonata

import "encoding/json"

// The fast path answers the commonest expressions of a state machine
// ($states.input.x, $var, $states.context.Execution.Id, literals) in Go.
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
	lit    any      // the literal's value, when isLit
	isLit  bool     //
	name   string   // the variable, without $
	fields []string // the field names after it
}

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
			return &fastExpr{lit: t, isLit: true}
		case int64:
			return &fastExpr{lit: Number(float64(t)), isLit: true}
		case float64:
			n := number(t)
			if n == nil {
				return nil
			}
			return &fastExpr{lit: n, isLit: true}
		}
	case "var", "path":
		f := &fastExpr{}
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
	}
	return nil
}

// eval answers from the bindings, or says it cannot (ok false).
func (f *fastExpr) eval(bindings map[string]any) (any, bool) {
	if f.isLit {
		return f.lit, true
	}
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
	c, ok := canon(x, 0)
	if !ok {
		return nil, false
	}
	return c, true
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
