package apigw

import (
	"strings"
	"time"
)

// The gateway's own model of a REST API, in API Gateway's terms
// (AWS::ApiGateway::Method, Authorizer, GatewayResponse): whoever reads a
// deployment description (internal/offline from serverless.yml) converts it
// into these, so the gateway does not depend on how it was described.

// ServiceDynamoDB is the Service of a route whose AWS integration is a
// DynamoDB action (Uri arn:aws:apigateway:<region>:dynamodb:action/Query).
const ServiceDynamoDB = "dynamodb"

// IntegrationType is how a method reaches its backend (a method's
// Integration.Type).
type IntegrationType string

const (
	// IntegrationAWS calls an AWS action, here Step Functions' through
	// Config.Integration, with the rendered request template.
	IntegrationAWS IntegrationType = "AWS"
	// IntegrationMock answers from the integration responses alone, without
	// a backend (the CORS preflight).
	IntegrationMock IntegrationType = "MOCK"
	// IntegrationAWSProxy is a Lambda proxy: the function gets an
	// events.APIGatewayProxyRequest through Config.Lambda and its answer is
	// relayed.
	IntegrationAWSProxy IntegrationType = "AWS_PROXY"
)

// PassthroughBehavior is what a method does with a body whose content type
// has no request template.
type PassthroughBehavior string

const (
	// PassthroughNever refuses it (415).
	PassthroughNever PassthroughBehavior = "NEVER"
	// PassthroughWhenNoTemplates passes it through when the method has no
	// request templates at all, and refuses it otherwise.
	PassthroughWhenNoTemplates PassthroughBehavior = "WHEN_NO_TEMPLATES"
	// PassthroughWhenNoMatch passes it through.
	PassthroughWhenNoMatch PassthroughBehavior = "WHEN_NO_MATCH"
)

// DefaultTimeout is API Gateway's default (and maximum) integration
// timeout, used when a Route has none.
const DefaultTimeout = 29 * time.Second

// DefaultAccountID is $context.accountId when Config.AccountID is empty
// (the local runtime's account).
const DefaultAccountID = "000000000000"

// Route is one method of the API: an HTTP method on a resource path, with
// its integration.
type Route struct {
	// Method is upper case (GET, POST, ...); ANY matches every method
	// the path has no route of its own for.
	Method string
	// Path is the resource path with a leading slash, {param} parts and
	// at most a trailing greedy {param+}, e.g. "/jobs/{id}" ("/" for the
	// root).
	Path string
	// Integration is the integration type.
	Integration IntegrationType
	// Action is the action of an IntegrationAWS route: Step Functions'
	// (e.g. StartExecution), or DynamoDB's (e.g. Query) when Service is
	// ServiceDynamoDB.
	Action string
	// Service is the AWS service of an IntegrationAWS route: empty for
	// Step Functions (Config.Integration), ServiceDynamoDB for DynamoDB
	// (Config.DynamoDB).
	Service string
	// Function names the function of an IntegrationAWSProxy route to
	// Config.Lambda.
	Function string
	// PassthroughBehavior applies when no request template matches.
	PassthroughBehavior PassthroughBehavior
	// RequestTemplates maps a lower-case content type to its VTL; an
	// empty template passes the body through.
	RequestTemplates map[string]string
	// Responses are the integration responses.
	Responses []IntegrationResponse
	// Authorizer is the method's authorizer, nil when it has none.
	Authorizer *Authorizer
	// APIKeyRequired is set when AWS requires an API key; the key is not
	// checked locally, so neither is the route's authorizer.
	APIKeyRequired bool
	// RequestSchemas maps a content type to the JSON Schema (draft-04)
	// the request validator checks the body against before the
	// integration is called.
	RequestSchemas map[string][]byte
	// Timeout is the integration timeout; 0 means DefaultTimeout.
	Timeout time.Duration
}

// IntegrationResponse is one integration response of a method: how an
// integration's answer becomes the method's.
type IntegrationResponse struct {
	// StatusCode is the method's status.
	StatusCode int
	// SelectionPattern is a regular expression matched against the
	// integration's HTTP status, anchored at both ends; empty marks the
	// default response.
	SelectionPattern string
	// ResponseParameters maps "method.response.header.X" to a source:
	// a quoted literal ('value'), integration.response.body[.x] or
	// context.x.
	ResponseParameters map[string]string
	// ResponseTemplates maps a content type to its VTL; an empty template
	// passes the integration's body through.
	ResponseTemplates map[string]string
}

// Authorizer is a method's authorizer. Only a TOKEN authorizer reading a
// header is enforced locally (see Config.Lambda).
type Authorizer struct {
	// Name identifies it in logs.
	Name string
	// Type is TOKEN, REQUEST, COGNITO_USER_POOLS or AWS_IAM.
	Type string
	// Function names the authorizer's function to Config.Lambda.
	Function string
	// IdentitySource is where the token is read, e.g.
	// method.request.header.Authorization.
	IdentitySource string
	// ResultTTL is how long an answer is cached by token and applied to
	// every method (resultTtlInSeconds); 0 asks the function every time.
	ResultTTL time.Duration
}

// identityHeader is the request header the identity source names, or ""
// when it names none.
func (a *Authorizer) identityHeader() string {
	h, ok := strings.CutPrefix(a.IdentitySource, "method.request.header.")
	if !ok {
		return ""
	}
	return h
}

// GatewayResponse is how the gateway answers one type of its own errors
// (Config.GatewayResponses is keyed by response type, e.g. DEFAULT_4XX).
type GatewayResponse struct {
	// StatusCode overrides the type's default status; 0 keeps it.
	StatusCode int
	// ResponseParameters maps "gatewayresponse.header.X" to a source,
	// usually a quoted literal.
	ResponseParameters map[string]string
	// ResponseTemplates maps a content type to its VTL.
	ResponseTemplates map[string]string
}
