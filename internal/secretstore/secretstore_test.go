package secretstore_test

import (
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/secretstore"
)

// The SDK's own client reads a generated secret by ARN and by name, and
// gets Secrets Manager's error for another.
func TestGetSecretValueWithTheSDK(t *testing.T) {
	st := secretstore.New()
	const arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:stepjobs-dev-callback"
	v := st.Generate(arn, "stepjobs-dev-callback")
	assert.Len(t, v, 64)
	assert.Equal(t, v, st.Generate(arn, "stepjobs-dev-callback"), "generated once")
	srv := httptest.NewServer(st.Handler())
	defer srv.Close()
	c := secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	for _, id := range []string{arn, "stepjobs-dev-callback"} {
		out, err := c.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		require.NoError(t, err)
		assert.Equal(t, v, aws.ToString(out.SecretString))
		assert.Equal(t, arn, aws.ToString(out.ARN))
	}
	_, err := c.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("other")})
	var nf *types.ResourceNotFoundException
	assert.ErrorAs(t, err, &nf)
}
