package apigw_test

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/apigw"
	"github.com/asyncjobs/stepjobs/internal/auth"
	"github.com/asyncjobs/stepjobs/internal/offline/devissuer"
)

func policy(effect string, resources ...string) events.APIGatewayCustomAuthorizerResponse {
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: "user-1",
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{{Action: []string{"execute-api:Invoke"}, Effect: effect, Resource: resources}}},
		Context: map[string]any{"ownerPrefix": "0123456789abcdef"},
	}
}

func TestEvaluate(t *testing.T) {
	const arn = "arn:aws:execute-api:us-east-1:123456789012:api1/dev/POST/describe-execution"
	stage := "arn:aws:execute-api:us-east-1:123456789012:api1/dev/*/*"
	both := policy("Allow", stage)
	both.PolicyDocument.Statement = append(both.PolicyDocument.Statement, events.IAMPolicyStatement{
		Action: []string{"execute-api:*"}, Effect: "Deny", Resource: []string{"arn:aws:execute-api:*:*:api1/dev/POST/*"}})
	otherAction := policy("Allow", stage)
	otherAction.PolicyDocument.Statement[0].Action = []string{"execute-api:ManageConnections"}
	badContext := policy("Allow", stage)
	badContext.Context["claims"] = map[string]any{"nested": true}
	cases := []struct {
		name string
		resp events.APIGatewayCustomAuthorizerResponse
		err  error
		want apigw.Decision
	}{
		{"allow the stage", policy("Allow", stage), nil,
			apigw.Decision{Allowed: true, Context: map[string]any{"principalId": "user-1", "ownerPrefix": "0123456789abcdef"}}},
		{"allow exactly this method", policy("Allow", arn), nil,
			apigw.Decision{Allowed: true, Context: map[string]any{"principalId": "user-1", "ownerPrefix": "0123456789abcdef"}}},
		{"allow with ?", policy("Allow", "arn:aws:execute-api:us-east-1:123456789012:api1/de?/POST/*"), nil,
			apigw.Decision{Allowed: true, Context: map[string]any{"principalId": "user-1", "ownerPrefix": "0123456789abcdef"}}},
		{"allow another route only", policy("Allow", "arn:aws:execute-api:us-east-1:123456789012:api1/dev/GET/*"), nil,
			apigw.Decision{Status: 403, ResponseType: "ACCESS_DENIED", Message: apigw.MessageNotAllowed}},
		{"allow another stage only", policy("Allow", "arn:aws:execute-api:us-east-1:123456789012:api1/prod/*/*"), nil,
			apigw.Decision{Status: 403, ResponseType: "ACCESS_DENIED", Message: apigw.MessageNotAllowed}},
		{"deny", policy("Deny", stage), nil,
			apigw.Decision{Status: 403, ResponseType: "ACCESS_DENIED", Message: apigw.MessageDenied}},
		{"an explicit deny wins over an allow", both, nil,
			apigw.Decision{Status: 403, ResponseType: "ACCESS_DENIED", Message: apigw.MessageDenied}},
		{"another action does not allow Invoke", otherAction, nil,
			apigw.Decision{Status: 403, ResponseType: "ACCESS_DENIED", Message: apigw.MessageNotAllowed}},
		{"Unauthorized error", events.APIGatewayCustomAuthorizerResponse{}, errors.New("Unauthorized"),
			apigw.Decision{Status: 401, ResponseType: "UNAUTHORIZED", Message: "Unauthorized"}},
		{"any other error", events.APIGatewayCustomAuthorizerResponse{}, errors.New("Unauthorized: expired"),
			apigw.Decision{Status: 500, ResponseType: "AUTHORIZER_FAILURE"}},
		{"no principal", func() events.APIGatewayCustomAuthorizerResponse {
			r := policy("Allow", stage)
			r.PrincipalID = ""
			return r
		}(), nil,
			apigw.Decision{Status: 500, ResponseType: "AUTHORIZER_CONFIGURATION_ERROR", Message: "the authorizer answered no principalId"}},
		{"no statement", events.APIGatewayCustomAuthorizerResponse{PrincipalID: "u"}, nil,
			apigw.Decision{Status: 500, ResponseType: "AUTHORIZER_CONFIGURATION_ERROR", Message: "the authorizer answered no policy statement"}},
		{"nested context", badContext, nil,
			apigw.Decision{Status: 500, ResponseType: "AUTHORIZER_CONFIGURATION_ERROR", Message: `context value "claims" is a map[string]interface {}: only strings, numbers and booleans are allowed`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, apigw.Evaluate(tc.resp, tc.err, arn))
		})
	}
}

// TestEvaluateTheAuthorizersOwnAnswers: what the service's authorizer
// (package auth) answers, API Gateway turns into allow, 401 and 403.
func TestEvaluateTheAuthorizersOwnAnswers(t *testing.T) {
	const methodARN = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/dev/POST/describe-execution"
	now := time.Date(2026, time.November, 23, 22, 0, 0, 0, time.UTC)
	d, err := devissuer.New("https://issuer.example.com", "stepjobs-api")
	require.NoError(t, err)
	v, err := auth.NewVerifier(d.Config(), d.Keyfunc(), auth.WithClock(func() time.Time { return now }))
	require.NoError(t, err)
	a := auth.NewAuthorizer(v)
	token, err := d.Mint("user-1", 0, map[string]any{"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	assert.NoError(t, err)
	for _, route := range []string{"POST/start-execution", "POST/describe-execution", "POST/stop-execution", "GET/jobs/x-1/result"} {
		arn := "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/dev/" + route
		resp, err := a.Handle(t.Context(), events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: "Bearer " + token, MethodArn: methodARN})
		got := apigw.Evaluate(resp, err, arn)
		assert.True(t, got.Allowed, "a policy cached from one route allows %s", route)
		assert.Equal(t, "user-1", got.Context["principalId"])
		assert.Len(t, got.Context["ownerPrefix"], auth.OwnerPrefixLen)

		resp, err = a.Handle(t.Context(), events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: "", MethodArn: arn})
		assert.Equal(t, 401, apigw.Evaluate(resp, err, arn).Status)
		resp, err = a.Handle(t.Context(), events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: "Bearer x.y.z", MethodArn: arn})
		assert.Equal(t, apigw.Decision{Status: 403, ResponseType: "ACCESS_DENIED", Message: apigw.MessageDenied}, apigw.Evaluate(resp, err, arn))
	}
}

// FuzzEvaluate: any pattern terminates, and a pattern without wildcards,
// or any text, matches itself.
func FuzzEvaluate(f *testing.F) {
	f.Add("arn:aws:execute-api:us-east-1:1:api/dev/*/*", "arn:aws:execute-api:us-east-1:1:api/dev/GET/a")
	f.Add("*?*?*a", "ab")
	f.Fuzz(func(t *testing.T, pattern, arn string) {
		_ = apigw.Evaluate(policy("Allow", pattern), nil, arn)
		assert.True(t, apigw.Evaluate(policy("Allow", arn), nil, arn).Allowed, "%q matches itself", arn)
		assert.True(t, apigw.Evaluate(policy("Allow", "*"), nil, arn).Allowed)
	})
}
