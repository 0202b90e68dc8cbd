// Package stack reads the CloudFormation template that `sls package` generates from
// serverless.yml, so tests can check the stack that would be deployed without an AWS account.
//
// It evaluates the few intrinsic functions the generated template uses (Ref, Fn::GetAtt,
// Fn::Sub, Fn::Join) against a made-up account: pseudo parameters take the values of an Env,
// and a reference to a resource becomes a visible marker ("<Id>" for Ref, "<Id.Attr>" for
// Fn::GetAtt), so a test can compare the resulting text with the source files exactly.
package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// TemplateFile is the name `sls package` gives the template of a stack update.
const TemplateFile = "cloudformation-template-update-stack.json"

// Template is a CloudFormation template, reduced to the parts the tests read.
type Template struct {
	Resources  map[string]Resource `json:"Resources"`
	Outputs    map[string]Output   `json:"Outputs"`
	Parameters map[string]any      `json:"Parameters"`
}

// Resource is one entry of a template's Resources.
type Resource struct {
	Type                string         `json:"Type"`
	Condition           string         `json:"Condition"`
	Properties          map[string]any `json:"Properties"`
	Metadata            map[string]any `json:"Metadata"`
	DependsOn           any            `json:"DependsOn"`
	DeletionPolicy      string         `json:"DeletionPolicy"`
	UpdateReplacePolicy string         `json:"UpdateReplacePolicy"`
}

// Output is one entry of a template's Outputs.
type Output struct {
	Description string `json:"Description"`
	Value       any    `json:"Value"`
	Export      any    `json:"Export"`
}

// ErrNotFound is returned when a resource or property a caller asks for is absent.
var ErrNotFound = errors.New("not found")

// Parse decodes a template and checks that every resource has a type.
func Parse(data []byte) (*Template, error) {
	var t Template
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if len(t.Resources) == 0 {
		return nil, errors.New("parse template: no Resources")
	}
	for id, r := range t.Resources {
		if r.Type == "" {
			return nil, fmt.Errorf("parse template: resource %q has no Type", id)
		}
	}
	return &t, nil
}

// OfType lists the logical IDs of the resources of one type, sorted.
func (t *Template) OfType(typ string) []string {
	var ids []string
	for id, r := range t.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// Resource returns the resource with the given logical ID, checking its type.
func (t *Template) Resource(id, typ string) (Resource, error) {
	r, ok := t.Resources[id]
	if !ok {
		return Resource{}, fmt.Errorf("resource %s: %w", id, ErrNotFound)
	}
	if r.Type != typ {
		return Resource{}, fmt.Errorf("resource %s is %s, not %s", id, r.Type, typ)
	}
	return r, nil
}

// DependsOnList returns DependsOn as a list, whether the template wrote a string or a list.
func (r Resource) DependsOnList() []string {
	return Strings(r.DependsOn)
}

// Lookup walks a path of map keys (and list indexes written as numbers) from v.
func Lookup(v any, path ...any) (any, error) {
	cur := v
	for i, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("lookup %v: %v is not an object", path[:i+1], path[:i])
			}
			next, ok := m[k]
			if !ok {
				return nil, fmt.Errorf("lookup %v: %w", path[:i+1], ErrNotFound)
			}
			cur = next
		case int:
			l, ok := cur.([]any)
			if !ok {
				return nil, fmt.Errorf("lookup %v: %v is not a list", path[:i+1], path[:i])
			}
			if k < 0 || k >= len(l) {
				return nil, fmt.Errorf("lookup %v: index %d of %d: %w", path[:i+1], k, len(l), ErrNotFound)
			}
			cur = l[k]
		default:
			return nil, fmt.Errorf("lookup: path element %v is neither a key nor an index", p)
		}
	}
	return cur, nil
}

// Strings reads a value IAM and CloudFormation allow as "one string or a list of strings".
// Elements that are not strings are skipped; use Eval first to resolve intrinsics.
func Strings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []string:
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// FunctionLogicalID is the logical ID Serverless Framework v3 gives the function with the
// given key in serverless.yml (lib/plugins/aws/lib/naming.js: getNormalizedFunctionName).
func FunctionLogicalID(key string) string {
	return normalizedName(key) + "LambdaFunction"
}

// LogGroupLogicalID is the logical ID of the log group Serverless Framework v3 creates for a
// function.
func LogGroupLogicalID(key string) string {
	return normalizedName(key) + "LogGroup"
}

func normalizedName(key string) string {
	n := strings.NewReplacer("-", "Dash", "_", "Underscore").Replace(key)
	if n == "" {
		return n
	}
	return strings.ToUpper(n[:1]) + n[1:]
}
