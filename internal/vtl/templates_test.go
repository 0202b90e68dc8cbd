package vtl

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func renderFile(t *testing.T, path string, env *Env) string {
	t.Helper()
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	tpl, err := Parse(filepath.Base(path), string(src))
	require.NoError(t, err)
	res, err := tpl.Render(context.Background(), env)
	require.NoError(t, err)
	return res.Body
}

func proxyEnv(body string, headers map[string]string) *Env {
	return &Env{
		Request: Request{
			Body:    []byte(body),
			Headers: headers,
			Query:   map[string]string{"page": "2"},
			Path:    map[string]string{},
		},
		Context: map[string]any{
			"requestId": "req-9", "resourcePath": "/jobs", "path": "/dev/jobs", "httpMethod": "POST",
			"stage": "dev", "requestTimeEpoch": 1700000000000, "resourceId": "abc", "apiId": "api1",
			"identity":   map[string]any{"sourceIp": "127.0.0.1", "userAgent": "curl/8"},
			"authorizer": map[string]any{"principalId": "user-1"},
		},
	}
}

// decodeStartExecution checks the outer StartExecution request and returns
// its input, which the template builds as a JSON string.
func decodeStartExecution(t *testing.T, out string) map[string]any {
	t.Helper()
	var outer struct {
		Input           string `json:"input"`
		Name            string `json:"name"`
		StateMachineArn string `json:"stateMachineArn"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &outer), "output: %s", out)
	assert.Equal(t, "req-9", outer.Name)
	assert.Equal(t, "arn:aws:states:us-east-1:123456789012:stateMachine:jobs", outer.StateMachineArn)
	var input map[string]any
	require.NoError(t, json.Unmarshal([]byte(outer.Input), &input), "input: %s", outer.Input)
	return input
}

// The plugin's LAMBDA_PROXY template exercises #define, nested #foreach,
// reassigned $map, "$v" == "" for nulls, and double escaping.
func TestPluginLambdaProxyJSONTemplate(t *testing.T) {
	body := `{"note":"it's \"ok\" / é"}`
	out := renderFile(t, filepath.Join("testdata", "plugin-lambda-proxy-json.vtl"),
		proxyEnv(body, map[string]string{"Content-Type": "application/json", "X-Empty": ""}))
	input := decodeStartExecution(t, out)
	assert.Equal(t, body, input["body"])
	assert.Equal(t, "/jobs", input["resource"])
	assert.Equal(t, "/dev/jobs", input["path"])
	assert.Equal(t, "POST", input["httpMethod"])
	assert.Equal(t, map[string]any{"Content-Type": "application/json", "X-Empty": nil}, input["headers"])
	assert.Equal(t, map[string]any{"page": "2"}, input["queryStringParameters"])
	assert.Nil(t, input["pathParameters"])
	assert.Nil(t, input["stageVariables"])
	assert.Equal(t, false, input["isBase64Encoded"])
	rc, ok := input["requestContext"].(map[string]any)
	require.True(t, ok)
	assert.Equal(t, "123456789012", rc["accountId"])
	assert.Equal(t, float64(1700000000000), rc["requestTimeEpoch"])
	assert.Equal(t, map[string]any{"sourceIp": "127.0.0.1", "userAgent": "curl/8"}, rc["identity"])
	assert.Equal(t, map[string]any{"principalId": "user-1"}, rc["authorizer"])
}

func TestPluginLambdaProxyFormTemplate(t *testing.T) {
	out := renderFile(t, filepath.Join("testdata", "plugin-lambda-proxy-form.vtl"),
		proxyEnv("a=1&msg=it%27s+%22x%22&flag", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}))
	input := decodeStartExecution(t, out)
	body, ok := input["body"].(string)
	require.True(t, ok)
	var form map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &form), "body: %s", body)
	assert.Equal(t, map[string]any{"a": "1", "msg": `it's "x"`, "flag": ""}, form)
}

// The project's own templates (owned by the API package) must parse and
// render to JSON; skipped when the directory is absent.
func TestProjectTemplatesRender(t *testing.T) {
	dir := filepath.Join("..", "..", "mapping-templates")
	paths, _ := filepath.Glob(filepath.Join(dir, "*.vtl"))
	if len(paths) == 0 {
		t.Skip("no mapping-templates/*.vtl in the project")
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			src, err := os.ReadFile(p)
			require.NoError(t, err)
			_, err = Parse(filepath.Base(p), string(src))
			require.NoError(t, err)
		})
	}
}

func readFileString(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
