package offline

import (
	"time"

	"github.com/asyncjobs/stepjobs/internal/apigw"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
)

// GatewayRoutes converts the routes and gateway responses read from
// serverless.yml into the gateway's model. slsconfig spells integration
// types and passthrough behaviours as CloudFormation does, as apigw does,
// so those convert as they are; what apigw does not emulate (the state
// machine a route starts, which its template names; CORS settings, which
// the preflight routes carry as responses; an authorizer's cache TTL) is
// left behind.
func GatewayRoutes(routes []slsconfig.Route, responses map[string]slsconfig.GatewayResponse) ([]apigw.Route, map[string]apigw.GatewayResponse) {
	out := make([]apigw.Route, 0, len(routes))
	for _, r := range routes {
		gr := apigw.Route{
			Method: r.Method, Path: r.Path, Integration: apigw.IntegrationType(r.Integration),
			Action: r.Action, Service: r.Service, Function: r.Function,
			PassthroughBehavior: apigw.PassthroughBehavior(r.PassthroughBehavior),
			RequestTemplates:    r.RequestTemplates, APIKeyRequired: r.Private, RequestSchemas: r.RequestSchemas,
			Timeout: time.Duration(r.TimeoutMillis) * time.Millisecond,
		}
		for _, ir := range r.Responses {
			gr.Responses = append(gr.Responses, apigw.IntegrationResponse{StatusCode: ir.StatusCode,
				SelectionPattern: ir.SelectionPattern, ResponseParameters: ir.ResponseParameters, ResponseTemplates: ir.ResponseTemplates})
		}
		if a := r.Authorizer; a != nil {
			gr.Authorizer = &apigw.Authorizer{Name: a.Name, Type: a.Type, Function: a.Function, IdentitySource: a.IdentitySource,
				ResultTTL: time.Duration(a.ResultTTLSeconds) * time.Second}
		}
		out = append(out, gr)
	}
	gwResp := make(map[string]apigw.GatewayResponse, len(responses))
	for typ, r := range responses {
		gwResp[typ] = apigw.GatewayResponse{StatusCode: r.StatusCode,
			ResponseParameters: r.ResponseParameters, ResponseTemplates: r.ResponseTemplates}
	}
	return out, gwResp
}
