package slsconfig

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ServiceDynamoDB is the Service of a route whose AWS integration calls
// DynamoDB (Uri arn:...:apigateway:<region>:dynamodb:action/<Action>).
const ServiceDynamoDB = "dynamodb"

// dynamoDBAction finds the action of a DynamoDB integration Uri, wherever
// the Uri's Fn::Sub or Fn::Join puts the text.
var dynamoDBAction = regexp.MustCompile(`:dynamodb:action/([A-Za-z]+)`)

// methodRoutes reads the AWS::ApiGateway::Method resources of resources/
// whose integration is a DynamoDB action (serverless-step-functions and the
// Framework have no such integration, so the stack declares them raw).
// Their ResourceId must Ref a resource the Framework generates for the
// other routes' paths, and their AuthorizerId the Framework's authorizer of
// one of those routes: the local runtime knows paths and authorizers only
// from the routes. Other raw methods are not served locally and are left out.
func (s *Service) methodRoutes(others []Route, l Lookup, providerTimeout int) ([]Route, error) {
	res, _ := s.Config["resources"].(map[string]any)
	resources, _ := res["Resources"].(map[string]any)
	paths := map[string]string{}
	authorizers := map[string]*Authorizer{}
	for _, r := range others {
		parts := strings.Split(strings.Trim(r.Path, "/"), "/")
		for i := range parts {
			p := strings.Join(parts[:i+1], "/")
			paths[ResourceLogicalID(p)] = "/" + p
		}
		if a := r.Authorizer; a != nil {
			authorizers[normalizePathPart(a.Name)+"ApiGatewayAuthorizer"] = a
		}
	}
	var out []Route
	for _, id := range sortedKeys(resources) {
		r, _ := resources[id].(map[string]any)
		if r["Type"] != "AWS::ApiGateway::Method" {
			continue
		}
		path := "resources.Resources." + id + ".Properties"
		props, _ := r["Properties"].(map[string]any)
		integ, _ := props["Integration"].(map[string]any)
		m := dynamoDBAction.FindStringSubmatch(fmt.Sprint(integ["Uri"]))
		if str(integ["Type"]) != IntegrationAWS || m == nil {
			continue
		}
		rt := Route{Service: ServiceDynamoDB, Action: m[1], Integration: IntegrationAWS,
			PassthroughBehavior: cmp.Or(str(integ["PassthroughBehavior"]), PassthroughWhenNoMatch)}
		var err error
		if rt.Method, err = httpMethod(str(props["HttpMethod"]), path); err != nil {
			return nil, err
		}
		ref, _ := props["ResourceId"].(map[string]any)
		if rt.Path = paths[str(ref["Ref"])]; rt.Path == "" {
			return nil, &ResolveError{Path: path + ".ResourceId", Err: fmt.Errorf("Ref %v: not a resource of the service's http routes", ref["Ref"])}
		}
		if str(props["AuthorizationType"]) == "CUSTOM" {
			ref, _ := props["AuthorizerId"].(map[string]any)
			if rt.Authorizer = authorizers[str(ref["Ref"])]; rt.Authorizer == nil {
				return nil, &ResolveError{Path: path + ".AuthorizerId", Err: fmt.Errorf("Ref %v: not an authorizer of the service's http routes", ref["Ref"])}
			}
		}
		templates, _ := integ["RequestTemplates"].(map[string]any)
		if rt.RequestTemplates, err = templateMap(templates, l, path+".Integration.RequestTemplates"); err != nil {
			return nil, err
		}
		if rt.Responses, err = rawIntegrationResponses(integ["IntegrationResponses"], l, path+".Integration.IntegrationResponses"); err != nil {
			return nil, err
		}
		ms, _ := toInt(integ["TimeoutInMillis"])
		rt.TimeoutMillis = cmp.Or(ms, providerTimeout, DefaultTimeoutMillis)
		out = append(out, rt)
	}
	return out, nil
}

// rawIntegrationResponses reads CloudFormation's IntegrationResponses list.
func rawIntegrationResponses(raw any, l Lookup, path string) ([]IntegrationResponse, error) {
	list, _ := raw.([]any)
	out := make([]IntegrationResponse, 0, len(list))
	for i, item := range list {
		p := path + "." + strconv.Itoa(i)
		v, _ := item.(map[string]any)
		codeText, _ := coerceString(v["StatusCode"])
		code, err := strconv.Atoi(codeText)
		if err != nil || code < 100 || code > 599 {
			return nil, &ResolveError{Path: p + ".StatusCode", Err: errors.New("missing or invalid status code")}
		}
		pattern, _ := coerceString(v["SelectionPattern"])
		params, err := stringMap(v["ResponseParameters"], l, p+".ResponseParameters")
		if err != nil {
			return nil, err
		}
		templates, err := templatesOf(v["ResponseTemplates"], l, p+".ResponseTemplates")
		if err != nil {
			return nil, err
		}
		out = append(out, IntegrationResponse{StatusCode: code, SelectionPattern: pattern, ResponseParameters: params, ResponseTemplates: templates})
	}
	return out, nil
}

// normalizePathPart is the Framework's naming of one path part in logical
// IDs (lib/plugins/aws/lib/naming.js normalizePathPart): "start-execution"
// is StartDashexecution, "{jobId}" JobidVar.
func normalizePathPart(part string) string {
	s := strings.ToLower(part)
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	s = strings.ReplaceAll(s, "-", "Dash")
	s = varPart.ReplaceAllString(s, "${1}Var")
	s = nonAlnum.ReplaceAllString(s, "")
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

var (
	varPart  = regexp.MustCompile(`\{(.*)\}`)
	nonAlnum = regexp.MustCompile(`[^0-9A-Za-z]`)
)

// ResourceLogicalID is the logical ID the Framework gives the API Gateway
// resource of path ("jobs/{jobId}": ApiGatewayResourceJobsJobidVar), which a
// raw method's ResourceId refers to.
func ResourceLogicalID(path string) string {
	return "ApiGatewayResource" + normalizePath(strings.Trim(path, "/"))
}

// normalizePath joins the normalized parts of a path without its slashes.
func normalizePath(p string) string {
	var b strings.Builder
	for _, part := range strings.Split(p, "/") {
		b.WriteString(normalizePathPart(part))
	}
	return b.String()
}
