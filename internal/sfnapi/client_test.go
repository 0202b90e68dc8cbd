package sfnapi

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The operations the SDK sends to a "sync-" host reach a loopback
// endpoint with NoHostPrefix, unprefixed.
func TestNoHostPrefix(t *testing.T) {
	hosts := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hosts <- r.Host
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{"status": "SUCCEEDED"}`))
	}))
	defer srv.Close()
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	client := awssfn.New(awssfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}, NoHostPrefix)

	out, err := client.TestState(t.Context(), &awssfn.TestStateInput{Definition: aws.String(`{}`)})
	require.NoError(t, err)
	assert.Equal(t, "SUCCEEDED", string(out.Status))
	assert.Equal(t, u.Host, <-hosts)
	_, err = client.StartSyncExecution(t.Context(), &awssfn.StartSyncExecutionInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:m")})
	require.NoError(t, err)
	assert.Equal(t, u.Host, <-hosts)
}
