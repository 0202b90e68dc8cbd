package slsconfig

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Authorizer is an http event's `authorizer:` as serverless v3 deploys it
// (lib/plugins/aws/package/compile/events/api-gateway/lib/authorizers.js).
type Authorizer struct {
	// Name is the authorizer's name (its function key by default).
	Name string
	// Type is TOKEN (the default for a Lambda), REQUEST,
	// COGNITO_USER_POOLS or AWS_IAM, upper case.
	Type string
	// Function is the key of the service's function that implements it
	// (from `arn: {Fn::GetAtt: [<Function>LambdaFunction, Arn]}`, or a
	// name that is a function key); empty for other authorizers.
	Function string
	// IdentitySource is where the token is read, e.g.
	// method.request.header.Authorization (the default).
	IdentitySource string
	// ResultTTLSeconds is how long API Gateway caches a decision (default 300).
	ResultTTLSeconds int
}

// DefaultIdentitySource is serverless' default identity source.
const DefaultIdentitySource = "method.request.header.Authorization"

// authorizerOf normalizes an `authorizer:` setting.
func (s *Service) authorizerOf(raw any, path string) (*Authorizer, error) {
	if raw == nil {
		return nil, nil
	}
	a := &Authorizer{Type: "TOKEN", IdentitySource: DefaultIdentitySource, ResultTTLSeconds: 300}
	switch v := raw.(type) {
	case string:
		if strings.EqualFold(v, "aws_iam") {
			return &Authorizer{Type: "AWS_IAM"}, nil
		}
		a.Name = v
		a.Function = s.functionKeyOf(v)
	case map[string]any:
		a.Name = str(v["name"])
		if t := str(v["type"]); t != "" {
			a.Type = strings.ToUpper(t)
		}
		if a.Type == "AWS_IAM" {
			return &Authorizer{Type: "AWS_IAM"}, nil
		}
		switch arn := v["arn"].(type) {
		case nil:
			a.Function = s.functionKeyOf(a.Name)
		case string:
			a.Function = s.functionKeyOf(arn)
		case map[string]any:
			ga, _ := arn["Fn::GetAtt"].([]any)
			if len(ga) == 2 {
				for _, fn := range s.Functions {
					if fn.LogicalID == str(ga[0]) {
						a.Function = fn.Key
					}
				}
			}
		}
		if src, has := v["identitySource"]; has {
			a.IdentitySource = str(src)
		}
		if ttl, has := v["resultTtlInSeconds"]; has {
			n, ok := toInt(ttl)
			if !ok || n < 0 {
				return nil, &ResolveError{Path: path + ".resultTtlInSeconds", Err: fmt.Errorf("invalid value %v", ttl)}
			}
			a.ResultTTLSeconds = n
		}
	default:
		return nil, &ResolveError{Path: path, Err: errors.New("neither a string nor a map")}
	}
	if a.Name == "" {
		a.Name = a.Function
	}
	return a, nil
}

// functionKeyOf returns the key of the function named by ref (a function
// key, its deployed name or its ARN), or "".
func (s *Service) functionKeyOf(ref string) string {
	name := ref
	if i := strings.LastIndex(ref, ":function:"); i >= 0 {
		name = ref[i+len(":function:"):]
	}
	for _, fn := range s.Functions {
		if fn.Key == name || fn.Name == name {
			return fn.Key
		}
	}
	return ""
}

// requestSchemas reads request.schemas: content type -> schema, the schema
// given inline or through ${file(...)} (a map), as JSON text, or as
// {schema: ..., name: ..., description: ...}.
func requestSchemas(http map[string]any, path string) (map[string][]byte, error) {
	req, _ := http["request"].(map[string]any)
	raw, has := req["schemas"]
	if !has || raw == nil {
		return nil, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, &ResolveError{Path: path, Err: errors.New("want a map of content type to schema")}
	}
	out := make(map[string][]byte, len(m))
	for _, ct := range sortedKeys(m) {
		v := m[ct]
		if mm, ok := v.(map[string]any); ok {
			if inner, has := mm["schema"]; has {
				if _, isSchema := mm["$schema"]; !isSchema {
					v = inner
				}
			}
		}
		var b []byte
		switch x := v.(type) {
		case string:
			if !json.Valid([]byte(x)) {
				return nil, &ResolveError{Path: path + "." + ct, Err: errors.New("schema text is not JSON")}
			}
			b = []byte(x)
		case map[string]any:
			var err error
			if b, err = json.Marshal(x); err != nil {
				return nil, &ResolveError{Path: path + "." + ct, Err: err}
			}
		default:
			return nil, &ResolveError{Path: path + "." + ct, Err: errors.New("want a schema object")}
		}
		out[strings.ToLower(ct)] = b
	}
	return out, nil
}

// functionRoutes are the http events of functions: Lambda proxy
// integrations (serverless' default, `integration: lambda-proxy`).
func (s *Service) functionRoutes(providerTimeout int) ([]Route, error) {
	var out []Route
	for _, fn := range s.Functions {
		for i, ev := range fn.Events {
			raw, ok := eventOf(ev, "http")
			if !ok {
				continue
			}
			path := fmt.Sprintf("functions.%s.events.%d.http", fn.Key, i)
			http, err := httpEvent(raw, path)
			if err != nil {
				return nil, err
			}
			switch integ := strings.ToLower(str(http["integration"])); integ {
			case "", "lambda-proxy", "lambda_proxy", "aws_proxy":
			default:
				return nil, &ResolveError{Path: path + ".integration", Err: fmt.Errorf("integration %q: only lambda-proxy is served locally", integ)}
			}
			p, err := httpPath(http, path)
			if err != nil {
				return nil, err
			}
			method, err := httpMethod(str(http["method"]), path)
			if err != nil {
				return nil, err
			}
			r := Route{Function: fn.Key, Method: method, Path: p, Integration: IntegrationLambdaProxy,
				PassthroughBehavior: PassthroughWhenNoMatch, Private: http["private"] == true}
			if r.Authorizer, err = s.authorizerOf(http["authorizer"], path+".authorizer"); err != nil {
				return nil, err
			}
			if r.RequestSchemas, err = requestSchemas(http, path+".request.schemas"); err != nil {
				return nil, err
			}
			r.TimeoutMillis, _ = toInt(http["timeoutInMillis"])
			r.TimeoutMillis = cmp.Or(r.TimeoutMillis, providerTimeout, DefaultTimeoutMillis)
			out = append(out, r)
		}
	}
	return out, nil
}

// AuthorizerFunctions returns the keys of the functions that http events
// use as authorizers, sorted, without resolving templates.
func (s *Service) AuthorizerFunctions() ([]string, error) {
	seen := map[string]bool{}
	visit := func(events []any, path string) error {
		for i, ev := range events {
			evm, _ := ev.(map[string]any)
			h, _ := evm["http"].(map[string]any)
			if h == nil {
				continue
			}
			a, err := s.authorizerOf(h["authorizer"], fmt.Sprintf("%s.events.%d.http.authorizer", path, i))
			if err != nil {
				return err
			}
			if a != nil && a.Function != "" {
				seen[a.Function] = true
			}
		}
		return nil
	}
	for _, sm := range s.StateMachines {
		if err := visit(sm.Events, "stepFunctions.stateMachines."+sm.Key); err != nil {
			return nil, err
		}
	}
	for _, fn := range s.Functions {
		if err := visit(fn.Events, "functions."+fn.Key); err != nil {
			return nil, err
		}
	}
	return sortedKeys(seen), nil
}
