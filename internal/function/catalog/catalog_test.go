package catalog_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/function/catalog"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
)

func TestDir(t *testing.T) {
	tests := []struct {
		name, artifact, want, wantErr string
	}{
		{"plain", "dist/tracking.zip", "tracking", ""},
		{"dashed", "dist/batch-simulation.zip", "batch-simulation", ""},
		{"no artifact", "", "", "no package.artifact"},
		{"not a zip", "dist/other.jar", "", `artifact "dist/other.jar" is not dist/<cmd dir>.zip`},
		{"elsewhere", "build/other.zip", "", `artifact "build/other.zip"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := catalog.Dir(slsconfig.Function{Key: "f", Artifact: tc.artifact})
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestConstructor(t *testing.T) {
	const s3c = "*github.com/aws/aws-sdk-go-v2/service/s3.Client"
	tests := []struct {
		name    string
		src     string // one file of package "thing"; empty: no Go file
		want    []string
		wantErr string
	}{
		{"clients", `package thing
import (
	"context"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	fn "github.com/asyncjobs/stepjobs/internal/function"
)
func helper() {}
func (x T) New() {}
func New(_ context.Context, env fn.Env, a, b *s3.Client) (int, error) { return 0, nil }
`, []string{"context.Context", "github.com/asyncjobs/stepjobs/internal/function.Env", s3c, s3c}, ""},
		{"no clients", `package thing
import "context"
func New(ctx context.Context) (int, error) { return 0, nil }
`, []string{"context.Context"}, ""},
		{"no New", "package thing\nfunc Make() {}\n", nil, "no func New"},
		{"unqualified type", "package thing\nfunc New(n int) {}\n", nil, "not an imported package's type"},
		{"no package", "", nil, "read the handler package"},
		{"syntax error", "package thing\nfunc New(\n", nil, "parse"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "thing")
			if tc.src != "" {
				require.NoError(t, os.Mkdir(dir, 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(dir, "thing.go"), []byte(tc.src), 0o644))
				// Tests are not part of the constructor's package.
				require.NoError(t, os.WriteFile(filepath.Join(dir, "thing_test.go"), []byte("package thing\nfunc New() {}\n"), 0o644))
			}
			name, params, err := catalog.Constructor(dir)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "thing", name)
			got := make([]string, len(params))
			for i, p := range params {
				got[i] = p.String()
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestLoadProject(t *testing.T) {
	fns, err := catalog.Load("../../..")
	require.NoError(t, err)
	byDir := map[string]catalog.Function{}
	for _, fn := range fns {
		byDir[fn.Dir] = fn
	}
	sim, ok := byDir["batch-simulation"]
	require.True(t, ok, "serverless.yml deploys cmd/batch-simulation")
	assert.Equal(t, "batchSimulation", sim.Key)
	assert.Equal(t, "github.com/asyncjobs/stepjobs/internal/function/batchsimulation", sim.Package)
	assert.Equal(t, "batchsimulation", sim.PackageName)
	assert.Equal(t, []string{"s3", "dynamodb"}, sim.Clients())
}

// A function whose handler package is missing fails with the convention.
func TestLoadMissingPackage(t *testing.T) {
	dir := t.TempDir()
	yml := "service: demo\nprovider:\n  name: aws\nfunctions:\n  mailer:\n    handler: bootstrap\n    package:\n      artifact: dist/send-mail.zip\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "serverless.yml"), []byte(yml), 0o644))
	_, err := catalog.Load(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "function mailer (cmd/send-mail)")
	assert.Contains(t, err.Error(), filepath.Join("internal", "function", "sendmail"))
}
