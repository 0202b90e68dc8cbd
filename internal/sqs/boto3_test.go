package sqs_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// requireBoto3 skips the test when python3 or boto3 is missing.
func requireBoto3(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed: the boto3 test needs it")
	}
	if out, err := exec.Command(py, "-c", "import boto3").CombinedOutput(); err != nil {
		t.Skipf("boto3 is not installed (pip install boto3): %s", strings.TrimSpace(string(out)))
	}
	return py
}

// TestBoto3 drives the service with boto3, as a Python program would.
func TestBoto3(t *testing.T) {
	py := requireBoto3(t)
	f := newFixture(t)
	cmd := exec.Command(py, "testdata/boto3_sqs.py", f.url)
	cmd.Env = append(cmd.Environ(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, "ok", strings.TrimSpace(string(out)))
}
