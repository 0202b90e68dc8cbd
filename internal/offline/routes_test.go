package offline

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/asyncjobs/stepjobs/internal/apigw"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
)

func TestGatewayRoutes(t *testing.T) {
	schema := []byte(`{"type":"object"}`)
	responses := []slsconfig.IntegrationResponse{
		{StatusCode: 200, ResponseParameters: map[string]string{"method.response.header.X": "'x'"},
			ResponseTemplates: map[string]string{"application/json": "$input.body"}},
		{StatusCode: 400, SelectionPattern: "4\\d\\d", ResponseParameters: map[string]string{}, ResponseTemplates: map[string]string{}},
	}
	wantResponses := []apigw.IntegrationResponse{
		{StatusCode: 200, ResponseParameters: map[string]string{"method.response.header.X": "'x'"},
			ResponseTemplates: map[string]string{"application/json": "$input.body"}},
		{StatusCode: 400, SelectionPattern: "4\\d\\d", ResponseParameters: map[string]string{}, ResponseTemplates: map[string]string{}},
	}
	tests := []struct {
		name string
		in   slsconfig.Route
		want apigw.Route
	}{
		{
			name: "state machine route",
			in: slsconfig.Route{StateMachine: "jobs", Method: "POST", Path: "/jobs", Integration: slsconfig.IntegrationAWS,
				Action: "StartExecution", PassthroughBehavior: slsconfig.PassthroughNever,
				RequestTemplates: map[string]string{"application/json": "{}"}, Responses: responses,
				CORS: &slsconfig.CORS{Origin: "*"}, RequestSchemas: map[string][]byte{"application/json": schema},
				TimeoutMillis: 1500},
			want: apigw.Route{Method: "POST", Path: "/jobs", Integration: apigw.IntegrationAWS,
				Action: "StartExecution", PassthroughBehavior: apigw.PassthroughNever,
				RequestTemplates: map[string]string{"application/json": "{}"}, Responses: wantResponses,
				RequestSchemas: map[string][]byte{"application/json": schema}, Timeout: 1500 * time.Millisecond},
		},
		{
			name: "an action without templates",
			in: slsconfig.Route{StateMachine: "jobs", Method: "POST", Path: "/describe", Integration: slsconfig.IntegrationAWS,
				Action: "DescribeExecution", PassthroughBehavior: slsconfig.PassthroughWhenNoTemplates,
				RequestTemplates: map[string]string{}, TimeoutMillis: slsconfig.DefaultTimeoutMillis},
			want: apigw.Route{Method: "POST", Path: "/describe", Integration: apigw.IntegrationAWS,
				Action: "DescribeExecution", PassthroughBehavior: apigw.PassthroughWhenNoTemplates,
				RequestTemplates: map[string]string{}, Timeout: apigw.DefaultTimeout},
		},
		{
			name: "function route with a TOKEN authorizer",
			in: slsconfig.Route{Function: "jobResult", Method: "GET", Path: "/jobs/{jobId}/result",
				Integration: slsconfig.IntegrationLambdaProxy, PassthroughBehavior: slsconfig.PassthroughWhenNoMatch,
				Authorizer: &slsconfig.Authorizer{Name: "auth", Type: "TOKEN", Function: "authorizer",
					IdentitySource: slsconfig.DefaultIdentitySource, ResultTTLSeconds: 60}},
			want: apigw.Route{Function: "jobResult", Method: "GET", Path: "/jobs/{jobId}/result",
				Integration: apigw.IntegrationAWSProxy, PassthroughBehavior: apigw.PassthroughWhenNoMatch,
				Authorizer: &apigw.Authorizer{Name: "auth", Type: "TOKEN", Function: "authorizer",
					IdentitySource: "method.request.header.Authorization", ResultTTL: time.Minute}},
		},
		{
			name: "private route with an IAM authorizer",
			in: slsconfig.Route{StateMachine: "jobs", Method: "ANY", Path: "/{proxy+}", Integration: slsconfig.IntegrationAWS,
				Private: true, Authorizer: &slsconfig.Authorizer{Type: "AWS_IAM"}},
			want: apigw.Route{Method: "ANY", Path: "/{proxy+}", Integration: apigw.IntegrationAWS,
				APIKeyRequired: true, Authorizer: &apigw.Authorizer{Type: "AWS_IAM"}},
		},
		{
			name: "CORS preflight",
			in: slsconfig.Route{Method: "OPTIONS", Path: "/jobs", Integration: slsconfig.IntegrationMock,
				PassthroughBehavior: slsconfig.PassthroughWhenNoMatch,
				RequestTemplates:    map[string]string{"application/json": "{statusCode:200}"},
				Responses:           responses[:1], CORS: &slsconfig.CORS{Origin: "*", Methods: []string{"OPTIONS", "POST"}},
				TimeoutMillis: slsconfig.DefaultTimeoutMillis},
			want: apigw.Route{Method: "OPTIONS", Path: "/jobs", Integration: apigw.IntegrationMock,
				PassthroughBehavior: apigw.PassthroughWhenNoMatch,
				RequestTemplates:    map[string]string{"application/json": "{statusCode:200}"},
				Responses:           wantResponses[:1], Timeout: apigw.DefaultTimeout},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			routes, _ := GatewayRoutes([]slsconfig.Route{tc.in}, nil)
			assert.Equal(t, []apigw.Route{tc.want}, routes)
		})
	}
}

func TestGatewayRoutesGatewayResponses(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]slsconfig.GatewayResponse
		want map[string]apigw.GatewayResponse
	}{
		{name: "none", in: nil, want: map[string]apigw.GatewayResponse{}},
		{
			name: "by response type",
			in: map[string]slsconfig.GatewayResponse{
				"DEFAULT_4XX": {ResponseType: "DEFAULT_4XX",
					ResponseParameters: map[string]string{"gatewayresponse.header.X": "'x'"},
					ResponseTemplates:  map[string]string{"application/json": `{"message":$context.error.messageString}`}},
				"UNSUPPORTED_MEDIA_TYPE": {ResponseType: "UNSUPPORTED_MEDIA_TYPE", StatusCode: 400},
			},
			want: map[string]apigw.GatewayResponse{
				"DEFAULT_4XX": {ResponseParameters: map[string]string{"gatewayresponse.header.X": "'x'"},
					ResponseTemplates: map[string]string{"application/json": `{"message":$context.error.messageString}`}},
				"UNSUPPORTED_MEDIA_TYPE": {StatusCode: 400},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			routes, got := GatewayRoutes(nil, tc.in)
			assert.Empty(t, routes)
			assert.Equal(t, tc.want, got)
		})
	}
}
