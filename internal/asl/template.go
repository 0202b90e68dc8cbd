package asl

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/asyncjobs/stepjobs/internal/jsonvalue"
)

// Expr is the value of a key ending in ".$" (and of ErrorPath, CausePath):
// a path or an intrinsic function call.
type Expr struct {
	text string
	path *Path
	call *intrinsicCall
}

// String returns the expression as written.
func (e *Expr) String() string { return e.text }

// Path returns the path when the expression is a path, else nil.
func (e *Expr) Path() *Path { return e.path }

// ParseExpr compiles a path or an intrinsic function call.
func ParseExpr(text string) (*Expr, error) {
	if strings.HasPrefix(text, "States.") {
		c, err := parseIntrinsic(text)
		if err != nil {
			return nil, err
		}
		return &Expr{text: text, call: c}, nil
	}
	p, err := ParsePath(text)
	if err != nil {
		return nil, err
	}
	return &Expr{text: text, path: p}, nil
}

// Eval evaluates the expression. A path that selects nothing yields a plain
// error ("No results for path: ..."), which callers phrase into AWS's cause
// for their field; a failing intrinsic yields an *Error (States.IntrinsicFailure,
// or States.Runtime for a missing path argument).
func (e *Expr) Eval(input any, env *Env) (any, error) {
	if e.call != nil {
		return e.call.eval(input, env)
	}
	return e.path.Get(input, env)
}

// Template is a compiled payload template (Parameters, ResultSelector,
// ItemSelector, Assign): a JSON value whose object keys ending in ".$" are
// evaluated.
type Template struct {
	root tmplNode
}

type tmplNode struct {
	literal any         // for literal leaves
	expr    *Expr       // for "key.$" values
	fields  []tmplField // objects (nil fields with isObject for {})
	items   []tmplNode  // arrays
	kind    int
}

const (
	tmplLiteral = iota
	tmplExpr
	tmplObject
	tmplArray
)

type tmplField struct {
	key  string // output key (without ".$")
	src  string // key as written
	node tmplNode
}

// templateError is a compile error at a field, with AWS's message.
type templateError struct {
	field string
	msg   string
}

func (e *templateError) Error() string { return e.msg }

// CompileTemplate compiles a decoded JSON value as a payload template.
// Object keys come out sorted; the parser keeps the definition's order.
func CompileTemplate(v any) (*Template, error) {
	return compileTemplate(v, sortedOrder{})
}

// keyOrderer gives the keys of a definition's object at a JSON pointer.
type keyOrderer interface {
	keysAt(ptr string, m map[string]any) []string
}

// sortedOrder orders keys alphabetically.
type sortedOrder struct{}

func (sortedOrder) keysAt(_ string, m map[string]any) []string { return sortedKeys(m) }

// orderedLiteral converts the maps in a definition value at ptr to
// objects in the order ord gives.
func orderedLiteral(v any, ptr string, ord keyOrderer) any {
	switch x := v.(type) {
	case map[string]any:
		keys := ord.keysAt(ptr, x)
		o := jsonvalue.NewObject(len(keys))
		for _, k := range keys {
			o.Set(k, orderedLiteral(x[k], ptr+"/"+k, ord))
		}
		return o
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = orderedLiteral(e, ptr+"/"+strconv.Itoa(i), ord)
		}
		return out
	}
	return v
}

// pointerOrder is a key order recorded by JSON pointer.
type pointerOrder map[string][]string

func (o pointerOrder) keysAt(ptr string, m map[string]any) []string {
	if ks, ok := o[ptr]; ok && len(ks) == len(m) {
		return ks
	}
	return sortedKeys(m)
}

// plainWithOrder returns v with its objects as maps, recording each
// object's key order at its pointer.
func plainWithOrder(v any, ptr string, order pointerOrder) any {
	switch x := v.(type) {
	case *jsonvalue.Object:
		m := make(map[string]any, x.Len())
		order[ptr] = x.Keys()
		for i := range x.Len() {
			k, e := x.At(i)
			m[k] = plainWithOrder(e, ptr+"/"+k, order)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plainWithOrder(e, ptr+"/"+strconv.Itoa(i), order)
		}
		return out
	}
	return v
}

func compileTemplate(v any, ord keyOrderer) (*Template, error) {
	if _, ok := v.(*jsonvalue.Object); ok {
		// A decoded value (DecodeJSON): compiled in its own order.
		order := pointerOrder{}
		v = plainWithOrder(v, "", order)
		ord = order
	}
	n, err := compileNode(v, "", ord)
	if err != nil {
		return nil, err
	}
	return &Template{root: n}, nil
}

