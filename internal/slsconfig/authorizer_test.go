package slsconfig

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const authDoc = `
service: authz
custom:
  authorizer:
    name: authorizer
    type: TOKEN
    arn:
      Fn::GetAtt: [AuthorizerLambdaFunction, Arn]
    identitySource: method.request.header.Authorization
    resultTtlInSeconds: 60
functions:
  authorizer:
    handler: bootstrap
  jobResult:
    handler: bootstrap
    events:
      - http:
          path: jobs/{jobId}/result
          method: get
          integration: lambda-proxy
          authorizer: ${self:custom.authorizer}
  statusUpdate:
    handler: bootstrap
    events:
      - eventBridge:
          pattern:
            source: [aws.states]
            detail:
              status: [ABORTED]
              stateMachineArn:
                - Ref: Jobs
          inputTransformer:
            inputPathsMap:
              name: $.detail.name
            inputTemplate: '{"jobId": <name>}'
stepFunctions:
  stateMachines:
    jobs:
      id: Jobs
      definition: {StartAt: A, States: {A: {Type: Pass, End: true}}}
      events:
        - http:
            path: start
            method: POST
            action: StartExecution
            authorizer: authorizer
            request:
              schemas:
                application/json:
                  $schema: http://json-schema.org/draft-04/schema#
                  type: object
                application/xml:
                  schema: {type: string}
        - http:
            path: open
            method: POST
            authorizer: aws_iam
`

func TestRoutesAuthorizersSchemasAndFunctions(t *testing.T) {
	svc, err := Parse([]byte(authDoc), Options{Dir: ".", Env: noEnv})
	require.NoError(t, err)
	routes, err := svc.Routes(MapLookup{Refs: map[string]string{"Jobs": "arn:jobs"}})
	require.NoError(t, err)
	byKey := map[string]Route{}
	for _, r := range routes {
		byKey[r.Method+" "+r.Path] = r
	}
	require.Len(t, byKey, 3)

	res := byKey["GET /jobs/{jobId}/result"]
	assert.Equal(t, IntegrationLambdaProxy, res.Integration)
	assert.Equal(t, "jobResult", res.Function)
	assert.Equal(t, &Authorizer{Name: "authorizer", Type: "TOKEN", Function: "authorizer",
		IdentitySource: DefaultIdentitySource, ResultTTLSeconds: 60}, res.Authorizer)

	start := byKey["POST /start"]
	assert.Equal(t, &Authorizer{Name: "authorizer", Type: "TOKEN", Function: "authorizer",
		IdentitySource: DefaultIdentitySource, ResultTTLSeconds: 300}, start.Authorizer, "a function key as the authorizer")
	assert.JSONEq(t, `{"$schema":"http://json-schema.org/draft-04/schema#","type":"object"}`, string(start.RequestSchemas["application/json"]))
	assert.JSONEq(t, `{"type":"string"}`, string(start.RequestSchemas["application/xml"]), "the {schema: ...} form")

	open := byKey["POST /open"]
	assert.Equal(t, &Authorizer{Type: "AWS_IAM"}, open.Authorizer)

	fns, err := svc.AuthorizerFunctions()
	require.NoError(t, err)
	assert.Equal(t, []string{"authorizer"}, fns)

	rules, err := svc.EventRules(MapLookup{Refs: map[string]string{"Jobs": "arn:jobs"}})
	require.NoError(t, err)
	require.Len(t, rules, 1)
	assert.Equal(t, EventRule{Function: "statusUpdate",
		Pattern: map[string]any{"source": []any{"aws.states"},
			"detail": map[string]any{"status": []any{"ABORTED"}, "stateMachineArn": []any{"arn:jobs"}}},
		InputPathsMap: map[string]string{"name": "$.detail.name"}, InputTemplate: `{"jobId": <name>}`, RetryAttempts: 2}, rules[0])
}

func TestRoutesRefuseWhatIsNotServed(t *testing.T) {
	tests := map[string]string{
		"lambda integration":  "functions:\n  f:\n    handler: x\n    events:\n      - http: {path: a, method: get, integration: lambda}\n",
		"bad ttl":             "functions:\n  f:\n    handler: x\n    events:\n      - http: {path: a, method: get, authorizer: {name: f, resultTtlInSeconds: -1}}\n",
		"schema not a map":    "functions:\n  f:\n    handler: x\n    events:\n      - http: {path: a, method: get, request: {schemas: 3}}\n",
		"schema text no json": "functions:\n  f:\n    handler: x\n    events:\n      - http: {path: a, method: get, request: {schemas: {application/json: 'nope'}}}\n",
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			svc, err := Parse([]byte("service: s\n"+doc), Options{Dir: ".", Env: noEnv})
			require.NoError(t, err)
			_, err = svc.Routes(MapLookup{})
			var re *ResolveError
			assert.ErrorAs(t, err, &re)
		})
	}
	svc, err := Parse([]byte("service: s\nfunctions:\n  f:\n    handler: x\n    events:\n      - eventBridge: {schedule: rate(1 minute)}\n"), Options{Dir: ".", Env: noEnv})
	require.NoError(t, err)
	_, err = svc.EventRules(MapLookup{})
	var re *ResolveError
	assert.ErrorAs(t, err, &re)
}
