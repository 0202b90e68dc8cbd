package slsconfig

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func routesLookup() MapLookup {
	return MapLookup{Refs: map[string]string{
		"JobsMachine":                    "arn:aws:states:us-east-1:000000000000:stateMachine:routes-dev-jobs",
		"OtherStepFunctionsStateMachine": "arn:aws:states:us-east-1:000000000000:stateMachine:OtherStepFunctionsStateMachine",
	}}
}

func loadRoutes(t *testing.T) []Route {
	t.Helper()
	svc, err := Load(Options{Dir: "testdata/routes", Env: noEnv})
	require.NoError(t, err)
	routes, err := svc.Routes(routesLookup())
	require.NoError(t, err)
	return routes
}

func TestRoutesGolden(t *testing.T) {
	got, err := json.MarshalIndent(loadRoutes(t), "", "  ")
	require.NoError(t, err)
	path := "testdata/routes/routes.json"
	if *update {
		require.NoError(t, os.WriteFile(path, append(got, '\n'), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
}

func TestRoutesPluginRules(t *testing.T) {
	byKey := map[string]Route{}
	for _, r := range loadRoutes(t) {
		byKey[r.Method+" "+r.Path] = r
	}
	start := byKey["POST /jobs"]
	assert.Equal(t, "StartExecution", start.Action)
	assert.Equal(t, PassthroughNever, start.PassthroughBehavior)
	assert.Contains(t, start.RequestTemplates["application/json"], `"stateMachineArn":"arn:aws:states:us-east-1:000000000000:stateMachine:routes-dev-jobs"`)
	assert.Equal(t, start.RequestTemplates["application/json"], start.RequestTemplates["application/x-www-form-urlencoded"])
	assert.Equal(t, 10000, start.TimeoutMillis, "provider.apiGateway.timeoutInMillis applies")

	describe := byKey["GET /jobs/{id}"]
	assert.Equal(t, "DescribeExecution", describe.Action)
	assert.Equal(t, PassthroughWhenNoTemplates, describe.PassthroughBehavior)
	assert.Empty(t, describe.RequestTemplates, "an action without templates gets none")

	custom := byKey["POST /custom"]
	assert.Contains(t, custom.RequestTemplates, "application/x-www-form-urlencoded", "custom templates merge over the defaults")
	assert.Equal(t, `{"input": "$util.escapeJavaScript($input.body)", "stateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:routes-dev-jobs"}`,
		custom.RequestTemplates["application/json"])
	require.Len(t, custom.Responses, 2)
	assert.Equal(t, "'*'", custom.Responses[1].ResponseParameters["method.response.header.Access-Control-Allow-Origin"])
	assert.Equal(t, "'yes'", custom.Responses[0].ResponseParameters["method.response.header.X-Custom"])

	stop := byKey["POST /stop"]
	require.Len(t, stop.Responses, 3)
	assert.Equal(t, []int{200, 409, 500}, []int{stop.Responses[0].StatusCode, stop.Responses[1].StatusCode, stop.Responses[2].StatusCode})
	assert.Equal(t, "500", stop.Responses[2].SelectionPattern, "selectionPattern defaults to the key")
	assert.Equal(t, 5000, stop.TimeoutMillis)

	preflight := byKey["OPTIONS /stop"]
	assert.Equal(t, IntegrationMock, preflight.Integration)
	params := preflight.Responses[0].ResponseParameters
	assert.Equal(t, "'https://a.example,https://b.example'", params["method.response.header.Access-Control-Allow-Origin"])
	assert.Equal(t, "'600'", params["method.response.header.Access-Control-Max-Age"])
	assert.Equal(t, "'true'", params["method.response.header.Access-Control-Allow-Credentials"])

	assert.Equal(t, "ANY", byKey["ANY /other"].Method)
}

// TestRoutesMatchPluginPackage runs `sls package` and checks that every API
// Gateway method the plugin generates is a route here with the same
// templates, passthrough behaviour and integration responses: for
// testdata/routes, and for the project's own serverless.yml (in a copy
// with stand-in artifacts).
func TestRoutesMatchPluginPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs serverless (node); skipped with -short")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed: cannot compare with serverless-step-functions")
	}
	nodeModules, err := filepath.Abs("../../node_modules")
	require.NoError(t, err)
	slsBin := filepath.Join(nodeModules, "osls/bin/serverless.js")
	if _, err := os.Stat(slsBin); err != nil {
		t.Skip("node_modules/osls missing: run npm ci to compare with the plugin")
	}
	t.Run("testdata", func(t *testing.T) {
		comparePackage(t, node, slsBin, "testdata/routes", routesLookup())
	})
	t.Run("project", func(t *testing.T) {
		dir := t.TempDir()
		raw, err := os.ReadFile("../../serverless.yml")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "serverless.yml"), raw, 0o644))
		for _, name := range []string{"statemachine", "mapping-templates", "schemas", "resources"} {
			require.NoError(t, os.CopyFS(filepath.Join(dir, name), os.DirFS(filepath.Join("../..", name))), name)
		}
		require.NoError(t, os.Symlink(nodeModules, filepath.Join(dir, "node_modules")))
		svc, err := Load(Options{Dir: dir, Env: noEnv})
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "dist"), 0o755))
		for _, fn := range svc.Functions {
			if fn.Artifact != "" {
				require.NoError(t, os.WriteFile(filepath.Join(dir, fn.Artifact), []byte("PK\x05\x06"+strings.Repeat("\x00", 18)), 0o644))
			}
		}
		comparePackage(t, node, slsBin, dir, localLookup(t))
	})
}

