package slsconfig

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Lookup answers the CloudFormation references of the stack: the local
// runtime maps logical ids to local names and ARNs. Pseudo parameters come
// through Ref too ("AWS::Region", "AWS::AccountId", "AWS::Partition").
type Lookup interface {
	Ref(logicalID string) (string, bool)
	GetAtt(logicalID, attribute string) (string, bool)
}

// MapLookup is a Lookup backed by maps.
type MapLookup struct {
	// Refs maps a logical id (or pseudo parameter) to what Ref returns.
	Refs map[string]string
	// Attrs maps "LogicalId.Attribute" to what Fn::GetAtt returns.
	Attrs map[string]string
}

// Ref implements Lookup.
func (m MapLookup) Ref(id string) (string, bool) {
	v, ok := m.Refs[id]
	return v, ok
}

// GetAtt implements Lookup.
func (m MapLookup) GetAtt(id, attr string) (string, bool) {
	v, ok := m.Attrs[id+"."+attr]
	return v, ok
}

// ErrUnresolvedIntrinsic marks a CloudFormation intrinsic the lookup cannot
// answer or this package does not implement.
var ErrUnresolvedIntrinsic = errors.New("unresolved intrinsic")

// ErrUnknownReference marks, besides ErrUnresolvedIntrinsic, a Ref, Fn::GetAtt or
// Fn::Sub variable naming something the lookup does not know.
var ErrUnknownReference = errors.New("unknown reference")

// ErrUnsupportedIntrinsic marks, besides ErrUnresolvedIntrinsic, an intrinsic
// function this package does not evaluate (Fn::If, Fn::Select, ...).
var ErrUnsupportedIntrinsic = errors.New("unsupported intrinsic function")

// ResolveIntrinsics replaces Ref, Fn::GetAtt, Fn::Sub and Fn::Join in v by
// their values from l. path names v's YAML key for errors. v is not modified.
// It is the project's one CloudFormation evaluator: the local runtime resolves
// serverless.yml with it, and package stack the template `sls package` writes.
func ResolveIntrinsics(v any, l Lookup, path string) (any, error) {
	return resolveIntrinsics(v, l, path)
}

func intrinsicErr(path, format string, args ...any) error {
	return &ResolveError{Path: path, Err: fmt.Errorf("%w: %s", ErrUnresolvedIntrinsic, fmt.Sprintf(format, args...))}
}

// kindErr is intrinsicErr also marked with kind (ErrUnknownReference or
// ErrUnsupportedIntrinsic).
func kindErr(kind error, path, format string, args ...any) error {
	return &ResolveError{Path: path, Err: fmt.Errorf("%w: %w: %s", ErrUnresolvedIntrinsic, kind, fmt.Sprintf(format, args...))}
}

