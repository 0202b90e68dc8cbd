package awsenv

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lambdaEnv is what Lambda sets for a function (the AWS part of it).
var lambdaEnv = map[string]string{"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1",
	"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"}

func with(base map[string]string, kv ...string) map[string]string {
	m := map[string]string{}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(m, kv[i])
			continue
		}
		m[kv[i]] = kv[i+1]
	}
	return m
}

// clientView is what the two configurations are compared on: the options
// the DynamoDB and S3 clients end up with, and the credentials they sign
// with.
type clientView struct {
	Region, DynamoDBEndpoint, S3Endpoint string
	Creds                                aws.Credentials
	MaxAttempts                          int
	RetryMode                            aws.RetryMode
	AppID                                string
	DefaultsMode                         aws.DefaultsMode
	AccountIDEndpointMode                aws.AccountIDEndpointMode
	FIPS                                 aws.FIPSEndpointState
	DualStack                            aws.DualStackEndpointState
	RequestChecksum                      aws.RequestChecksumCalculation
	ResponseChecksum                     aws.ResponseChecksumValidation
}

func view(t *testing.T, cfg aws.Config) clientView {
	t.Helper()
	ddb := dynamodb.NewFromConfig(cfg).Options()
	s := s3.NewFromConfig(cfg).Options()
	creds, err := ddb.Credentials.Retrieve(context.Background())
	require.NoError(t, err)
	creds.Expires = creds.Expires.UTC()
	// Unset and disabled resolve endpoints alike; the SDK's env config says
	// "disabled" for an explicit false, Config leaves it unset.
	fips, dual := ddb.EndpointOptions.UseFIPSEndpoint, ddb.EndpointOptions.UseDualStackEndpoint
	if fips != aws.FIPSEndpointStateEnabled {
		fips = aws.FIPSEndpointStateUnset
	}
	if dual != aws.DualStackEndpointStateEnabled {
		dual = aws.DualStackEndpointStateUnset
	}
	return clientView{Region: ddb.Region, DynamoDBEndpoint: aws.ToString(ddb.BaseEndpoint), S3Endpoint: aws.ToString(s.BaseEndpoint),
		Creds: creds, MaxAttempts: ddb.Retryer.MaxAttempts(), RetryMode: ddb.RetryMode, AppID: ddb.AppID, DefaultsMode: ddb.DefaultsMode,
		AccountIDEndpointMode: ddb.AccountIDEndpointMode, FIPS: fips, DualStack: dual,
		RequestChecksum: s.RequestChecksumCalculation, ResponseChecksum: s.ResponseChecksumValidation}
}

// In every environment a Lambda function can have, Config gives the
// clients what config.LoadDefaultConfig gives them.
func TestConfigMatchesLoadDefaultConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"lambda", lambdaEnv},
		{"no session token, account id", with(lambdaEnv, "AWS_SESSION_TOKEN", "", "AWS_ACCOUNT_ID", "123456789012")},
		{"default region only", with(lambdaEnv, "AWS_REGION", "", "AWS_DEFAULT_REGION", "us-west-2")},
		{"old key names", with(lambdaEnv, "AWS_ACCESS_KEY_ID", "", "AWS_SECRET_ACCESS_KEY", "", "AWS_ACCESS_KEY", "old", "AWS_SECRET_KEY", "oldsecret")},
		{"local runtime's endpoints", with(lambdaEnv, "AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000", "AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000")},
		{"global endpoint", with(lambdaEnv, "AWS_ENDPOINT_URL", "http://127.0.0.1:4566")},
		{"global and one service endpoint", with(lambdaEnv, "AWS_ENDPOINT_URL", "http://127.0.0.1:4566", "AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000")},
		{"endpoints ignored", with(lambdaEnv, "AWS_ENDPOINT_URL", "http://a:1", "AWS_ENDPOINT_URL_DYNAMODB", "http://b:2", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE")},
		{"retries", with(lambdaEnv, "AWS_MAX_ATTEMPTS", "7", "AWS_RETRY_MODE", "adaptive")},
		{"retry mode only", with(lambdaEnv, "AWS_RETRY_MODE", "standard")},
		{"fips and dual stack", with(lambdaEnv, "AWS_USE_FIPS_ENDPOINT", "true", "AWS_USE_DUALSTACK_ENDPOINT", "true")},
		{"fips off", with(lambdaEnv, "AWS_USE_FIPS_ENDPOINT", "false")},
		{"app id", with(lambdaEnv, "AWS_SDK_UA_APP_ID", "stepjobs")},
		{"keys win over web identity and container credentials", with(lambdaEnv, "AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent",
			"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/creds")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clearAWSEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			want, err := config.LoadDefaultConfig(context.Background())
			require.NoError(t, err)
			got, err := Config(os.Getenv)
			require.NoError(t, err)
			assert.Equal(t, view(t, want), view(t, got))
		})
	}
}

// clearAWSEnv unsets every AWS_ variable for the test and keeps the SDK off
// this machine's files and instance metadata.
func clearAWSEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		for i := range len(kv) {
			if kv[i] == '=' {
				if k := kv[:i]; len(k) > 4 && k[:4] == "AWS_" {
					t.Setenv(k, "")
					require.NoError(t, os.Unsetenv(k))
				}
				break
			}
		}
	}
	t.Setenv("HOME", t.TempDir())
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, want string
		env        map[string]string
	}{
		{"no region", "AWS_REGION is not set", with(lambdaEnv, "AWS_REGION", "", "AWS_DEFAULT_REGION", "")},
		{"no credentials", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set", with(lambdaEnv, "AWS_ACCESS_KEY_ID", "", "AWS_SECRET_ACCESS_KEY", "")},
		{"no secret", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set", with(lambdaEnv, "AWS_SECRET_ACCESS_KEY", "")},
		{"a profile", "AWS_PROFILE is set", with(lambdaEnv, "AWS_PROFILE", "dev")},
		{"CA bundle", "AWS_CA_BUNDLE is set", with(lambdaEnv, "AWS_CA_BUNDLE", "/ca.pem")},
		{"web identity without keys", "web identity, container and instance credentials need",
			with(lambdaEnv, "AWS_ACCESS_KEY_ID", "", "AWS_SECRET_ACCESS_KEY", "", "AWS_WEB_IDENTITY_TOKEN_FILE", "/t")},
		{"bad max attempts", "AWS_MAX_ATTEMPTS=many", with(lambdaEnv, "AWS_MAX_ATTEMPTS", "many")},
		{"bad retry mode", "AWS_RETRY_MODE", with(lambdaEnv, "AWS_RETRY_MODE", "eager")},
		{"bad switch", "AWS_USE_FIPS_ENDPOINT=yes: want true or false", with(lambdaEnv, "AWS_USE_FIPS_ENDPOINT", "yes")},
		{"bad ignore switch", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=1", with(lambdaEnv, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "1")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Config(env(tc.env))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}