func compileNode(v any, ptr string, ord keyOrderer) (tmplNode, error) {
	switch x := v.(type) {
	case map[string]any:
		n := tmplNode{kind: tmplObject, fields: make([]tmplField, 0, len(x))}
		for _, k := range ord.keysAt(ptr, x) {
			if strings.HasSuffix(k, ".$") {
				s, ok := x[k].(string)
				if !ok {
					return n, &templateError{field: k, msg: fmt.Sprintf("The value for the field '%s' must be a STRING that contains a JSONPath but was an %s", k, jsonTypeName(x[k]))}
				}
				e, err := ParseExpr(s)
				if err != nil {
					return n, &templateError{field: k, msg: fmt.Sprintf("The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call", k)}
				}
				n.fields = append(n.fields, tmplField{key: strings.TrimSuffix(k, ".$"), src: k, node: tmplNode{kind: tmplExpr, expr: e}})
				continue
			}
			c, err := compileNode(x[k], ptr+"/"+k, ord)
			if err != nil {
				return n, err
			}
			n.fields = append(n.fields, tmplField{key: k, src: k, node: c})
		}
		// As recorded on AWS: the constant fields come first, in the
		// definition's order, then the "key.$" fields in the order of
		// the Java HashMap they are evaluated into.
		var evaluated []string
		for _, f := range n.fields {
			if f.node.kind == tmplExpr {
				evaluated = append(evaluated, f.key)
			}
		}
		pos := make(map[string]int, len(evaluated))
		for i, k := range javaHashMapOrder(evaluated) {
			pos[k] = i + 1
		}
		slices.SortStableFunc(n.fields, func(a, b tmplField) int { return pos[a.key] - pos[b.key] })
		return n, nil
	case []any:
		n := tmplNode{kind: tmplArray, items: make([]tmplNode, len(x))}
		for i := range x {
			c, err := compileNode(x[i], ptr+"/"+strconv.Itoa(i), ord)
			if err != nil {
				return n, err
			}
			n.items[i] = c
		}
		return n, nil
	}
	return tmplNode{kind: tmplLiteral, literal: orderedLiteral(v, ptr, ord)}, nil
}

// Evaluate renders the template against the input and env. A path that
// selects nothing fails with States.Runtime and AWS's cause.
func (t *Template) Evaluate(input any, env *Env) (any, error) {
	return t.root.eval(input, env)
}

func (n *tmplNode) eval(input any, env *Env) (any, error) {
	switch n.kind {
	case tmplObject:
		out := jsonvalue.NewObject(len(n.fields))
		for i := range n.fields {
			f := &n.fields[i]
			if f.node.kind == tmplExpr {
				v, err := f.node.expr.Eval(input, env)
				if err != nil {
					return nil, exprFieldError(f.node.expr, f.src, input, env, err)
				}
				out.Set(f.key, v)
				continue
			}
			v, err := f.node.eval(input, env)
			if err != nil {
				return nil, err
			}
			out.Set(f.key, v)
		}
		return out, nil
	case tmplArray:
		out := make([]any, len(n.items))
		for i := range n.items {
			v, err := n.items[i].eval(input, env)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	return n.literal, nil
}

// exprFieldError phrases a failed "field.$" evaluation as AWS does.
func exprFieldError(e *Expr, field string, input any, env *Env, err error) error {
	if ae, ok := err.(*Error); ok {
		return ae
	}
	shown := input
	if e.path != nil {
		if root, ok := e.path.rootValue(input, env); ok && e.path.root == rootContext {
			shown = root
		}
	}
	return newError(ErrRuntime, "The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", e.text, field, jsonText(shown))
}

// javaHashMapOrder returns keys (in insertion order) in the order a Java
// HashMap holding them iterates: by bucket (the spread String.hashCode()
// masked by the table size, 16 doubled while more than three quarters
// full), insertion order within a bucket. AWS builds the objects of
// JSONPath payload templates (Parameters, ResultSelector, ItemSelector) in
// such a map: the recorded outputs list their keys in exactly this order.
// (Buckets of eight or more colliding keys, which Java turns into trees,
// are not modelled.)
func javaHashMapOrder(keys []string) []string {
	capacity := 16
	for len(keys) > capacity*3/4 {
		capacity *= 2
	}
	bucket := func(k string) int {
		var h uint32
		for _, c := range utf16.Encode([]rune(k)) {
			h = 31*h + uint32(c)
		}
		return int((h ^ h>>16) & uint32(capacity-1))
	}
	out := slices.Clone(keys)
	slices.SortStableFunc(out, func(a, b string) int { return bucket(a) - bucket(b) })
	return out
}
