package slsconfig

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Framework's logical ID parts (lib/plugins/aws/lib/naming.js), as the
// generated template of this project has them.
func TestNormalizePath(t *testing.T) {
	for path, want := range map[string]string{
		"jobs":                 "Jobs",
		"jobs/{jobId}":         "JobsJobidVar",
		"jobs/{jobId}/result":  "JobsJobidVarResult",
		"start-execution":      "StartDashexecution",
		"a_b/{proxy+}":         "AbProxyVar",
		"describe-execution/x": "DescribeDashexecutionX",
	} {
		assert.Equal(t, want, normalizePath(path), path)
	}
}

// methodRoutes refuses a raw DynamoDB method it could not serve as
// deployed: on a resource or with an authorizer the routes do not have.
func TestMethodRoutesErrors(t *testing.T) {
	others := []Route{{Method: "GET", Path: "/jobs/{jobId}/result", Authorizer: &Authorizer{Name: "authorizer"}}}
	method := func(props map[string]any) *Service {
		base := map[string]any{
			"HttpMethod": "GET",
			"ResourceId": map[string]any{"Ref": "ApiGatewayResourceJobs"},
			"Integration": map[string]any{"Type": "AWS", "Uri": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:dynamodb:action/Query"},
				"RequestTemplates":     map[string]any{"application/json": "{}"},
				"IntegrationResponses": []any{map[string]any{"StatusCode": 200, "SelectionPattern": ""}}},
		}
		for k, v := range props {
			base[k] = v
		}
		return &Service{Config: map[string]any{"resources": map[string]any{"Resources": map[string]any{
			"M": map[string]any{"Type": "AWS::ApiGateway::Method", "Properties": base}}}}}
	}
	l := MapLookup{}
	routes, err := method(nil).methodRoutes(others, l, 0)
	require.NoError(t, err)
	require.Len(t, routes, 1)
	assert.Equal(t, Route{Method: "GET", Path: "/jobs", Integration: IntegrationAWS, Service: ServiceDynamoDB, Action: "Query",
		PassthroughBehavior: PassthroughWhenNoMatch, RequestTemplates: map[string]string{"application/json": "{}"},
		Responses:     []IntegrationResponse{{StatusCode: 200, ResponseParameters: map[string]string{}, ResponseTemplates: map[string]string{}}},
		TimeoutMillis: DefaultTimeoutMillis}, routes[0])

	for name, tc := range map[string]struct {
		props map[string]any
		want  string
	}{
		"unknown resource":   {map[string]any{"ResourceId": map[string]any{"Ref": "ApiGatewayResourceOther"}}, "ResourceId"},
		"unknown authorizer": {map[string]any{"AuthorizationType": "CUSTOM", "AuthorizerId": map[string]any{"Ref": "OtherAuthorizer"}}, "AuthorizerId"},
		"bad method":         {map[string]any{"HttpMethod": "FETCH"}, "method"},
		"bad status": {map[string]any{"Integration": map[string]any{"Type": "AWS", "Uri": "arn:aws:apigateway:us-east-1:dynamodb:action/GetItem",
			"IntegrationResponses": []any{map[string]any{"StatusCode": "abc"}}}}, "StatusCode"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := method(tc.props).methodRoutes(others, l, 0)
			assert.ErrorContains(t, err, tc.want)
		})
	}

	// A raw method of another integration is not served locally, and not an error.
	routes, err = method(map[string]any{"Integration": map[string]any{"Type": "MOCK"}}).methodRoutes(others, l, 0)
	require.NoError(t, err)
	assert.Empty(t, routes)
}
