package stack

import (
	"fmt"
	"sort"
	"strings"
)

// Statement is one IAM policy statement with its intrinsics evaluated.
type Statement struct {
	Owner     string         // logical ID of the resource that holds the policy
	Policy    string         // policy name, or the property that holds the document
	Effect    string         // Allow or Deny
	Principal any            // as written (resource policies only)
	Actions   []string       // Action, one string or a list
	NotAction []string       // NotAction, if the statement uses it
	Resources []string       // Resource, evaluated
	Condition map[string]any // as written
}

// policyDocuments lists where each resource type keeps its policy documents.
var policyDocuments = map[string]func(r Resource) map[string]any{
	"AWS::IAM::Role":          rolePolicies,
	"AWS::IAM::Policy":        documentProperty,
	"AWS::IAM::ManagedPolicy": documentProperty,
	"AWS::S3::BucketPolicy":   documentProperty,
	"AWS::SQS::QueuePolicy":   documentProperty,
	"AWS::SNS::TopicPolicy":   documentProperty,
}

func rolePolicies(r Resource) map[string]any {
	out := map[string]any{}
	policies, _ := r.Properties["Policies"].([]any)
	for i, p := range policies {
		pm, _ := p.(map[string]any)
		name, _ := pm["PolicyName"].(string)
		if name == "" {
			name = fmt.Sprintf("Policies[%d]", i)
		}
		out[name] = pm["PolicyDocument"]
	}
	return out
}

func documentProperty(r Resource) map[string]any {
	name, _ := r.Properties["PolicyName"].(string)
	if name == "" {
		name = "PolicyDocument"
	}
	return map[string]any{name: r.Properties["PolicyDocument"]}
}

// PolicyStatements returns every permission statement in the template: inline role policies,
// IAM policies and resource policies (S3, SQS, SNS). Trust policies (AssumeRolePolicyDocument)
// are not included; read them with Lookup.
func (t *Template) PolicyStatements(env Env) ([]Statement, error) {
	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []Statement
	for _, id := range ids {
		docs, ok := policyDocuments[t.Resources[id].Type]
		if !ok {
			continue
		}
		byName := docs(t.Resources[id])
		names := make([]string, 0, len(byName))
		for n := range byName {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, name := range names {
			st, err := t.statements(env, id, name, byName[name])
			if err != nil {
				return nil, err
			}
			out = append(out, st...)
		}
	}
	return out, nil
}

// RoleStatements returns the statements of one role's inline policies.
func (t *Template) RoleStatements(env Env, roleID string) ([]Statement, error) {
	r, err := t.Resource(roleID, "AWS::IAM::Role")
	if err != nil {
		return nil, err
	}
	byName := rolePolicies(r)
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Statement
	for _, name := range names {
		st, err := t.statements(env, roleID, name, byName[name])
		if err != nil {
			return nil, err
		}
		out = append(out, st...)
	}
	return out, nil
}

func (t *Template) statements(env Env, owner, policy string, doc any) ([]Statement, error) {
	dm, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s policy %s: document is %T, not an object", owner, policy, doc)
	}
	raw := dm["Statement"]
	list, ok := raw.([]any)
	if !ok {
		list = []any{raw} // a single statement may be written without a list
	}
	out := make([]Statement, 0, len(list))
	for i, s := range list {
		sm, ok := s.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s policy %s: statement %d is %T, not an object", owner, policy, i, s)
		}
		st := Statement{Owner: owner, Policy: policy, Principal: sm["Principal"]}
		st.Effect, _ = sm["Effect"].(string)
		st.Actions = Strings(sm["Action"])
		st.NotAction = Strings(sm["NotAction"])
		st.Condition, _ = sm["Condition"].(map[string]any)
		if res, ok := sm["Resource"]; ok {
			r, err := t.EvalStrings(env, res)
			if err != nil {
				return nil, fmt.Errorf("%s policy %s statement %d Resource: %w", owner, policy, i, err)
			}
			st.Resources = r
		}
		out = append(out, st)
	}
	return out, nil
}

// Grants reports whether the statement allows an action of the given service prefix
// ("states", "dynamodb", "s3"), counting wildcards ("*", "s3:*", "s3:Put*") and NotAction.
func (s Statement) Grants(service string) bool {
	if s.Effect != "Allow" {
		return false
	}
	if len(s.NotAction) > 0 {
		return true // NotAction allows everything it does not name
	}
	for _, a := range s.Actions {
		if a == "*" || strings.HasPrefix(strings.ToLower(a), strings.ToLower(service)+":") {
			return true
		}
	}
	return false
}

// HasWildcardResource reports whether the statement applies to every resource ("*").
func (s Statement) HasWildcardResource() bool {
	for _, r := range s.Resources {
		if r == "*" {
			return true
		}
	}
	return false
}
