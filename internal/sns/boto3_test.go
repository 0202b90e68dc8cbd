package sns_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBoto3 drives SNS and its SQS delivery with boto3, as a Python
// program would; skipped when python3 or boto3 is missing.
func TestBoto3(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed: the boto3 test needs it")
	}
	if out, err := exec.Command(py, "-c", "import boto3").CombinedOutput(); err != nil {
		t.Skipf("boto3 is not installed (pip install boto3): %s", strings.TrimSpace(string(out)))
	}
	f := newFixture(t)
	cmd := exec.Command(py, "testdata/boto3_sns.py", f.url, f.sqsURL)
	cmd.Env = append(cmd.Environ(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, "ok", strings.TrimSpace(string(out)))
}