func comparePackage(t *testing.T, node, slsBin, dir string, lookup MapLookup) {
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, slsBin, "package", "--package", out)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=offline", "AWS_SECRET_ACCESS_KEY=offline", "SLS_TELEMETRY_DISABLED=1", "SLS_NOTIFICATIONS_MODE=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	raw, err := os.ReadFile(filepath.Join(out, "cloudformation-template-update-stack.json"))
	require.NoError(t, err)
	var tmpl struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	require.NoError(t, json.Unmarshal(raw, &tmpl))

	svc, err := Load(Options{Dir: dir, Env: noEnv})
	require.NoError(t, err)
	list, err := svc.Routes(lookup)
	require.NoError(t, err)
	routes := map[string]Route{}
	for _, r := range list {
		routes[methodLogicalID(r.Path, r.Method)] = r
	}
	// The state machine definitions, as deployed, resolve to what
	// Service.Definition returns.
	for _, sm := range svc.StateMachines {
		res, ok := tmpl.Resources[sm.LogicalID]
		if !assert.True(t, ok, "no resource %s", sm.LogicalID) {
			continue
		}
		deployed, err := ResolveIntrinsics(res.Properties["DefinitionString"], svc.PseudoLookup(lookup), sm.LogicalID)
		require.NoError(t, err)
		ours, err := svc.Definition(sm.Key, lookup)
		require.NoError(t, err)
		assert.JSONEq(t, deployed.(string), string(ours), sm.Key)
	}

	seen := 0
	for id, res := range tmpl.Resources {
		if res.Type != "AWS::ApiGateway::Method" {
			continue
		}
		seen++
		r, ok := routes[id]
		if !assert.True(t, ok, "plugin method %s has no route", id) {
			continue
		}
		t.Run(id, func(t *testing.T) {
			p := res.Properties
			assert.Equal(t, r.Method, p["HttpMethod"])
			integ := p["Integration"].(map[string]any)
			assert.Equal(t, r.Integration, integ["Type"])
			if r.Integration == IntegrationAWS {
				assert.Equal(t, r.PassthroughBehavior, integ["PassthroughBehavior"])
				uri, err := ResolveIntrinsics(integ["Uri"], MapLookup{Refs: map[string]string{"AWS::Partition": "aws", "AWS::Region": "us-east-1"}}, id)
				require.NoError(t, err)
				service := "states"
				if r.Service == ServiceDynamoDB {
					service = "dynamodb"
				}
				assert.Equal(t, "arn:aws:apigateway:us-east-1:"+service+":action/"+r.Action, uri)
				if ms, ok := integ["TimeoutInMillis"]; ok {
					assert.EqualValues(t, r.TimeoutMillis, ms)
				}
			}
			assert.Equal(t, r.Authorizer != nil, p["AuthorizationType"] == "CUSTOM", "authorizer")
			models, _ := p["RequestModels"].(map[string]any)
			assert.Len(t, models, len(r.RequestSchemas), "a model per request schema")
			if r.Integration == IntegrationLambdaProxy {
				assert.Contains(t, fmt.Sprint(integ["Uri"]), stackFunctionLogicalID(r.Function))
				return
			}
			templates := map[string]string{}
			if rt, ok := integ["RequestTemplates"].(map[string]any); ok {
				resolved, err := ResolveIntrinsics(rt, svc.PseudoLookup(lookup), id)
				require.NoError(t, err)
				for k, v := range resolved.(map[string]any) {
					templates[k] = v.(string)
				}
			}
			assert.Equal(t, r.RequestTemplates, templates)

			var want []IntegrationResponse
			for _, x := range integ["IntegrationResponses"].([]any) {
				m := x.(map[string]any)
				code, _ := toInt(m["StatusCode"])
				ir := IntegrationResponse{StatusCode: code, SelectionPattern: str(m["SelectionPattern"]),
					ResponseParameters: map[string]string{}, ResponseTemplates: map[string]string{}}
				for k, v := range asMap(m["ResponseParameters"]) {
					ir.ResponseParameters[k] = str(v)
				}
				for k, v := range asMap(m["ResponseTemplates"]) {
					resolved, err := ResolveIntrinsics(v, svc.PseudoLookup(lookup), id)
					require.NoError(t, err)
					ir.ResponseTemplates[k] = str(resolved)
				}
				want = append(want, ir)
			}
			sort.SliceStable(want, func(i, j int) bool { return want[i].StatusCode < want[j].StatusCode })
			assert.Equal(t, want, r.Responses)
		})
	}
	assert.Equal(t, len(routes), seen, "every route is a plugin method")
}

