package localaws

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// counting wraps resolve, counting its calls.
func counting[P any](resolve func(context.Context, P) (smithyendpoints.Endpoint, error), calls *int) func(context.Context, P) (smithyendpoints.Endpoint, error) {
	return func(ctx context.Context, p P) (smithyendpoints.Endpoint, error) {
		*calls++
		return resolve(ctx, p)
	}
}

// The cache answers what S3's rules answer, and runs them once for each
// set of parameters but an object's key.
func TestEndpointCacheS3(t *testing.T) {
	rules := s3.NewDefaultEndpointResolverV2()
	calls := 0
	c := newEndpointCache(counting(rules.ResolveEndpoint, &calls), "Key", "Prefix", "CopySource")
	params := func(bucket, key string, pathStyle bool) s3.EndpointParameters {
		return s3.EndpointParameters{Region: aws.String("us-east-1"), Endpoint: aws.String("http://s3.local:4569"),
			Bucket: aws.String(bucket), Key: aws.String(key), ForcePathStyle: aws.Bool(pathStyle),
			UseFIPS: aws.Bool(false), UseDualStack: aws.Bool(false)}
	}
	tests := []struct {
		params    s3.EndpointParameters
		wantURI   string
		wantCalls int
	}{
		{params("results", "results/a.json", true), "http://s3.local:4569/results", 1},
		{params("results", "results/b.json", true), "http://s3.local:4569/results", 1},
		{params("other", "results/a.json", true), "http://s3.local:4569/other", 2},
		{params("results", "results/a.json", false), "http://results.s3.local:4569", 3},
		{params("results", "results/c.json", true), "http://s3.local:4569/results", 3},
	}
	for _, tc := range tests {
		got, err := c.ResolveEndpoint(t.Context(), tc.params)
		require.NoError(t, err)
		want, err := rules.ResolveEndpoint(t.Context(), tc.params)
		require.NoError(t, err)
		assert.Equal(t, want, got)
		assert.Equal(t, tc.wantURI, got.URI.String())
		assert.Equal(t, tc.wantCalls, calls, "rules run for %s", got.URI.String())
	}
}

// A nil parameter and an empty one are apart, and so are list elements.
func TestEndpointCacheKey(t *testing.T) {
	c := newEndpointCache(dynamodb.NewDefaultEndpointResolverV2().ResolveEndpoint)
	keys := map[string]bool{}
	for _, p := range []dynamodb.EndpointParameters{
		{},
		{Region: aws.String("")},
		{Region: aws.String("us-east-1")},
		{Region: aws.String("us-east-1"), ResourceArnList: []string{}},
		{Region: aws.String("us-east-1"), ResourceArnList: []string{"a,b"}},
		{Region: aws.String("us-east-1"), ResourceArnList: []string{"a", "b"}},
		{Region: aws.String("us-east-1"), UseFIPS: aws.Bool(false)},
		{Region: aws.String("us-east-1"), UseFIPS: aws.Bool(true)},
	} {
		k, ok := c.key(p)
		require.True(t, ok)
		assert.False(t, keys[k], "key %q twice", k)
		keys[k] = true
	}
}

// Parameters of a kind the key cannot spell out, and failed resolutions,
// go to the rules each time.
func TestEndpointCacheMisses(t *testing.T) {
	type params struct {
		Region *string
		Port   *int
	}
	calls := 0
	fail := errors.New("no endpoint")
	c := newEndpointCache(func(_ context.Context, p params) (smithyendpoints.Endpoint, error) {
		calls++
		if p.Port == nil {
			return smithyendpoints.Endpoint{}, fail
		}
		return smithyendpoints.Endpoint{}, nil
	})
	for range 2 {
		_, err := c.ResolveEndpoint(t.Context(), params{Region: aws.String("r"), Port: aws.Int(1)})
		require.NoError(t, err)
	}
	assert.Equal(t, 2, calls, "an *int is not cached")

	c2 := newEndpointCache(func(context.Context, struct{ Region *string }) (smithyendpoints.Endpoint, error) {
		calls++
		return smithyendpoints.Endpoint{}, fail
	})
	for range 2 {
		_, err := c2.ResolveEndpoint(t.Context(), struct{ Region *string }{})
		require.ErrorIs(t, err, fail)
	}
	assert.Equal(t, 4, calls, "an error is not cached")
}
