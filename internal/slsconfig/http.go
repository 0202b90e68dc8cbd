package slsconfig

import (
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The request templates serverless-step-functions 3.28 generates
// (lib/deploy/events/apiGateway/methods.js, MIT licence), byte for byte as
// it emits them into Fn::Sub; ${StateMachineArn} and ${AccountId} are the
// Fn::Sub variables.
var (
	//go:embed plugintemplates/default-request.vtl
	defaultRequestTemplate string
	//go:embed plugintemplates/lambda-proxy-json.vtl
	lambdaProxyJSONTemplate string
	//go:embed plugintemplates/lambda-proxy-form.vtl
	lambdaProxyFormTemplate string
)

// Passthrough behaviours of an API Gateway integration.
const (
	PassthroughNever           = "NEVER"
	PassthroughWhenNoTemplates = "WHEN_NO_TEMPLATES"
	PassthroughWhenNoMatch     = "WHEN_NO_MATCH"
)

// Integration types of a Route.
const (
	IntegrationAWS  = "AWS"  // a Step Functions action
	IntegrationMock = "MOCK" // the CORS preflight
	// IntegrationLambdaProxy is a function's http event with
	// integration: lambda-proxy (the default): API Gateway hands the
	// function an APIGatewayProxyRequest and relays its answer.
	IntegrationLambdaProxy = "AWS_PROXY"
)

// Route is one API Gateway method as serverless-step-functions deploys it
// for an http event (plus the OPTIONS methods it adds for CORS).
type Route struct {
	// StateMachine is the state machine key; empty for a CORS preflight
	// and a function's route.
	StateMachine string
	// Function is the function key of an IntegrationLambdaProxy route.
	Function string
	// Method is upper case (GET, POST, ..., ANY).
	Method string
	// Path is the resource path with a leading slash and {param} parts,
	// e.g. "/jobs/{id}" ("/" for the root).
	Path string
	// Integration is IntegrationAWS or IntegrationMock.
	Integration string
	// Action is the Step Functions action (StartExecution by default), or
	// the DynamoDB action of a ServiceDynamoDB route.
	Action string
	// Service is the AWS service of an IntegrationAWS route: empty for
	// Step Functions, ServiceDynamoDB for a raw method of resources/.
	Service string
	// PassthroughBehavior is NEVER without `action`, WHEN_NO_TEMPLATES with one.
	PassthroughBehavior string
	// RequestTemplates maps a content type to its VTL, intrinsics resolved.
	RequestTemplates map[string]string
	// Responses are the integration responses, sorted by status code.
	Responses []IntegrationResponse
	// CORS is the event's normalized cors setting, nil when off.
	CORS *CORS
	// Authorizer is the route's authorizer, nil when the route has none.
	Authorizer *Authorizer
	// RequestSchemas maps a content type to the JSON Schema (draft-04)
	// of request.schemas: API Gateway's request validator checks the body
	// against it before the integration is called.
	RequestSchemas map[string][]byte
	// Private is `private: true` (an API key is required on AWS).
	Private bool
	// TimeoutMillis is the integration timeout (29000 when not set).
	TimeoutMillis int
}

// IntegrationResponse is one integration response of a method.
type IntegrationResponse struct {
	StatusCode int
	// SelectionPattern is a regular expression matched against the
	// integration's HTTP status; empty marks the default response.
	SelectionPattern string
	// ResponseParameters maps "method.response.header.X" to a source:
	// a quoted literal ('value') or integration.response.header.Y / body.
	ResponseParameters map[string]string
	// ResponseTemplates maps a content type to its VTL.
	ResponseTemplates map[string]string
}

// CORS is an event's cors setting after the plugin's normalization.
type CORS struct {
	Origin           string // comma-joined origins
	Headers          []string
	Methods          []string
	AllowCredentials bool
	MaxAge           int // 0 when unset
}

// DefaultTimeoutMillis is API Gateway's default (and maximum) integration timeout.
const DefaultTimeoutMillis = 29000

// Routes returns the HTTP routes of all state machines' http events,
// templates resolved by l (pseudo parameters answered by the service), then
// one OPTIONS route per CORS-enabled path. Routes are sorted by path and method.
func (s *Service) Routes(l Lookup) ([]Route, error) {
	lookup := s.PseudoLookup(l)
	var routes []Route
	type preflight struct{ cors CORS }
	preflights := map[string]*preflight{}
	var providerTimeout int
	if p, ok := s.Config["provider"].(map[string]any); ok {
		if gw, ok := p["apiGateway"].(map[string]any); ok {
			providerTimeout, _ = toInt(gw["timeoutInMillis"])
		}
	}
	for _, sm := range s.StateMachines {
		for i, ev := range sm.Events {
			raw, ok := eventOf(ev, "http")
			if !ok {
				continue
			}
			path := fmt.Sprintf("stepFunctions.stateMachines.%s.events.%d.http", sm.Key, i)
			r, err := s.route(sm, raw, lookup, path)
			if err != nil {
				return nil, err
			}
			r.TimeoutMillis = cmp.Or(r.TimeoutMillis, providerTimeout, DefaultTimeoutMillis)
			if r.CORS != nil {
				p := preflights[r.Path]
				if p == nil {
					p = &preflight{}
					preflights[r.Path] = p
				}
				p.cors.Headers = union(r.CORS.Headers, p.cors.Headers)
				p.cors.Methods = union(r.CORS.Methods, p.cors.Methods)
				p.cors.AllowCredentials = p.cors.AllowCredentials || r.CORS.AllowCredentials
				if r.CORS.MaxAge > 0 {
					p.cors.MaxAge = r.CORS.MaxAge
				}
				p.cors.Origin = r.CORS.Origin
			}
			routes = append(routes, r)
		}
	}
	fnRoutes, err := s.functionRoutes(providerTimeout)
	if err != nil {
		return nil, err
	}
	routes = append(routes, fnRoutes...)
	rawRoutes, err := s.methodRoutes(routes, lookup, providerTimeout)
	if err != nil {
		return nil, err
	}
	routes = append(routes, rawRoutes...)
	for path, p := range preflights {
		c := p.cors
		methods := strings.Join(c.Methods, ",")
		methods = strings.Replace(methods, "ANY", "DELETE,GET,HEAD,PATCH,POST,PUT", 1)
		params := map[string]string{
			"method.response.header.Access-Control-Allow-Origin":      "'" + c.Origin + "'",
			"method.response.header.Access-Control-Allow-Headers":     "'" + strings.Join(c.Headers, ",") + "'",
			"method.response.header.Access-Control-Allow-Methods":     "'" + methods + "'",
			"method.response.header.Access-Control-Allow-Credentials": "'" + strconv.FormatBool(c.AllowCredentials) + "'",
		}
		if c.MaxAge > 0 {
			params["method.response.header.Access-Control-Max-Age"] = "'" + strconv.Itoa(c.MaxAge) + "'"
		}
		cc := c
		routes = append(routes, Route{
			Method: "OPTIONS", Path: path, Integration: IntegrationMock,
			PassthroughBehavior: PassthroughWhenNoMatch,
			RequestTemplates:    map[string]string{"application/json": "{statusCode:200}"},
			Responses: []IntegrationResponse{{StatusCode: 200, ResponseParameters: params,
				ResponseTemplates: map[string]string{"application/json": ""}}},
			CORS: &cc, TimeoutMillis: DefaultTimeoutMillis,
		})
	}
	sort.SliceStable(routes, func(i, j int) bool {
		if routes[i].Path != routes[j].Path {
			return routes[i].Path < routes[j].Path
		}
		return routes[i].Method < routes[j].Method
	})
	for i := 1; i < len(routes); i++ {
		if routes[i].Path == routes[i-1].Path && routes[i].Method == routes[i-1].Method {
			return nil, fmt.Errorf("http events: %s %s is defined twice", routes[i].Method, routes[i].Path)
		}
	}
	return routes, nil
}

func (s *Service) route(sm StateMachine, raw any, l Lookup, path string) (Route, error) {
	http, err := httpEvent(raw, path)
	if err != nil {
		return Route{}, err
	}
	p, err := httpPath(http, path)
	if err != nil {
		return Route{}, err
	}
	method, ok := http["method"].(string)
	if !ok {
		return Route{}, &ResolveError{Path: path + ".method", Err: errors.New("missing or invalid method")}
	}
	if method, err = httpMethod(method, path); err != nil {
		return Route{}, err
	}
	r := Route{
		StateMachine: sm.Key, Method: method, Path: p, Integration: IntegrationAWS,
		Action: "StartExecution", PassthroughBehavior: PassthroughNever,
		Private: http["private"] == true,
	}
	if r.Authorizer, err = s.authorizerOf(http["authorizer"], path+".authorizer"); err != nil {
		return Route{}, err
	}
	if r.RequestSchemas, err = requestSchemas(http, path+".request.schemas"); err != nil {
		return Route{}, err
	}
	r.TimeoutMillis, _ = toInt(http["timeoutInMillis"])
	if a, ok := http["action"].(string); ok && a != "" {
		r.Action = a
		r.PassthroughBehavior = PassthroughWhenNoTemplates
	}
	if r.RequestTemplates, err = requestTemplates(sm, http, l, path); err != nil {
		return Route{}, err
	}
	if r.CORS, err = corsOf(http, method, path); err != nil {
		return Route{}, err
	}
	if r.Responses, err = integrationResponses(http, l, path); err != nil {
		return Route{}, err
	}
	if r.CORS != nil {
		for i := range r.Responses {
			r.Responses[i].ResponseParameters["method.response.header.Access-Control-Allow-Origin"] = "'" + r.CORS.Origin + "'"
		}
	}
	return r, nil
}

// eventOf returns the value under kind ("http", "eventBridge") of ev, an
// entry of a function's or a state machine's events, and whether ev is an
// event of that kind.
func eventOf(ev any, kind string) (any, bool) {
	evm, _ := ev.(map[string]any)
	raw, ok := evm[kind]
	return raw, ok
}

// httpEvent returns the http event raw as a map, expanding the
// "POST jobs" shorthand; path names it in errors.
func httpEvent(raw any, path string) (map[string]any, error) {
	switch h := raw.(type) {
	case string:
		method, p, _ := strings.Cut(h, " ")
		return map[string]any{"method": method, "path": p}, nil
	case map[string]any:
		return h, nil
	}
	return nil, &ResolveError{Path: path, Err: errors.New("invalid http event: neither a string nor a map")}
}

// httpPath returns an http event's path as a route has it: one leading
// slash, no trailing one.
func httpPath(http map[string]any, path string) (string, error) {
	p, ok := http["path"].(string)
	if !ok {
		return "", &ResolveError{Path: path + ".path", Err: errors.New("missing or invalid path")}
	}
	return "/" + strings.TrimSuffix(strings.TrimPrefix(p, "/"), "/"), nil
}

// httpMethod returns an http event's method in upper case, checking that
// API Gateway has it.
func httpMethod(method, path string) (string, error) {
	method = strings.ToUpper(method)
	switch method {
	case "GET", "POST", "PUT", "PATCH", "OPTIONS", "HEAD", "DELETE", "ANY":
		return method, nil
	}
	return "", &ResolveError{Path: path + ".method", Err: fmt.Errorf("invalid method %q", method)}
}

// requestTemplates follows getIntegrationRequestTemplates: a custom
// template map is merged over the defaults (so a JSON-only template leaves
// the default form-urlencoded one in place), "lambda_proxy" selects the
// proxy-like templates, and an `action` without templates gets none.
func requestTemplates(sm StateMachine, http map[string]any, l Lookup, path string) (map[string]string, error) {
	arnVars := map[string]any{"StateMachineArn": map[string]any{"Ref": sm.LogicalID}}
	def := map[string]any{
		"application/json":                  map[string]any{"Fn::Sub": []any{defaultRequestTemplate, arnVars}},
		"application/x-www-form-urlencoded": map[string]any{"Fn::Sub": []any{defaultRequestTemplate, arnVars}},
	}
	var templates map[string]any
	req, _ := http["request"].(map[string]any)
	custom, hasTemplate := req["template"]
	switch {
	case hasTemplate && custom == "lambda_proxy":
		proxyVars := map[string]any{"StateMachineArn": map[string]any{"Ref": sm.LogicalID}, "AccountId": map[string]any{"Ref": "AWS::AccountId"}}
		templates = map[string]any{
			"application/json":                  map[string]any{"Fn::Sub": []any{lambdaProxyJSONTemplate, proxyVars}},
			"application/x-www-form-urlencoded": map[string]any{"Fn::Sub": []any{lambdaProxyFormTemplate, proxyVars}},
		}
	case hasTemplate:
		m, ok := custom.(map[string]any)
		if !ok {
			return nil, &ResolveError{Path: path + ".request.template", Err: errors.New(`want a map of content type to template, or "lambda_proxy"`)}
		}
		templates = def
		for k, v := range m {
			templates[k] = v
		}
	case http["action"] != nil:
		templates = map[string]any{}
	default:
		templates = def
	}
	return templateMap(templates, l, path+".request.template")
}

func templateMap(m map[string]any, l Lookup, path string) (map[string]string, error) {
	out := make(map[string]string, len(m))
	for _, ct := range sortedKeys(m) {
		v, err := ResolveIntrinsics(m[ct], l, path+"."+ct)
		if err != nil {
			return nil, err
		}
		if v == nil {
			v = ""
		}
		s, ok := v.(string)
		if !ok {
			return nil, &ResolveError{Path: path + "." + ct, Err: errors.New("template is not a string")}
		}
		out[strings.ToLower(ct)] = s
	}
	return out, nil
}

// integrationResponses follows getMethodIntegration: `responses` as given
// (statusCode defaulting to the key, selectionPattern to the key as a
// string), else 200 (pattern "", `response.template` and headers) and 400
// (pattern "400").
func integrationResponses(http map[string]any, l Lookup, path string) ([]IntegrationResponse, error) {
	var out []IntegrationResponse
	if raw, has := http["responses"]; has {
		m, ok := raw.(map[string]any)
		if !ok {
			return nil, &ResolveError{Path: path + ".responses", Err: errors.New("not a map")}
		}
		for _, key := range sortedKeys(m) {
			rp := path + ".responses." + key
			v, _ := m[key].(map[string]any)
			code, ok := toInt(v["statusCode"])
			if !ok {
				code, _ = strconv.Atoi(key)
			}
			if code < 100 || code > 599 {
				return nil, &ResolveError{Path: rp + ".statusCode", Err: fmt.Errorf("invalid status code %v", v["statusCode"])}
			}
			pattern := key
			if sp, has := v["selectionPattern"]; has {
				pattern, _ = coerceString(sp)
			}
			params, err := stringMap(v["responseParameters"], l, rp+".responseParameters")
			if err != nil {
				return nil, err
			}
			templates, err := templatesOf(v["responseTemplates"], l, rp+".responseTemplates")
			if err != nil {
				return nil, err
			}
			out = append(out, IntegrationResponse{StatusCode: code, SelectionPattern: pattern, ResponseParameters: params, ResponseTemplates: templates})
		}
	} else {
		resp, _ := http["response"].(map[string]any)
		headers, err := stringMap(resp["headers"], l, path+".response.headers")
		if err != nil {
			return nil, err
		}
		params := make(map[string]string, len(headers))
		for k, v := range headers {
			params["method.response.header."+k] = v
		}
		templates, err := templatesOf(resp["template"], l, path+".response.template")
		if err != nil {
			return nil, err
		}
		out = []IntegrationResponse{
			{StatusCode: 200, SelectionPattern: "", ResponseParameters: params, ResponseTemplates: templates},
			{StatusCode: 400, SelectionPattern: "400", ResponseParameters: map[string]string{}, ResponseTemplates: map[string]string{}},
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StatusCode < out[j].StatusCode })
	return out, nil
}

func templatesOf(v any, l Lookup, path string) (map[string]string, error) {
	if v == nil {
		return map[string]string{}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &ResolveError{Path: path, Err: errors.New("want a map of content type to template")}
	}
	return templateMap(m, l, path)
}

func stringMap(v any, l Lookup, path string) (map[string]string, error) {
	out := map[string]string{}
	if v == nil {
		return out, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &ResolveError{Path: path, Err: errors.New("not a map")}
	}
	for _, k := range sortedKeys(m) {
		x, err := ResolveIntrinsics(m[k], l, path+"."+k)
		if err != nil {
			return nil, err
		}
		s, ok := coerceString(x)
		if !ok {
			return nil, &ResolveError{Path: path + "." + k, Err: errors.New("not a string")}
		}
		out[k] = s
	}
	return out, nil
}

// corsOf follows getCors: `cors: true` allows any origin with the default
// headers; a map sets origin(s), headers, methods, allowCredentials, maxAge.
// OPTIONS and the event's method are always among the methods.
func corsOf(http map[string]any, method, path string) (*CORS, error) {
	raw, has := http["cors"]
	if !has || raw == nil || raw == false {
		return nil, nil
	}
	c := &CORS{
		Origin:  "*",
		Headers: []string{"Content-Type", "X-Amz-Date", "Authorization", "X-Api-Key", "X-Amz-Security-Token", "X-Amz-User-Agent"},
		Methods: []string{"OPTIONS"},
	}
	m, isMap := raw.(map[string]any)
	if !isMap {
		c.Methods = append(c.Methods, method)
		return c, nil
	}
	origin, hasOrigin := m["origin"].(string)
	origins, hasOrigins := m["origins"].([]any)
	if hasOrigin && hasOrigins {
		return nil, &ResolveError{Path: path + ".cors", Err: errors.New(`use "origin" or "origins", not both`)}
	}
	// The plugin leaves the origin undefined here (and deploys the string
	// 'undefined'); the preflight falls back to '*', which both use here.
	if hasOrigin {
		c.Origin = origin
	}
	if len(origins) > 0 {
		parts := make([]string, 0, len(origins))
		for _, o := range origins {
			parts = append(parts, str(o))
		}
		c.Origin = strings.Join(parts, ",")
	}
	if h, has := m["headers"]; has {
		l, ok := h.([]any)
		if !ok {
			return nil, &ResolveError{Path: path + ".cors.headers", Err: errors.New("CORS header values must be a list")}
		}
		c.Headers = nil
		for _, x := range l {
			c.Headers = append(c.Headers, str(x))
		}
	}
	c.Methods = nil
	if l, ok := m["methods"].([]any); ok {
		for _, x := range l {
			c.Methods = append(c.Methods, str(x))
		}
	}
	if !contains(c.Methods, "OPTIONS") {
		c.Methods = append(c.Methods, "OPTIONS")
	}
	if !contains(c.Methods, method) {
		c.Methods = append(c.Methods, method)
	}
	c.AllowCredentials = m["allowCredentials"] == true
	if v, has := m["maxAge"]; has {
		n, ok := toInt(v)
		if !ok || n <= 0 {
			return nil, &ResolveError{Path: path + ".cors.maxAge", Err: errors.New("maxAge should be an integer over 0")}
		}
		c.MaxAge = n
	}
	return c, nil
}

func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		if n == float64(int(n)) {
			return int(n), true
		}
	case string:
		i, err := strconv.Atoi(n)
		return i, err == nil
	}
	return 0, false
}

