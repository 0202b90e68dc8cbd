package main

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/auth"
	"github.com/asyncjobs/stepjobs/internal/job/jobtest"
	"github.com/asyncjobs/stepjobs/internal/offline/devissuer"
)

func TestMain(m *testing.M) { jobtest.Main(m, main, nil) }

const methodARN = "arn:aws:execute-api:us-east-1:123456789012:api1/dev/POST/start-execution"

func env(t *testing.T, extra map[string]string) map[string]string {
	e := map[string]string{"HOME": t.TempDir(), "LOG_LEVEL": "debug"}
	for k, v := range extra {
		e[k] = v
	}
	return e
}

func request(token string) string {
	b, _ := json.Marshal(events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: token, MethodArn: methodARN})
	return string(b)
}

func TestFunction(t *testing.T) {
	dev, err := devissuer.New("https://issuer.test", "stepjobs")
	require.NoError(t, err)
	jwks := httptest.NewServer(dev)
	t.Cleanup(jwks.Close)
	fn := jobtest.StartFunction(t, env(t, map[string]string{
		"ISSUER": "https://issuer.test", "AUDIENCE": "stepjobs", "JWKS_URL": jwks.URL + auth.JWKSPath, "OWNER_KEY": "k"}))

	token, err := dev.Mint("user-7", time.Hour, nil)
	require.NoError(t, err)
	resp, err := fn.Invoke(t.Context(), request("Bearer "+token))
	require.NoError(t, err)
	require.Empty(t, resp.ErrorType, resp.ErrorMessage)
	var out events.APIGatewayCustomAuthorizerResponse
	require.NoError(t, json.Unmarshal(resp.Payload, &out))
	assert.Equal(t, "user-7", out.PrincipalID)
	assert.Equal(t, "Allow", out.PolicyDocument.Statement[0].Effect)
	assert.Equal(t, auth.OwnerPrefix([]byte("k"), "https://issuer.test", "user-7"), out.Context["ownerPrefix"])

	resp, err = fn.Invoke(t.Context(), request("Bearer "+token+"x"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(resp.Payload, &out))
	assert.Equal(t, "Deny", out.PolicyDocument.Statement[0].Effect)

	resp, err = fn.Invoke(t.Context(), request(""))
	require.NoError(t, err)
	assert.Equal(t, "Unauthorized", resp.ErrorMessage, "API Gateway answers 401 for this exact message")
}

func TestDisabled(t *testing.T) {
	fn := jobtest.StartFunction(t, env(t, map[string]string{"AUTH_DISABLED": "true"}))
	resp, err := fn.Invoke(t.Context(), request(""))
	require.NoError(t, err)
	var out events.APIGatewayCustomAuthorizerResponse
	require.NoError(t, json.Unmarshal(resp.Payload, &out))
	assert.Equal(t, auth.AnonymousPrincipal, out.PrincipalID)
	assert.Equal(t, "Allow", out.PolicyDocument.Statement[0].Effect)
}

func TestMissingConfiguration(t *testing.T) {
	fn := jobtest.StartFunction(t, env(t, nil))
	out, code, err := fn.Wait(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "ISSUER and AUDIENCE are required")
}
