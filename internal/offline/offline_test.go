package offline

import (
	"context"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/faults"
	"github.com/asyncjobs/stepjobs/internal/function/catalog"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
)

func loadProject(t *testing.T) *slsconfig.Service {
	t.Helper()
	svc, err := slsconfig.Load(slsconfig.Options{Dir: "../..", Env: func(string) (string, bool) { return "", false }})
	require.NoError(t, err)
	return svc
}

func TestStackNames(t *testing.T) {
	svc := loadProject(t)
	names := newStackNames(svc, "aws", map[string]string{"ResultsBucket": "stepjobs-dev-resultsbucket"})
	lookup := svc.PseudoLookup(names)

	env, err := svc.FunctionEnv("batchSimulation", lookup)
	require.NoError(t, err)
	assert.Equal(t, "stepjobs-dev-jobs", env["TABLE_NAME"])
	assert.Equal(t, "stepjobs-dev-resultsbucket", env["BUCKET_NAME"])

	def, err := svc.Definition("jobs", lookup)
	require.NoError(t, err)
	assert.Contains(t, string(def), `"arn:aws:lambda:us-east-1:000000000000:function:stepjobs-dev-tracking"`)
	assert.NotContains(t, string(def), "Fn::GetAtt")

	routes, err := svc.Routes(lookup)
	require.NoError(t, err)
	require.NotEmpty(t, routes)
	for _, r := range routes {
		if r.Action == "StartExecution" {
			assert.Contains(t, r.RequestTemplates["application/json"],
				"arn:aws:states:us-east-1:000000000000:stateMachine:stepjobs-dev-jobs")
		}
	}
	_, err = svc.GatewayResponses(lookup)
	require.NoError(t, err)
}

func TestBucketName(t *testing.T) {
	svc := &slsconfig.Service{Name: "svc", Stage: "dev"}
	assert.Equal(t, "svc-dev-results", bucketName(svc, slsconfig.Bucket{LogicalID: "Results", BucketName: "results"}))
	assert.Equal(t, "mine", bucketName(svc, slsconfig.Bucket{LogicalID: "Results", BucketName: "mine",
		Properties: map[string]any{"BucketName": "mine"}}))
}

func TestFunctionFactory(t *testing.T) {
	tests := []struct {
		name    string
		fn      slsconfig.Function
		wantErr string
	}{
		{name: "known", fn: slsconfig.Function{Key: "tracking", Artifact: "dist/tracking.zip"}},
		{name: "dashed dir", fn: slsconfig.Function{Key: "batchSimulation", Artifact: "dist/batch-simulation.zip"}},
		{name: "no artifact", fn: slsconfig.Function{Key: "other"}, wantErr: "function other: no package.artifact"},
		{name: "not a zip", fn: slsconfig.Function{Key: "other", Artifact: "dist/other.jar"}, wantErr: `function other: artifact "dist/other.jar"`},
		{name: "unknown", fn: slsconfig.Function{Key: "mailer", Artifact: "dist/mailer.zip"}, wantErr: "function mailer: no local handler for cmd/mailer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := functionFactory(tc.fn, Functions)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.NotNil(t, f)
		})
	}
}

// Every function of serverless.yml has a handler, built from the
// environment serverless.yml gives it.
func TestProjectFunctionsHaveHandlers(t *testing.T) {
	svc := loadProject(t)
	require.NotEmpty(t, svc.Functions)
	names := newStackNames(svc, "aws", map[string]string{"ResultsBucket": "b"})
	for _, fn := range svc.Functions {
		f, err := functionFactory(fn, Functions)
		require.NoError(t, err, fn.Key)
		env, err := svc.FunctionEnv(fn.Key, svc.PseudoLookup(names))
		require.NoError(t, err)
		if fn.Key == "authorizer" {
			// serverless.yml leaves the issuer to the deploying shell, and
			// the authorizer fails closed without one; the runtime sets it
			// (auth.go), here to "disabled" so nothing is fetched.
			_, err := f(FunctionDeps{Env: env})
			require.ErrorContains(t, err, "ISSUER and AUDIENCE are required")
			env["AUTH_DISABLED"] = "true"
		}
		inv, err := f(FunctionDeps{Env: env, S3: s3.New(s3.Options{Region: "us-east-1"})})
		require.NoError(t, err, fn.Key)
		assert.NotNil(t, inv)
	}
	_, err := Functions["tracking"](FunctionDeps{Env: map[string]string{}})
	assert.ErrorContains(t, err, "TABLE_NAME")
}

