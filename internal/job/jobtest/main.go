package jobtest

import (
	"context"
	"fmt"
	"maps"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/asyncjobs/stepjobs/internal/dynalite"
)

// Main is the TestMain of a Lambda main's tests. In the process
// StartFunction starts it runs the function (fnMain); otherwise it runs the
// tests, with one dynalite shared by them when dynamoURL is not nil (its
// endpoint is stored there first).
func Main(m *testing.M, fnMain func(), dynamoURL *string) {
	if IsFunctionProcess() {
		fnMain()
		return
	}
	os.Exit(runTests(m, dynamoURL))
}

func runTests(m *testing.M, dynamoURL *string) int {
	if dynamoURL != nil {
		server, err := dynalite.Start(context.Background(), dynalite.Options{})
		if err != nil {
			fmt.Fprintln(os.Stderr, "these tests need dynalite:", err)
			return 1
		}
		defer server.Stop()
		*dynamoURL = server.Endpoint()
	}
	return m.Run()
}

// LambdaEnv is a Lambda-like environment for StartFunction: local static
// credentials, no shared config files, no instance metadata, a fresh HOME,
// so nothing is inherited from the machine running the tests; extra adds to
// it (endpoints such as AWS_ENDPOINT_URL_DYNAMODB, the function's settings).
func LambdaEnv(t *testing.T, extra map[string]string) map[string]string {
	e := map[string]string{
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED": "true", "HOME": t.TempDir(),
	}
	maps.Copy(e, extra)
	return e
}

// FakeS3 serves gofakes3 in memory with the given buckets for the test's
// duration and returns its URL.
func FakeS3(t *testing.T, buckets ...string) string {
	backend := s3mem.New()
	for _, b := range buckets {
		if err := backend.CreateBucket(b); err != nil {
			t.Fatalf("create bucket %s: %v", b, err)
		}
	}
	server := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(server.Close)
	return server.URL
}