func union(a, b []string) []string {
	var out []string
	for _, x := range append(append([]string(nil), a...), b...) {
		if !contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// GatewayResponse is an AWS::ApiGateway::GatewayResponse of
// resources.Resources: how API Gateway answers its own errors.
type GatewayResponse struct {
	ResponseType string
	// StatusCode overrides the type's default status; 0 keeps it.
	StatusCode int
	// ResponseParameters maps "gatewayresponse.header.X" to a source,
	// usually a quoted literal.
	ResponseParameters map[string]string
	// ResponseTemplates maps a content type to its VTL.
	ResponseTemplates map[string]string
}

// GatewayResponses returns the stack's gateway responses by ResponseType.
func (s *Service) GatewayResponses(l Lookup) (map[string]GatewayResponse, error) {
	lookup := s.PseudoLookup(l)
	out := map[string]GatewayResponse{}
	res, _ := s.Config["resources"].(map[string]any)
	resources, _ := res["Resources"].(map[string]any)
	for _, id := range sortedKeys(resources) {
		r, ok := resources[id].(map[string]any)
		if !ok || r["Type"] != "AWS::ApiGateway::GatewayResponse" {
			continue
		}
		path := "resources.Resources." + id + ".Properties"
		props, _ := r["Properties"].(map[string]any)
		typ, ok := props["ResponseType"].(string)
		if !ok || typ == "" {
			return nil, &ResolveError{Path: path + ".ResponseType", Err: errors.New("missing")}
		}
		gr := GatewayResponse{ResponseType: typ}
		if sc, has := props["StatusCode"]; has {
			code, ok := toInt(sc)
			if !ok || code < 100 || code > 599 {
				return nil, &ResolveError{Path: path + ".StatusCode", Err: fmt.Errorf("invalid status code %v", sc)}
			}
			gr.StatusCode = code
		}
		var err error
		if gr.ResponseParameters, err = stringMap(props["ResponseParameters"], lookup, path+".ResponseParameters"); err != nil {
			return nil, err
		}
		if gr.ResponseTemplates, err = templatesOf(props["ResponseTemplates"], lookup, path+".ResponseTemplates"); err != nil {
			return nil, err
		}
		if _, dup := out[typ]; dup {
			return nil, &ResolveError{Path: path + ".ResponseType", Err: fmt.Errorf("%s is defined twice", typ)}
		}
		out[typ] = gr
	}
	return out, nil
}