// A function without a local handler is refused before anything starts.
func TestStartUnknownFunction(t *testing.T) {
	dir := t.TempDir()
	yml := `service: demo
provider:
  name: aws
functions:
  mailer:
    handler: bootstrap
    package:
      artifact: dist/mailer.zip
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "serverless.yml"), []byte(yml), 0o644))
	_, err := Start(context.Background(), Config{Dir: dir})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "function mailer: no local handler for cmd/mailer")
}

// The deployed Lambda mains and Functions build their handlers with the
// same internal/function/<name> constructor; each main is that one call,
// and every function serverless.yml deploys has a local handler.
func TestFunctionsMatchMains(t *testing.T) {
	fns, err := catalog.Load("../..")
	require.NoError(t, err)
	require.NotEmpty(t, fns)
	var deployed []string
	for _, fn := range fns {
		deployed = append(deployed, fn.Dir)
		src, err := os.ReadFile(filepath.Join("../../cmd", fn.Dir, "main.go"))
		require.NoError(t, err)
		assert.Contains(t, string(src), fn.PackageName+".New(", "cmd/%s/main.go", fn.Dir)
	}
	assert.ElementsMatch(t, slices.Collect(maps.Keys(Functions)), deployed, "every deployed Lambda main has a local handler: go generate ./internal/offline")
}

// A port in use is a start-up error naming the part.
func TestStartPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	cfg := DefaultConfig()
	cfg.Dir = "../.."
	cfg.APIPort = ln.Addr().(*net.TCPAddr).Port
	_, err = Start(context.Background(), cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "offline: API port")
}

// A mistake in the mock configuration stops the start at once, naming the
// file, the line and the key; a good file lets the start go on (here to
// the port in use).
func TestStartMockConfig(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "MockConfigFile.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{
  "StateMachines": {"M": {"TestCases": {"T": {"S": "R"}}}},
  "MockedResponses": {"R": {"0": {"Return": 1}, "2": {"Return": 2}}}
}`), 0o644))
	cfg := DefaultConfig()
	cfg.Dir = "../.."
	cfg.MockConfig = bad
	_, err := Start(context.Background(), cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), bad+`:3:49: MockedResponses.R["2"]: starts at invocation 2, but invocation 1 has no response`)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	cfg.MockConfig = filepath.Join("..", "sfn", "mockconfig", "testdata", "MockConfigFile.json")
	cfg.APIPort = ln.Addr().(*net.TCPAddr).Port
	_, err = Start(context.Background(), cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "offline: API port")

	cfg.MockConfig = filepath.Join(t.TempDir(), "missing.json")
	_, err = Start(context.Background(), cfg)
	require.ErrorIs(t, err, os.ErrNotExist)
}

// Task faults name a function of serverless.yml or a service integration;
// anything else is a typo, refused.
func TestCheckFaults(t *testing.T) {
	svc := loadProject(t)
	tests := map[string]struct {
		target  string
		wantErr bool
	}{
		"a function":      {target: "tracking"},
		"an integration":  {target: "dynamodb.putItem"},
		"an aws-sdk call": {target: "aws-sdk.dynamodb.query"},
		"a typo":          {target: "trackng", wantErr: true},
		"a pattern":       {target: "states.startExecution.sync", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := &Server{svc: svc, cfg: Config{Faults: faults.Faults{Tasks: map[string]faults.TaskFault{tc.target: {ErrorRate: 1}}}}}
			err := s.checkFaults()
			if tc.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.target)
				return
			}
			assert.NoError(t, err)
		})
	}
}
