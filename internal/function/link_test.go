package function_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// notLinked are packages the Lambda mains must not link: each one's
// package initialisation runs on every cold start (README, the aws-sdk-go-v2 row of "Dependencies, and why").
var notLinked = map[string]string{
	"github.com/aws/aws-sdk-go-v2/config": "build the aws.Config with awsenv.Config: config links and initialises the STS, SSO, SSO OIDC, sign-in and IMDS clients",
	// DynamoDB v1.69.0 and later build a schema of every shape of the API at
	// package init (0.4-0.5 ms, 3,150 allocations): go.mod stays on v1.68.0
	// until that is lazy or the table shows it is worth paying.
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas":        "service/dynamodb v1.69.0+ initialises every shape's schema at start-up (README, Dependencies)",
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/schemas": "service/dynamodbstreams v1.42.0+ (through attributevalue) initialises every shape's schema at start-up",
}

// mainDeps is what a Lambda main links, as the Makefile builds it.
func mainDeps(t *testing.T, main string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-tags", "lambda.norpc", "-deps", "../../cmd/"+main).Output()
	require.NoError(t, err)
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/aws/aws-lambda-go/lambda", "the list is the main's dependencies")
	return deps
}

func TestMainsDoNotLinkSlowInits(t *testing.T) {
	for _, main := range []string{"tracking", "batch-simulation", "status-update", "authorizer", "job-result"} {
		t.Run(main, func(t *testing.T) {
			deps := mainDeps(t, main)
			for pkg, why := range notLinked {
				assert.NotContains(t, deps, pkg, why)
			}
		})
	}
}

// Each main links the service clients its handler calls and no other: a
// client's package init (its endpoint tables above all) runs on every cold
// start, used or not. The authorizer calls no AWS service and links no SDK.
func TestMainsLinkOnlyTheirClients(t *testing.T) {
	const sdk, service = "github.com/aws/aws-sdk-go-v2/", "github.com/aws/aws-sdk-go-v2/service/"
	tests := []struct {
		main    string
		clients []string
	}{
		{"tracking", []string{"dynamodb"}},
		{"status-update", []string{"dynamodb"}},
		{"batch-simulation", []string{"s3"}},
		{"job-result", []string{"dynamodb", "s3"}},
		{"authorizer", nil},
	}
	for _, tc := range tests {
		t.Run(tc.main, func(t *testing.T) {
			var clients, sdkPkgs []string
			for _, d := range mainDeps(t, tc.main) {
				if strings.HasPrefix(d, sdk) {
					sdkPkgs = append(sdkPkgs, d)
				}
				// A service's client is its root package; others under it
				// (dynamodbstreams/types, through attributevalue) are not.
				if name, ok := strings.CutPrefix(d, service); ok && !strings.Contains(name, "/") {
					clients = append(clients, name)
				}
			}
			assert.ElementsMatch(t, tc.clients, clients, "cmd/%s links these service clients", tc.main)
			if tc.clients == nil {
				assert.Empty(t, sdkPkgs, "cmd/%s calls no AWS service", tc.main)
			}
		})
	}
}
