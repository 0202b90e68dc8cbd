// Package docs_test checks docs/openapi.yaml: a valid OpenAPI document,
// request schemas identical to schemas/*.json (the API Gateway models), and
// routes that match serverless.yml.
package docs_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/asyncjobs/stepjobs/internal/slsconfig"
)

const openAPIFile = "openapi.yaml"

// toBeWired are routes of the API that serverless.yml does not declare yet
// (the lead wires them, see the issue 5 report). Once a route is in
// serverless.yml the test fails until it is removed from here, so this list
// cannot rot.
var toBeWired = map[string]bool{}

func TestOpenAPIValid(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(openAPIFile)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(t.Context()))
	assert.True(t, doc.IsOpenAPI31OrLater())

	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			// Every operation answers every error the API can give it.
			codes := slices.Collect(maps.Keys(op.Responses.Map()))
			for _, code := range []string{"400", "401", "403", "429", "502", "503"} {
				assert.Contains(t, codes, code, name)
			}
			if method != "GET" {
				assert.Contains(t, codes, "413", name)
				assert.Contains(t, codes, "415", name)
			}
			if path != "/start-execution" {
				assert.Contains(t, codes, "404", name)
			}
			for code, ref := range op.Responses.Map() {
				if code[0] == '4' || code[0] == '5' {
					schema := ref.Value.Content.Get("application/json").Schema
					require.NotNil(t, schema, "%s %s", name, code)
					assert.Equal(t, "#/components/schemas/Error", schema.Ref, "%s %s: errors are {message, code}", name, code)
				}
			}
		}
	}
	assert.NotNil(t, doc.Components.SecuritySchemes["bearerAuth"])
	assert.Equal(t, "bearer", doc.Components.SecuritySchemes["bearerAuth"].Value.Scheme)
	require.Len(t, doc.Security, 1)
	assert.Contains(t, doc.Security[0], "bearerAuth", "every route needs a token by default")
}

// canonical returns v as JSON with sorted keys and exact numbers.
func canonical(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// TestRequestSchemasAreTheModels: the schemas inlined in openapi.yaml are
// schemas/*.json without $schema, number for number.
func TestRequestSchemasAreTheModels(t *testing.T) {
	raw, err := os.ReadFile(openAPIFile)
	require.NoError(t, err)
	var doc struct {
		Components struct {
			Schemas map[string]any `yaml:"schemas"`
		} `yaml:"components"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &doc))
	for file, name := range map[string]string{
		"start-execution.json":    "StartExecutionRequest",
		"describe-execution.json": "DescribeExecutionRequest",
		"stop-execution.json":     "StopExecutionRequest",
	} {
		b, err := os.ReadFile(filepath.Join("..", "schemas", file))
		require.NoError(t, err)
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var model map[string]any
		require.NoError(t, dec.Decode(&model))
		delete(model, "$schema")
		inlined, ok := doc.Components.Schemas[name]
		require.True(t, ok, "openapi.yaml lacks %s", name)
		assert.Equal(t, canonical(t, model), canonical(t, inlined), "%s differs from schemas/%s", name, file)
	}
}

// route is "METHOD /path" as in OpenAPI.
func route(method, path string) string {
	return strings.ToUpper(method) + " /" + strings.TrimPrefix(path, "/")
}

// slsRoutes reads the http events of serverless.yml: the functions' and
// the state machines' (serverless-step-functions).
func slsRoutes(t *testing.T) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "serverless.yml"))
	require.NoError(t, err)
	type events struct {
		Events []struct {
			HTTP *struct {
				Path   string `yaml:"path"`
				Method string `yaml:"method"`
			} `yaml:"http"`
		} `yaml:"events"`
	}
	var cfg struct {
		Functions     map[string]events `yaml:"functions"`
		StepFunctions struct {
			StateMachines map[string]events `yaml:"stateMachines"`
		} `yaml:"stepFunctions"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &cfg))
	routes := map[string]bool{}
	for _, group := range []map[string]events{cfg.Functions, cfg.StepFunctions.StateMachines} {
		for _, e := range group {
			for _, ev := range e.Events {
				if ev.HTTP != nil {
					routes[route(ev.HTTP.Method, ev.HTTP.Path)] = true
				}
			}
		}
	}
	require.NotEmpty(t, routes, "serverless.yml declares no http event")
	return routes
}

// rawRoutes reads the API Gateway methods resources/api.yml declares itself
// (GET /jobs, GET /jobs/{jobId}): "METHOD logical ID of the resource".
func rawRoutes(t *testing.T) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "resources", "api.yml"))
	require.NoError(t, err)
	var cfg struct {
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				HTTPMethod string            `yaml:"HttpMethod"`
				ResourceID map[string]string `yaml:"ResourceId"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &cfg))
	out := map[string]bool{}
	for _, r := range cfg.Resources {
		if r.Type == "AWS::ApiGateway::Method" {
			out[strings.ToUpper(r.Properties.HTTPMethod)+" "+r.Properties.ResourceID["Ref"]] = true
		}
	}
	return out
}

func TestRoutesMatchServerless(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromFile(openAPIFile)
	require.NoError(t, err)
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[route(method, path)] = true
		}
	}
	deployed := slsRoutes(t)
	raw := rawRoutes(t)
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if key := method + " " + slsconfig.ResourceLogicalID(path); raw[key] {
				deployed[route(method, path)] = true
				delete(raw, key)
			}
		}
	}
	assert.Empty(t, raw, "methods of resources/api.yml not in openapi.yaml")
	for r := range documented {
		switch {
		case deployed[r] && toBeWired[r]:
			t.Errorf("%s is now in serverless.yml: remove it from toBeWired", r)
		case !deployed[r] && !toBeWired[r]:
			t.Errorf("%s is documented but neither in serverless.yml nor listed as to be wired", r)
		}
	}
	for r := range deployed {
		assert.True(t, documented[r], "%s is in serverless.yml but not in openapi.yaml", r)
	}
	for r := range toBeWired {
		assert.True(t, documented[r], "%s is listed as to be wired but not documented", r)
	}
}
