package stack

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Env holds the values of the pseudo parameters for an evaluation.
type Env struct {
	Partition string // AWS::Partition, e.g. "aws"
	Region    string // AWS::Region
	AccountID string // AWS::AccountId
	URLSuffix string // AWS::URLSuffix, e.g. "amazonaws.com"
	StackName string // AWS::StackName
}

// ErrUnsupported is returned for intrinsic functions Eval does not evaluate.
var ErrUnsupported = errors.New("unsupported intrinsic function")

// RefMarker is what Eval writes for a Ref to a resource or parameter of the template.
func RefMarker(id string) string { return "<" + id + ">" }

// GetAttMarker is what Eval writes for Fn::GetAtt of a resource's attribute.
func GetAttMarker(id, attr string) string { return "<" + id + "." + attr + ">" }

// Eval returns v with every intrinsic function resolved: pseudo parameters from env,
// references to the template's resources as markers (RefMarker, GetAttMarker). A reference
// to a name the template does not define is an error, as CloudFormation would refuse it.
func (t *Template) Eval(env Env, v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return t.intrinsic(env, k, arg)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := t.Eval(env, e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := t.Eval(env, e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

// EvalString evaluates v and requires a string result.
func (t *Template) EvalString(env Env, v any) (string, error) {
	r, err := t.Eval(env, v)
	if err != nil {
		return "", err
	}
	s, ok := r.(string)
	if !ok {
		return "", fmt.Errorf("evaluates to %T, not a string", r)
	}
	return s, nil
}

// EvalStrings evaluates v and reads it as one string or a list of strings.
func (t *Template) EvalStrings(env Env, v any) ([]string, error) {
	r, err := t.Eval(env, v)
	if err != nil {
		return nil, err
	}
	switch x := r.(type) {
	case string:
		return []string{x}, nil
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("[%d] evaluates to %T, not a string", i, e)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("evaluates to %T, not a string or a list", r)
}

func (t *Template) intrinsic(env Env, name string, arg any) (any, error) {
	switch name {
	case "Ref":
		id, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("argument of Ref is %T, not a string", arg)
		}
		return t.ref(env, id)
	case "Fn::GetAtt":
		id, attr, err := getAttArgs(arg)
		if err != nil {
			return nil, err
		}
		if _, ok := t.Resources[id]; !ok {
			return nil, fmt.Errorf("Fn::GetAtt: resource %s: %w", id, ErrNotFound)
		}
		return GetAttMarker(id, attr), nil
	case "Fn::Join":
		return t.join(env, arg)
	case "Fn::Sub":
		return t.sub(env, arg)
	}
	return nil, fmt.Errorf("%s: %w", name, ErrUnsupported)
}

func (t *Template) ref(env Env, id string) (string, error) {
	switch id {
	case "AWS::Partition":
		return env.Partition, nil
	case "AWS::Region":
		return env.Region, nil
	case "AWS::AccountId":
		return env.AccountID, nil
	case "AWS::URLSuffix":
		return env.URLSuffix, nil
	case "AWS::StackName":
		return env.StackName, nil
	}
	if _, ok := t.Resources[id]; ok {
		return RefMarker(id), nil
	}
	if _, ok := t.Parameters[id]; ok {
		return RefMarker(id), nil
	}
	return "", fmt.Errorf("reference to %s: %w", id, ErrNotFound)
}

func getAttArgs(arg any) (id, attr string, err error) {
	switch x := arg.(type) {
	case string: // the short "Id.Attr" form
		id, attr, ok := strings.Cut(x, ".")
		if !ok {
			return "", "", fmt.Errorf("argument of Fn::GetAtt %q is not Id.Attribute", x)
		}
		return id, attr, nil
	case []any:
		if len(x) == 2 {
			id, ok1 := x[0].(string)
			attr, ok2 := x[1].(string)
			if ok1 && ok2 {
				return id, attr, nil
			}
		}
	}
	return "", "", fmt.Errorf("Fn::GetAtt: argument %v is not [Id, Attribute]", arg)
}

func (t *Template) join(env Env, arg any) (string, error) {
	args, ok := arg.([]any)
	if !ok || len(args) != 2 {
		return "", fmt.Errorf("Fn::Join: argument is not [delimiter, list]")
	}
	delim, ok := args[0].(string)
	if !ok {
		return "", fmt.Errorf("Fn::Join: delimiter is %T, not a string", args[0])
	}
	parts, err := t.EvalStrings(env, args[1])
	if err != nil {
		return "", fmt.Errorf("Fn::Join: %w", err)
	}
	return strings.Join(parts, delim), nil
}

func (t *Template) sub(env Env, arg any) (string, error) {
	var text string
	vars := map[string]string{}
	switch x := arg.(type) {
	case string:
		text = x
	case []any:
		if len(x) != 2 {
			return "", fmt.Errorf("Fn::Sub: argument has %d elements, not [text, variables]", len(x))
		}
		s, ok := x[0].(string)
		if !ok {
			return "", fmt.Errorf("Fn::Sub: text is %T, not a string", x[0])
		}
		text = s
		m, ok := x[1].(map[string]any)
		if !ok {
			return "", fmt.Errorf("Fn::Sub: variables are %T, not an object", x[1])
		}
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			v, err := t.EvalString(env, m[k])
			if err != nil {
				return "", fmt.Errorf("Fn::Sub variable %s: %w", k, err)
			}
			vars[k] = v
		}
	default:
		return "", fmt.Errorf("Fn::Sub: argument is %T", arg)
	}
	return Substitute(text, func(name string) (string, error) {
		if v, ok := vars[name]; ok {
			return v, nil
		}
		if id, attr, ok := strings.Cut(name, "."); ok {
			if _, ok := t.Resources[id]; !ok {
				return "", fmt.Errorf("Fn::Sub ${%s}: resource %s: %w", name, id, ErrNotFound)
			}
			return GetAttMarker(id, attr), nil
		}
		v, err := t.ref(env, name)
		if err != nil {
			return "", fmt.Errorf("Fn::Sub ${%s}: %w", name, err)
		}
		return v, nil
	})
}

// Substitute applies Fn::Sub's syntax to text: each ${Name} is replaced by lookup(Name), and
// ${!Literal} is written as ${Literal}. An unterminated ${ is an error, as in CloudFormation.
func Substitute(text string, lookup func(name string) (string, error)) (string, error) {
	var b strings.Builder
	rest := text
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		b.WriteString(rest[:i])
		end := strings.IndexByte(rest[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("Fn::Sub: unterminated ${ at offset %d", len(text)-len(rest)+i)
		}
		name := rest[i+2 : i+end]
		rest = rest[i+end+1:]
		if lit, ok := strings.CutPrefix(name, "!"); ok {
			b.WriteString("${" + lit + "}")
			continue
		}
		v, err := lookup(strings.TrimSpace(name))
		if err != nil {
			return "", err
		}
		b.WriteString(v)
	}
}
