package slsconfig

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files")

func noEnv(string) (string, bool) { return "", false }

func testEnv(name string) (string, bool) {
	if name == "DEMO_TOKEN" {
		return "s3cr3t", true
	}
	return "", false
}

func TestResolveGolden(t *testing.T) {
	tests := []struct {
		name   string
		opts   Options
		golden string
	}{
		{"defaults", Options{}, "expected-dev.json"},
		{"opt given", Options{Opt: map[string]string{"size": "large"}}, "expected-opt.json"},
		{"prod stage and region", Options{Stage: "prod", Region: "us-west-2"}, "expected-prod.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Dir = "testdata/resolve"
			tc.opts.Env = testEnv
			svc, err := Load(tc.opts)
			require.NoError(t, err)
			got, err := json.MarshalIndent(svc.Config, "", "  ")
			require.NoError(t, err)
			path := filepath.Join("testdata/resolve", tc.golden)
			if *update {
				require.NoError(t, os.WriteFile(path, append(got, '\n'), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.JSONEq(t, string(want), string(got))
		})
	}
}

func TestResolveErrors(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string
		wantPath string
		wantVar  string
		wantIs   error
	}{
		{"unknown source", "service: s\nstepFunctions:\n  stateMachines:\n    jobs:\n      definition: ${foo:bar}\n",
			"stepFunctions.stateMachines.jobs.definition", "${foo:bar}", nil},
		{"missing self", "service: s\ncustom:\n  a: x-${self:custom.nope}\n", "custom.a", "${self:custom.nope}", nil},
		{"missing env without default", "service: s\nprovider:\n  environment:\n    A: ${env:NOT_SET}\n", "provider.environment.A", "${env:NOT_SET}", nil},
		{"circular", "service: s\ncustom:\n  a: ${self:custom.b}\n  b: ${self:custom.a}\n", "custom.", "", ErrCircular},
		{"self cycle through parent", "service: s\ncustom:\n  a: ${self:custom}\n", "custom", "", ErrCircular},
		{"object inside a string", "service: s\ncustom:\n  m: {k: v}\n  s: x-${self:custom.m}\n", "custom.s", "${self:custom.m}", nil},
		{"syntax error", "service: s\ncustom:\n  a: ${self:x\n", "custom.a", "", nil},
		{"account id needs STS", "service: s\ncustom:\n  a: ${aws:accountId}\n", "custom.a", "${aws:accountId}", nil},
		{"ssm offline", "service: s\ncustom:\n  a: ${ssm:/x/y}\n", "custom.a", "${ssm:/x/y}", nil},
		{"missing file without default", "service: s\ncustom:\n  a: ${file(nope.yml)}\n", "custom.a", "${file(nope.yml)}", nil},
		{"file includes itself", "service: s\ncustom:\n  a: ${file(files/self.yml)}\n", "custom.a", "", ErrCircular},
		{"bad strToBool", "service: s\ncustom:\n  a: ${strToBool(maybe)}\n", "custom.a", "${strToBool(maybe)}", nil},
	}
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "files"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "files/self.yml"), []byte("x: ${file(files/self.yml)}\n"), 0o644))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), Options{Dir: dir, Env: noEnv})
			require.Error(t, err)
			var re *ResolveError
			require.ErrorAs(t, err, &re, err.Error())
			assert.Contains(t, re.Path, tc.wantPath, err.Error())
			assert.Contains(t, err.Error(), tc.wantPath)
			if tc.wantVar != "" {
				assert.Equal(t, tc.wantVar, re.Variable, err.Error())
				assert.Contains(t, err.Error(), "unresolved "+tc.wantVar)
			}
			if tc.wantIs != nil {
				assert.True(t, errors.Is(err, tc.wantIs), err.Error())
			}
		})
	}
}

// TestResolveMatchesServerlessPrint compares the resolved configuration with
// what serverless itself prints (`sls print`), when node and the project's
// node_modules are present.
func TestResolveMatchesServerlessPrint(t *testing.T) {
	if testing.Short() {
		t.Skip("runs serverless (node); skipped with -short")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed: cannot compare with serverless")
	}
	slsBin, err := filepath.Abs("../../node_modules/osls/bin/serverless.js")
	require.NoError(t, err)
	if _, err := os.Stat(slsBin); err != nil {
		t.Skip("node_modules/osls missing: run npm ci to compare with serverless")
	}
	tests := []struct {
		name string
		dir  string
		opts Options
		args []string
	}{
		{"testdata defaults", "testdata/resolve", Options{}, nil},
		{"testdata prod", "testdata/resolve", Options{Stage: "prod", Region: "us-west-2"}, []string{"--stage", "prod", "--region", "us-west-2"}},
		{"project", "../..", Options{}, nil},
		{"project prod", "../..", Options{Stage: "prod", Region: "eu-central-1"}, []string{"--stage", "prod", "--region", "eu-central-1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(tc.dir, "serverless.yml")); err != nil {
				t.Skip("no serverless.yml in " + tc.dir)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, append([]string{slsBin, "print", "--format", "json"}, tc.args...)...)
			cmd.Dir = tc.dir
			cmd.Env = append(os.Environ(), "DEMO_TOKEN=s3cr3t", "SLS_TELEMETRY_DISABLED=1", "SLS_NOTIFICATIONS_MODE=off")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			require.NoError(t, err, stderr.String())
			var want map[string]any
			require.NoError(t, json.Unmarshal(out, &want))
			tc.opts.Dir = tc.dir
			tc.opts.Env = testEnv
			svc, err := Load(tc.opts)
			require.NoError(t, err)
			// print normalizes the framework's own sections (functions,
			// package, provider); compare what it leaves as written.
			pick := func(cfg map[string]any) map[string]any {
				out := map[string]any{}
				for _, k := range []string{"service", "custom", "stepFunctions", "resources"} {
					out[k] = cfg[k]
				}
				p, _ := cfg["provider"].(map[string]any)
				for _, k := range []string{"stage", "region", "environment", "runtime"} {
					out["provider."+k] = p[k]
				}
				return out
			}
			wantJSON, err := json.Marshal(pick(want))
			require.NoError(t, err)
			got, err := json.Marshal(pick(svc.Config))
			require.NoError(t, err)
			assert.JSONEq(t, string(wantJSON), string(got))
		})
	}
}
