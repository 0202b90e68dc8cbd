// Package awsenv builds a Lambda main's aws.Config from the environment
// Lambda gives the function. It is a package of its own so that a function
// that calls no AWS service (the authorizer) does not link the SDK.
package awsenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/logging"
)

// Config is a Lambda main's aws.Config, read from the environment Lambda
// gives a function, as config.LoadDefaultConfig would resolve it there:
//   - region: AWS_REGION, else AWS_DEFAULT_REGION;
//   - credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
//     AWS_SESSION_TOKEN (the execution role's, which Lambda sets), with
//     AWS_ACCOUNT_ID, behind the same credentials cache;
//   - endpoints: AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> (the local
//     runtime's process mode points DynamoDB and S3 there), unless
//     AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true; AWS_USE_FIPS_ENDPOINT,
//     AWS_USE_DUALSTACK_ENDPOINT;
//   - retries: AWS_MAX_ATTEMPTS and AWS_RETRY_MODE, else each client's
//     standard retryer, as with LoadDefaultConfig;
//   - AWS_SDK_UA_APP_ID; and LoadDefaultConfig's defaults for the rest.
//
// It does not import github.com/aws/aws-sdk-go-v2/config: that package
// links and initialises the STS, SSO, SSO OIDC, sign-in and IMDS clients for
// credential sources a Lambda function never uses, which took about as long
// as the rest of a cold start. Settings it cannot honour (AWS_PROFILE,
// AWS_CA_BUNDLE, AWS_DEFAULTS_MODE) are refused with an error rather than
// ignored; without keys in the environment, so are the credential sources
// the SDK would try next (web identity, container credentials, IMDS).
func Config(getenv func(string) string) (aws.Config, error) {
	for _, k := range unsupportedAWSEnv {
		if getenv(k) != "" {
			return aws.Config{}, fmt.Errorf("aws config: %s is set: a Lambda main reads its credentials and settings from the environment only (awsenv.Config)", k)
		}
	}
	region := first(getenv, "AWS_REGION", "AWS_DEFAULT_REGION")
	if region == "" {
		return aws.Config{}, errors.New("aws config: AWS_REGION is not set (Lambda sets it)")
	}
	creds := aws.Credentials{
		AccessKeyID:     first(getenv, "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"),
		SecretAccessKey: first(getenv, "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"),
		SessionToken:    getenv("AWS_SESSION_TOKEN"),
		AccountID:       getenv("AWS_ACCOUNT_ID"),
		Source:          "EnvConfigCredentials", // as config.NewEnvConfig names them
	}
	if !creds.HasKeys() {
		return aws.Config{}, errors.New("aws config: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (Lambda sets the execution role's; " +
			"web identity, container and instance credentials need github.com/aws/aws-sdk-go-v2/config)")
	}
	src := envSource{getenv: getenv}
	var err error
	if src.ignoreEndpoints, err = envBool(getenv, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"); err != nil {
		return aws.Config{}, err
	}
	if src.fips, err = envBool(getenv, "AWS_USE_FIPS_ENDPOINT"); err != nil {
		return aws.Config{}, err
	}
	if src.dualStack, err = envBool(getenv, "AWS_USE_DUALSTACK_ENDPOINT"); err != nil {
		return aws.Config{}, err
	}
	cfg := aws.Config{
		Region: region,
		Credentials: aws.NewCredentialsCache(credentials.StaticCredentialsProvider{Value: creds,
			Source: []aws.CredentialSource{aws.CredentialSourceEnvVars}}),
		Logger:                      logging.NewStandardLogger(os.Stderr),
		ConfigSources:               []any{src},
		AppID:                       getenv("AWS_SDK_UA_APP_ID"),
		DefaultsMode:                aws.DefaultsModeLegacy,
		RequestMinCompressSizeBytes: 10240,
		AccountIDEndpointMode:       aws.AccountIDEndpointModePreferred,
		RequestChecksumCalculation:  aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation:  aws.ResponseChecksumValidationWhenSupported,
		RestrictFilePermissions:     aws.RestrictFilePermissionsUserReadWrite,
	}
	if v := getenv("AWS_ENDPOINT_URL"); v != "" && !src.ignoreEndpoints {
		cfg.BaseEndpoint = aws.String(v)
	}
	if v := getenv("AWS_MAX_ATTEMPTS"); v != "" {
		if cfg.RetryMaxAttempts, err = strconv.Atoi(v); err != nil {
			return aws.Config{}, fmt.Errorf("aws config: AWS_MAX_ATTEMPTS=%s: %w", v, err)
		}
	}
	if v := getenv("AWS_RETRY_MODE"); v != "" {
		if cfg.RetryMode, err = aws.ParseRetryMode(v); err != nil {
			return aws.Config{}, fmt.Errorf("aws config: AWS_RETRY_MODE: %w", err)
		}
	}
	return cfg, nil
}

// unsupportedAWSEnv are settings Config cannot honour without the
// config package. (With keys in the environment, the SDK itself ignores web
// identity and container credentials, and so does Config.)
var unsupportedAWSEnv = [...]string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CA_BUNDLE", "AWS_DEFAULTS_MODE"}

// envSource is the aws.Config.ConfigSources entry the service clients ask
// for per-service endpoints, FIPS and dual-stack (the interfaces of the
// SDK's internal/configsources, which config.EnvConfig implements too).
type envSource struct {
	getenv                           func(string) string
	ignoreEndpoints, fips, dualStack bool
}

// GetServiceBaseEndpoint reads AWS_ENDPOINT_URL_<SDK ID>, the SDK ID upper
// case with spaces as underscores (DynamoDB: AWS_ENDPOINT_URL_DYNAMODB).
func (s envSource) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	v := s.getenv("AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_"))
	return v, v != "", nil
}

// GetIgnoreConfiguredEndpoints reports AWS_IGNORE_CONFIGURED_ENDPOINT_URLS.
func (s envSource) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	return s.ignoreEndpoints, s.ignoreEndpoints, nil
}

// GetUseFIPSEndpoint reports AWS_USE_FIPS_ENDPOINT.
func (s envSource) GetUseFIPSEndpoint(context.Context) (aws.FIPSEndpointState, bool, error) {
	if !s.fips {
		return aws.FIPSEndpointStateUnset, false, nil
	}
	return aws.FIPSEndpointStateEnabled, true, nil
}

// GetUseDualStackEndpoint reports AWS_USE_DUALSTACK_ENDPOINT.
func (s envSource) GetUseDualStackEndpoint(context.Context) (aws.DualStackEndpointState, bool, error) {
	if !s.dualStack {
		return aws.DualStackEndpointStateUnset, false, nil
	}
	return aws.DualStackEndpointStateEnabled, true, nil
}

// first is the first of the variables that is set.
func first(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// envBool reads a true/false variable as the SDK does (case-insensitive);
// unset is false.
func envBool(getenv func(string) string, name string) (bool, error) {
	switch v := strings.ToLower(getenv(name)); v {
	case "":
		return false, nil
	case "true", "false":
		return v == "true", nil
	default:
		return false, fmt.Errorf("aws config: %s=%s: want true or false", name, getenv(name))
	}
}