// stackFunctionLogicalID is the Framework's logical id of a function.
func stackFunctionLogicalID(key string) string { return normalizedResourceName(key) + "LambdaFunction" }

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

var pathParam = regexp.MustCompile(`\{(.*)\}`)

// methodLogicalID is serverless' naming.getMethodLogicalId(normalizePath(path), method).
func methodLogicalID(path, method string) string {
	var b strings.Builder
	b.WriteString("ApiGatewayMethod")
	for _, part := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		if part == "" {
			continue
		}
		part = strings.ToUpper(part[:1]) + strings.ToLower(part[1:])
		part = strings.ReplaceAll(part, "-", "Dash")
		part = pathParam.ReplaceAllString(part, "${1}Var")
		part = regexp.MustCompile(`[^0-9A-Za-z]`).ReplaceAllString(part, "")
		if part != "" {
			part = strings.ToUpper(part[:1]) + part[1:]
		}
		b.WriteString(part)
	}
	m := strings.ToLower(method)
	b.WriteString(strings.ToUpper(m[:1]) + m[1:])
	return b.String()
}

func TestUnresolvedIntrinsicsNameTheKey(t *testing.T) {
	svc, err := Load(Options{Dir: "testdata/routes", Env: noEnv})
	require.NoError(t, err)
	_, err = svc.Routes(MapLookup{})
	require.ErrorIs(t, err, ErrUnresolvedIntrinsic)
	assert.Contains(t, err.Error(), "stepFunctions.stateMachines.jobs.events.0.http.request.template.application/json")
	assert.Contains(t, err.Error(), "Ref JobsMachine")

	def := map[string]any{"StartAt": "A", "States": map[string]any{"A": map[string]any{
		"Type": "Task", "End": true, "Resource": map[string]any{"Fn::GetAtt": []any{"work", "Arn"}}}}}
	svc = &Service{Name: "s", Stage: "dev", Region: "eu-west-1", AccountID: "1",
		Functions:     []Function{{Key: "work", LogicalID: "WorkLambdaFunction"}},
		StateMachines: []StateMachine{{Key: "m", Definition: def}}}
	_, err = svc.Definition("m", MapLookup{})
	require.ErrorIs(t, err, ErrUnresolvedIntrinsic)
	assert.Contains(t, err.Error(), "stepFunctions.stateMachines.m.definition")
	assert.Contains(t, err.Error(), "Fn::GetAtt work.Arn", "the error names what the file says")

	out, err := svc.Definition("m", MapLookup{Attrs: map[string]string{"WorkLambdaFunction.Arn": "arn:fn"}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"StartAt":"A","States":{"A":{"Type":"Task","End":true,"Resource":"arn:fn"}}}`, string(out))

	_, err = ResolveIntrinsics(map[string]any{"Fn::If": []any{"c", "a", "b"}}, MapLookup{}, "resources.X")
	require.ErrorIs(t, err, ErrUnresolvedIntrinsic)
	assert.Contains(t, err.Error(), "resources.X.Fn::If")
}

func TestIntrinsics(t *testing.T) {
	l := MapLookup{
		Refs:  map[string]string{"AWS::Region": "eu-west-1", "Table": "t1", "AWS::AccountId": "123"},
		Attrs: map[string]string{"Table.Arn": "arn:table", "Fn.Arn": "arn:fn"},
	}
	tests := []struct {
		name string
		in   any
		want any
	}{
		{"ref", map[string]any{"Ref": "Table"}, "t1"},
		{"getatt list", map[string]any{"Fn::GetAtt": []any{"Table", "Arn"}}, "arn:table"},
		{"getatt string", map[string]any{"Fn::GetAtt": "Fn.Arn"}, "arn:fn"},
		{"join", map[string]any{"Fn::Join": []any{":", []any{"a", map[string]any{"Ref": "Table"}, int64(3)}}}, "a:t1:3"},
		{"sub string", map[string]any{"Fn::Sub": "arn:${AWS::Region}:${AWS::AccountId}:${Table}/${Table.Arn}/${!Literal}"}, "arn:eu-west-1:123:t1/arn:table/${Literal}"},
		{"sub vars win", map[string]any{"Fn::Sub": []any{"${Table}-${X}", map[string]any{"Table": "mine", "X": map[string]any{"Ref": "Table"}}}}, "mine-t1"},
		{"nested in maps and lists", map[string]any{"a": []any{map[string]any{"Ref": "Table"}, "x"}}, map[string]any{"a": []any{"t1", "x"}}},
		{"not intrinsic: two keys", map[string]any{"Ref": "Table", "Other": 1}, map[string]any{"Ref": "Table", "Other": 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResolveIntrinsics(tc.in, l, "x")
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
