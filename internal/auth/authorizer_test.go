package auth_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/auth"
	"github.com/asyncjobs/stepjobs/internal/offline/devissuer"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const methodARN = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/dev/POST/describe-execution"

// golden compares got (JSON) with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		var buf bytes.Buffer
		require.NoError(t, json.Indent(&buf, got, "", "  "))
		require.NoError(t, os.WriteFile(path, append(buf.Bytes(), '\n'), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
}

func devVerifier(t *testing.T) (*devissuer.Issuer, *auth.Verifier) {
	t.Helper()
	d, err := devissuer.New(issuer, audience)
	require.NoError(t, err)
	v, err := auth.NewVerifier(d.Config(), d.Keyfunc(), auth.WithClock(clock))
	require.NoError(t, err)
	return d, v
}

// invoke runs the authorizer through aws-lambda-go's JSON round trip, as
// Lambda does, and returns the response JSON or the error message.
func invoke(t *testing.T, a *auth.Authorizer, token, arn string) ([]byte, error) {
	t.Helper()
	in, err := json.Marshal(events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: token, MethodArn: arn})
	require.NoError(t, err)
	ctx := lambdacontext.NewContext(t.Context(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	out, err := lambda.NewHandler(a.Handle).Invoke(ctx, in)
	return bytes.Clone(out), err
}

func TestAuthorizer(t *testing.T) {
	d, v := devVerifier(t)
	var logs bytes.Buffer
	a := auth.NewAuthorizer(v, auth.WithOwnerKey([]byte("secret")),
		auth.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	valid, err := d.Mint("user-1", time.Hour, map[string]any{
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(), "scope": "jobs"})
	require.NoError(t, err)
	expired, err := d.Mint("user-1", time.Hour, map[string]any{"exp": now.Add(-time.Hour).Unix(), "iat": now.Add(-2 * time.Hour).Unix(), "nbf": nil})
	require.NoError(t, err)

	t.Run("valid token: allow every route of the stage", func(t *testing.T) {
		out, err := invoke(t, a, "Bearer "+valid, methodARN)
		require.NoError(t, err)
		golden(t, "allow.json", out)
		var resp events.APIGatewayCustomAuthorizerResponse
		require.NoError(t, json.Unmarshal(out, &resp))
		for k, v := range resp.Context {
			assert.IsType(t, "", v, "context value %s must be a flat string", k)
		}
		assert.Equal(t, auth.OwnerPrefix([]byte("secret"), issuer, "user-1"), resp.Context["ownerPrefix"])
	})
	t.Run("bad token: deny (403)", func(t *testing.T) {
		out, err := invoke(t, a, "Bearer "+expired, methodARN)
		require.NoError(t, err)
		golden(t, "deny.json", out)
	})
	t.Run("garbage token: deny", func(t *testing.T) {
		out, err := invoke(t, a, "Bearer not-a-jwt", methodARN)
		require.NoError(t, err)
		golden(t, "deny.json", out)
	})
	t.Run("other scheme: deny", func(t *testing.T) {
		out, err := invoke(t, a, "Basic dXNlcjpwYXNz", methodARN)
		require.NoError(t, err)
		golden(t, "deny.json", out)
	})
	for _, token := range []string{"", "Bearer", "Bearer  "} {
		t.Run("missing token "+token+": Unauthorized (401)", func(t *testing.T) {
			_, err := invoke(t, a, token, methodARN)
			require.Error(t, err)
			assert.Equal(t, "Unauthorized", err.Error(), "API Gateway answers 401 for exactly this message")
		})
	}
	t.Run("bad method ARN is an error, never a policy", func(t *testing.T) {
		_, err := invoke(t, a, "Bearer "+valid, "arn:aws:lambda:eu-west-1:123456789012:function:x")
		require.Error(t, err)
		assert.NotEqual(t, "Unauthorized", err.Error())
	})
	t.Run("logs carry the request id", func(t *testing.T) {
		lines := bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n"))
		require.NotEmpty(t, lines)
		for _, l := range lines {
			var m map[string]any
			require.NoError(t, json.Unmarshal(l, &m))
			assert.Equal(t, "req-1", m["requestId"], string(l))
		}
	})
}

func TestAuthorizerDisabled(t *testing.T) {
	a := auth.NewAuthorizer(nil)
	for _, token := range []string{"", "Bearer whatever"} {
		out, err := invoke(t, a, token, methodARN)
		require.NoError(t, err)
		golden(t, "disabled.json", out)
	}
}

func TestStageResource(t *testing.T) {
	cases := []struct{ arn, want string }{
		{methodARN, "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/dev/*/*"},
		{"arn:aws:execute-api:us-east-1:123456789012:api1/prod/GET/jobs/abc/result", "arn:aws:execute-api:us-east-1:123456789012:api1/prod/*/*"},
		{"arn:aws-cn:execute-api:cn-north-1:123456789012:api1/prod/GET/", "arn:aws-cn:execute-api:cn-north-1:123456789012:api1/prod/*/*"},
		{"arn:aws:execute-api:us-east-1:123456789012:api1/prod", "arn:aws:execute-api:us-east-1:123456789012:api1/prod/*/*"},
		{"arn:aws:execute-api:us-east-1:123456789012:api1", ""},
		{"arn:aws:execute-api:us-east-1:123456789012:/prod/GET/", ""},
		{"arn:aws:lambda:us-east-1:123456789012:function:f", ""},
		{"arn:aws:execute-api::123456789012:api1/prod/GET/", ""},
		{"", ""},
	}
	for _, tc := range cases {
		got, err := auth.StageResource(tc.arn)
		if tc.want == "" {
			assert.Error(t, err, tc.arn)
			continue
		}
		require.NoError(t, err, tc.arn)
		assert.Equal(t, tc.want, got)
	}
}

func FuzzStageResource(f *testing.F) {
	f.Add(methodARN)
	f.Add("arn:aws:execute-api:r:a:id/s")
	f.Fuzz(func(t *testing.T, arn string) {
		got, err := auth.StageResource(arn)
		if err == nil {
			require.Contains(t, got, ":execute-api:")
			require.True(t, len(got) > 4 && got[len(got)-4:] == "/*/*", got)
		}
	})
}

func TestOwnerPrefix(t *testing.T) {
	// Vectors computed independently (Python hmac/hashlib).
	assert.Equal(t, "46f97551b1fe03bf", auth.OwnerPrefix(nil, issuer, "user-1"))
	assert.Equal(t, "2d4f144195b4dd95", auth.OwnerPrefix([]byte("secret"), issuer, "user-1"))
	assert.Equal(t, "55d43c8c67214e33", auth.OwnerPrefix(nil, "", auth.AnonymousPrincipal))
	assert.Len(t, auth.OwnerPrefix(nil, "", ""), auth.OwnerPrefixLen)
	assert.NotEqual(t, auth.OwnerPrefix(nil, issuer, "user-2"), auth.OwnerPrefix(nil, issuer, "user-1"))
	assert.NotEqual(t, auth.OwnerPrefix(nil, "https://other", "user-1"), auth.OwnerPrefix(nil, issuer, "user-1"))
	// The separator keeps (iss, sub) pairs apart that concatenate alike.
	assert.NotEqual(t, auth.OwnerPrefix(nil, "ab", "c"), auth.OwnerPrefix(nil, "a", "bc"))
}

func TestDevIssuerServesItsJWKS(t *testing.T) {
	d, err := devissuer.New(issuer, audience)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle(auth.JWKSPath, d)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	// The dev token passes the real verifier fetching the JWKS over HTTP.
	v := newVerifier(t, auth.Config{Issuer: issuer, Audiences: []string{audience}}, srv.URL+auth.JWKSPath)
	tok, err := d.Mint("dev-user", time.Hour, map[string]any{"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	require.NoError(t, err)
	c, err := v.Verify(t.Context(), tok)
	require.NoError(t, err)
	assert.Equal(t, "dev-user", c.Subject)

	// Another dev issuer's token (another key, same kid scheme) is refused.
	other, err := devissuer.New(issuer, audience)
	require.NoError(t, err)
	forged, err := other.Mint("dev-user", time.Hour, map[string]any{"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	require.NoError(t, err)
	_, err = v.Verify(t.Context(), forged)
	assert.ErrorIs(t, err, auth.ErrInvalidToken)

	resp, err := http.Post(srv.URL+auth.JWKSPath, "text/plain", nil)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(d.JWKS(), &set))
	require.Len(t, set.Keys, 1)
	assert.Equal(t, "ES256", set.Keys[0]["alg"])
	assert.Equal(t, "EC", set.Keys[0]["kty"])
	assert.NotContains(t, set.Keys[0], "d", "the private part is never published")
}

func TestSettingsFromEnv(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		want    auth.Settings
		wantErr string
	}{
		{name: "issuer and audiences", env: map[string]string{"ISSUER": issuer, "AUDIENCE": " a, b ,", "OWNER_KEY": "k"},
			want: auth.Settings{Verifier: auth.Config{Issuer: issuer, Audiences: []string{"a", "b"}}, OwnerKey: []byte("k")}},
		{name: "jwks url and token use", env: map[string]string{"ISSUER": issuer, "AUDIENCE": "a", "JWKS_URL": "http://127.0.0.1:1/keys", "TOKEN_USE": "id"},
			want: auth.Settings{Verifier: auth.Config{Issuer: issuer, Audiences: []string{"a"}, JWKSURL: "http://127.0.0.1:1/keys", TokenUse: "id"}, OwnerKey: []byte{}}},
		{name: "disabled needs nothing else", env: map[string]string{"AUTH_DISABLED": "true"}, want: auth.Settings{Disabled: true, OwnerKey: []byte{}}},
		{name: "fails closed without issuer", env: map[string]string{"AUDIENCE": "a"}, wantErr: "ISSUER and AUDIENCE are required"},
		{name: "fails closed without audience", env: map[string]string{"ISSUER": issuer}, wantErr: "ISSUER and AUDIENCE are required"},
		{name: "disabled false still needs issuer", env: map[string]string{"AUTH_DISABLED": "false"}, wantErr: "ISSUER and AUDIENCE are required"},
		{name: "bad AUTH_DISABLED", env: map[string]string{"AUTH_DISABLED": "yes please"}, wantErr: "AUTH_DISABLED"},
		{name: "bad TOKEN_USE", env: map[string]string{"ISSUER": issuer, "AUDIENCE": "a", "TOKEN_USE": "refresh"}, wantErr: "token use"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := auth.SettingsFromEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	s, err := auth.SettingsFromEnv(func(k string) string { return map[string]string{"ISSUER": issuer + "/", "AUDIENCE": "a"}[k] })
	require.NoError(t, err)
	assert.Equal(t, issuer+auth.JWKSPath, s.JWKSURL())
}
