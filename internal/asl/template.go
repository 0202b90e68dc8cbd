package asl

import (
	"fmt"
	"strings"
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
func CompileTemplate(v any) (*Template, error) {
	n, err := compileNode(v)
	if err != nil {
		return nil, err
	}
	return &Template{root: n}, nil
}

func compileNode(v any) (tmplNode, error) {
	switch x := v.(type) {
	case map[string]any:
		n := tmplNode{kind: tmplObject, fields: make([]tmplField, 0, len(x))}
		for _, k := range sortedKeys(x) {
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
			c, err := compileNode(x[k])
			if err != nil {
				return n, err
			}
			n.fields = append(n.fields, tmplField{key: k, src: k, node: c})
		}
		return n, nil
	case []any:
		n := tmplNode{kind: tmplArray, items: make([]tmplNode, len(x))}
		for i := range x {
			c, err := compileNode(x[i])
			if err != nil {
				return n, err
			}
			n.items[i] = c
		}
		return n, nil
	}
	return tmplNode{kind: tmplLiteral, literal: v}, nil
}

// Evaluate renders the template against the input and env. A path that
// selects nothing fails with States.Runtime and AWS's cause.
func (t *Template) Evaluate(input any, env *Env) (any, error) {
	return t.root.eval(input, env)
}

func (n *tmplNode) eval(input any, env *Env) (any, error) {
	switch n.kind {
	case tmplObject:
		out := make(map[string]any, len(n.fields))
		for i := range n.fields {
			f := &n.fields[i]
			if f.node.kind == tmplExpr {
				v, err := f.node.expr.Eval(input, env)
				if err != nil {
					return nil, exprFieldError(f.node.expr, f.src, input, env, err)
				}
				out[f.key] = v
				continue
			}
			v, err := f.node.eval(input, env)
			if err != nil {
				return nil, err
			}
			out[f.key] = v
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
