package jsonata

import (
	"context"
	"fmt"

	"github.com/dop251/goja"
)

// TopLevelReferences returns the field names the expression reads from its
// root context, in order of appearance, each once: "phone" in `phone`,
// `phone & "x"` or `$f(phone)`. Step Functions evaluates expressions with no
// root context (state data is $states.input), so AWS refuses such a
// definition at creation: "Reference to 'phone' at the top level is not
// supported." Names read below a path's first step, in predicates or in
// the context a path sets up (`$states.input.items[price > 5]`,
// `$states.input.(a + b)`) are not top-level references.
func (e *Expr) TopLevelReferences() ([]string, error) {
	v, err := vms.get(context.Background())
	if err != nil {
		return nil, err
	}
	var ast any
	healthy := true
	func() {
		defer func() {
			if r := recover(); r != nil {
				err, healthy = fmt.Errorf("jsonata: %v", r), false
			}
		}()
		var val goja.Value
		if val, err = v.prepare(goja.Undefined(), v.rt.ToValue(e.src)); err != nil {
			err, healthy = v.jsError(err)
			return
		}
		astFn, ok := goja.AssertFunction(val.ToObject(v.rt).Get("ast"))
		if !ok {
			err = fmt.Errorf("jsonata: a compiled expression has no ast")
			return
		}
		var a goja.Value
		if a, err = astFn(val); err == nil {
			ast = a.Export()
		}
	}()
	if healthy {
		vms.put(v)
	} else {
		vms.discard(v)
	}
	if err != nil {
		return nil, err
	}
	var names []string
	seen := map[string]bool{}
	topLevelNames(ast, func(name string) {
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	})
	return names, nil
}

// maxASTDepth bounds the walk over hostile expressions.
const maxASTDepth = 200

// topLevelNames calls found for every name read from the root context in
// the AST node n (jsonata-js's, exported from the VM as maps and slices).
func topLevelNames(n any, found func(string)) {
	walkTopLevel(n, found, 0)
}

func walkTopLevel(n any, found func(string), depth int) {
	node, ok := n.(map[string]any)
	if !ok || depth > maxASTDepth {
		return
	}
	each := func(v any) {
		if list, ok := v.([]any); ok {
			for _, x := range list {
				walkTopLevel(x, found, depth+1)
			}
		}
	}
	switch node["type"] {
	case "name":
		if s, ok := node["value"].(string); ok {
			found(s)
		}
	case "path":
		// Only the first step reads the root; later steps, and the
		// stages of the first, read what it selected.
		if steps, ok := node["steps"].([]any); ok && len(steps) > 0 {
			first, _ := steps[0].(map[string]any)
			if first["type"] == "name" {
				if s, ok := first["value"].(string); ok {
					found(s)
				}
			} else {
				walkTopLevel(first, found, depth+1)
			}
		}
	case "binary":
		walkTopLevel(node["lhs"], found, depth+1)
		walkTopLevel(node["rhs"], found, depth+1)
	case "unary":
		walkTopLevel(node["expression"], found, depth+1)
		each(node["expressions"])                 // an array constructor
		if pairs, ok := node["lhs"].([]any); ok { // an object constructor
			for _, p := range pairs {
				each(p)
			}
		}
	case "function", "partial":
		each(node["arguments"])
	case "condition":
		walkTopLevel(node["condition"], found, depth+1)
		walkTopLevel(node["then"], found, depth+1)
		walkTopLevel(node["else"], found, depth+1)
	case "block":
		each(node["expressions"])
	case "bind", "apply":
		walkTopLevel(node["lhs"], found, depth+1)
		walkTopLevel(node["rhs"], found, depth+1)
	case "lambda":
		// A lambda's body sees the context it was defined in: the root.
		walkTopLevel(node["body"], found, depth+1)
	}
}
