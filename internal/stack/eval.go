package stack

import (
	"errors"
	"fmt"

	"github.com/asyncjobs/stepjobs/internal/slsconfig"
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
var ErrUnsupported = slsconfig.ErrUnsupportedIntrinsic

// RefMarker is what Eval writes for a Ref to a resource or parameter of the template.
func RefMarker(id string) string { return "<" + id + ">" }

// GetAttMarker is what Eval writes for Fn::GetAtt of a resource's attribute.
func GetAttMarker(id, attr string) string { return "<" + id + "." + attr + ">" }

// Eval returns v with every intrinsic function resolved: pseudo parameters from env,
// references to the template's resources as markers (RefMarker, GetAttMarker). A reference
// to a name the template does not define is an error (ErrNotFound), as CloudFormation would
// refuse it. The evaluation is slsconfig.ResolveIntrinsics, the one the local runtime uses.
func (t *Template) Eval(env Env, v any) (any, error) {
	r, err := slsconfig.ResolveIntrinsics(v, templateLookup{t: t, env: env}, "template")
	if errors.Is(err, slsconfig.ErrUnknownReference) {
		return nil, fmt.Errorf("%w: %w", err, ErrNotFound)
	}
	return r, err
}

// templateLookup answers Ref and Fn::GetAtt for Eval: pseudo parameters from env, the
// template's resources and parameters as markers.
type templateLookup struct {
	t   *Template
	env Env
}

// Ref implements slsconfig.Lookup.
func (l templateLookup) Ref(id string) (string, bool) {
	switch id {
	case "AWS::Partition":
		return l.env.Partition, true
	case "AWS::Region":
		return l.env.Region, true
	case "AWS::AccountId":
		return l.env.AccountID, true
	case "AWS::URLSuffix":
		return l.env.URLSuffix, true
	case "AWS::StackName":
		return l.env.StackName, true
	}
	if _, ok := l.t.Resources[id]; ok {
		return RefMarker(id), true
	}
	if _, ok := l.t.Parameters[id]; ok {
		return RefMarker(id), true
	}
	return "", false
}

// GetAtt implements slsconfig.Lookup.
func (l templateLookup) GetAtt(id, attr string) (string, bool) {
	if _, ok := l.t.Resources[id]; !ok {
		return "", false
	}
	return GetAttMarker(id, attr), true
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
