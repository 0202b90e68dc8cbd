package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const root = "../../.."

// The committed table is what serverless.yml and the constructors give
// today: a function added to serverless.yml without regenerating fails here.
func TestGeneratedFileIsCurrent(t *testing.T) {
	want, err := Generate(root)
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(root, Output))
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "%s is out of date: go generate ./internal/offline", Output)
}

// A constructor asking for a client the local runtime does not have fails
// generation, naming what it has.
func TestGenerateUnknownClient(t *testing.T) {
	dir := t.TempDir()
	yml := "service: demo\nprovider:\n  name: aws\nfunctions:\n  mailer:\n    handler: bootstrap\n    package:\n      artifact: dist/mailer.zip\n"
	src := `package mailer
import (
	"context"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)
func New(ctx context.Context, q *sns.Client) (func(), error) { return nil, nil }
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "serverless.yml"), []byte(yml), 0o644))
	pkg := filepath.Join(dir, "internal", "function", "mailer")
	require.NoError(t, os.MkdirAll(pkg, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(pkg, "mailer.go"), []byte(src), 0o644))
	_, err := Generate(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "takes a *github.com/aws/aws-sdk-go-v2/service/sns.Client")
	assert.Contains(t, err.Error(), "offline.FunctionDeps")
}
