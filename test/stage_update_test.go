package test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// patchOp is one operation of an UpdateStage call.
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value string `json:"value"`
}

// TestStackStageUpdate runs the Framework's own post-deploy stage update (osls's
// update-stage.js: `sls deploy` runs it after CloudFormation, since X-Ray and the access log
// settings are not in the template) on the packaged service, against a fake API Gateway on
// loopback. The calls it makes are the ones docs/deploy.md asks the deploying identity to
// allow, and the stage gets X-Ray, the JSON access log lines, no dataTrace and no execution
// logging.
func TestStackStageUpdate(t *testing.T) {
	p := packageStack(t)
	node, err := exec.LookPath("node")
	require.NoError(t, err, "sls package ran, so node is there")

	apiName := evalString(t, p, resource(t, p, "ApiGatewayRestApi", "AWS::ApiGateway::RestApi").Properties["Name"])
	const apiID = "a1b2c3d4e5"
	stagePath := "/restapis/" + apiID + "/stages/" + stackStage
	var (
		mu    sync.Mutex
		calls []string
		ops   []patchOp
	)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		call := r.Method + " " + r.URL.Path
		calls = append(calls, call)
		w.Header().Set("Content-Type", "application/json")
		var answer any
		switch call {
		case "GET /restapis":
			answer = map[string]any{"item": []any{
				map[string]any{"id": "other00000", "name": "someone-else"},
				map[string]any{"id": apiID, "name": apiName},
			}}
		case "GET /restapis/" + apiID + "/deployments":
			answer = map[string]any{"item": []any{map[string]any{"id": "dep0000001"}}}
		case "GET " + stagePath:
			answer = map[string]any{"stageName": stackStage, "deploymentId": "dep0000001"}
		case "PATCH " + stagePath:
			var body struct {
				PatchOperations []patchOp `json:"patchOperations"`
			}
			raw, _ := io.ReadAll(r.Body)
			if err := json.Unmarshal(raw, &body); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			ops = body.PatchOperations
			answer = map[string]any{"stageName": stackStage, "deploymentId": "dep0000001"}
		default:
			w.Header().Set("X-Amzn-Errortype", "NotFoundException")
			w.WriteHeader(http.StatusNotFound)
			answer = map[string]any{"message": "not in the fake: " + call}
		}
		_ = json.NewEncoder(w).Encode(answer)
	}))
	defer fake.Close()

	state := filepath.Join(t.TempDir(), "serverless-state.json")
	require.NoError(t, os.WriteFile(state, p.state, 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), slsTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(p.root, "test", "testdata", "update-stage.js"),
		filepath.Join(p.root, "node_modules", "osls"), state, fake.URL, stackRegion, stackEnv.AccountID)
	cmd.Env = slsEnv()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "update-stage.js:\n%s", out)

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"GET /restapis", "GET /restapis/" + apiID + "/deployments", "GET " + stagePath, "PATCH " + stagePath}, calls,
		"what the deploying identity needs after CloudFormation: apigateway:GET on /restapis, the API's deployments and the stage, apigateway:PATCH on the stage")

	var svc struct {
		Service struct {
			Provider struct {
				Logs struct {
					RestAPI struct {
						Format string `json:"format"`
					} `json:"restApi"`
				} `json:"logs"`
			} `json:"provider"`
		} `json:"service"`
	}
	require.NoError(t, json.Unmarshal(p.state, &svc))
	format := svc.Service.Provider.Logs.RestAPI.Format
	require.NotEmpty(t, format)
	logGroup := evalString(t, p, resource(t, p, "ApiGatewayLogGroup", "AWS::Logs::LogGroup").Properties["LogGroupName"])
	assert.ElementsMatch(t, []patchOp{
		{"replace", "/tracingEnabled", "true"},
		{"replace", "/accessLogSettings/destinationArn", "arn:aws:logs:" + stackRegion + ":" + stackEnv.AccountID + ":log-group:" + logGroup},
		{"replace", "/accessLogSettings/format", format},
		{"replace", "/*/*/logging/dataTrace", "false"},
		{"replace", "/*/*/logging/loglevel", "OFF"},
	}, ops)
}