func resolveIntrinsics(v any, l Lookup, path string) (any, error) {
	switch n := v.(type) {
	case map[string]any:
		if fn, arg, ok := intrinsic(n); ok {
			return resolveFunction(fn, arg, l, path)
		}
		out := make(map[string]any, len(n))
		for _, k := range sortedKeys(n) {
			x, err := resolveIntrinsics(n[k], l, path+"."+k)
			if err != nil {
				return nil, err
			}
			out[k] = x
		}
		return out, nil
	case []any:
		out := make([]any, len(n))
		for i, x := range n {
			y, err := resolveIntrinsics(x, l, fmt.Sprintf("%s.%d", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = y
		}
		return out, nil
	}
	return v, nil
}

// intrinsic reports whether m is an intrinsic function call: a one-key map
// whose key is Ref or Fn::*.
func intrinsic(m map[string]any) (string, any, bool) {
	if len(m) != 1 {
		return "", nil, false
	}
	for k, v := range m {
		if k == "Ref" || strings.HasPrefix(k, "Fn::") {
			return k, v, true
		}
	}
	return "", nil, false
}

func resolveFunction(fn string, arg any, l Lookup, path string) (any, error) {
	path = path + "." + fn
	switch fn {
	case "Ref":
		id, ok := arg.(string)
		if !ok {
			return nil, intrinsicErr(path, "Ref takes a logical id string")
		}
		v, ok := l.Ref(id)
		if !ok {
			return nil, kindErr(ErrUnknownReference, path, "Ref %s", id)
		}
		return v, nil
	case "Fn::GetAtt":
		id, attr, err := getAttArgs(arg, l, path)
		if err != nil {
			return nil, err
		}
		v, ok := l.GetAtt(id, attr)
		if !ok {
			return nil, kindErr(ErrUnknownReference, path, "Fn::GetAtt %s.%s", id, attr)
		}
		return v, nil
	case "Fn::Join":
		args, ok := arg.([]any)
		if !ok || len(args) != 2 {
			return nil, intrinsicErr(path, "Fn::Join takes [delimiter, [values]]")
		}
		delim, ok := args[0].(string)
		if !ok {
			return nil, intrinsicErr(path, "Fn::Join delimiter is not a string")
		}
		listV, err := resolveIntrinsics(args[1], l, path+".1")
		if err != nil {
			return nil, err
		}
		list, ok := listV.([]any)
		if !ok {
			return nil, intrinsicErr(path, "Fn::Join values are not a list")
		}
		parts := make([]string, len(list))
		for i, x := range list {
			s, ok := coerceString(x)
			if !ok {
				return nil, intrinsicErr(path, "Fn::Join value %d is not a string", i)
			}
			parts[i] = s
		}
		return strings.Join(parts, delim), nil
	case "Fn::Sub":
		var tmpl string
		vars := map[string]string{}
		switch a := arg.(type) {
		case string:
			tmpl = a
		case []any:
			if len(a) != 2 {
				return nil, intrinsicErr(path, "Fn::Sub takes a string or [string, {vars}]")
			}
			s, ok := a[0].(string)
			if !ok {
				return nil, intrinsicErr(path, "Fn::Sub template is not a string")
			}
			tmpl = s
			m, ok := a[1].(map[string]any)
			if !ok {
				return nil, intrinsicErr(path, "Fn::Sub variables are not a map")
			}
			for _, k := range sortedKeys(m) {
				x, err := resolveIntrinsics(m[k], l, path+".1."+k)
				if err != nil {
					return nil, err
				}
				s, ok := coerceString(x)
				if !ok {
					return nil, intrinsicErr(path, "Fn::Sub variable %s is not a string", k)
				}
				vars[k] = s
			}
		default:
			return nil, intrinsicErr(path, "Fn::Sub takes a string or [string, {vars}]")
		}
		return sub(tmpl, vars, l, path)
	}
	return nil, kindErr(ErrUnsupportedIntrinsic, path, "%s is not evaluated here", fn)
}

func getAttArgs(arg any, l Lookup, path string) (string, string, error) {
	switch a := arg.(type) {
	case string:
		id, attr, ok := strings.Cut(a, ".")
		if ok {
			return id, attr, nil
		}
	case []any:
		if len(a) == 2 {
			id, ok1 := a[0].(string)
			attrV, err := resolveIntrinsics(a[1], l, path+".1")
			if err != nil {
				return "", "", err
			}
			attr, ok2 := attrV.(string)
			if ok1 && ok2 {
				return id, attr, nil
			}
		}
	}
	return "", "", intrinsicErr(path, "Fn::GetAtt takes [logicalId, attribute]")
}

// sub substitutes ${Name}, ${Logical.Attr} and ${!Literal} as Fn::Sub does.
// A ${ with no } after it is text, kept as written: CloudFormation's grammar
// names a variable only between ${ and }, and AWS's own template tools agree
// (cfn-lint finds Fn::Sub variables with a pattern that needs the closing
// brace, and the CDK's cfn-include parser returns the rest of the string
// unchanged when no } follows).
func sub(tmpl string, vars map[string]string, l Lookup, path string) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(tmpl, "${")
		if i < 0 {
			b.WriteString(tmpl)
			return b.String(), nil
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			b.WriteString(tmpl)
			return b.String(), nil
		}
		name := tmpl[i+2 : i+j]
		b.WriteString(tmpl[:i])
		tmpl = tmpl[i+j+1:]
		switch {
		case strings.HasPrefix(name, "!"):
			b.WriteString("${" + name[1:] + "}")
		case hasKey(vars, name):
			b.WriteString(vars[name])
		default:
			name = strings.TrimSpace(name)
			if id, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
				v, found := l.GetAtt(id, attr)
				if !found {
					return "", kindErr(ErrUnknownReference, path, "Fn::Sub ${%s}", name)
				}
				b.WriteString(v)
				continue
			}
			v, found := l.Ref(name)
			if !found {
				return "", kindErr(ErrUnknownReference, path, "Fn::Sub ${%s}", name)
			}
			b.WriteString(v)
		}
	}
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
