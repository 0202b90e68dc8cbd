package function

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// notLinked are packages the Lambda mains must not link: each one's
// package initialisation runs on every cold start (README, "Cold start").
var notLinked = map[string]string{
	"github.com/aws/aws-sdk-go-v2/config": "build the aws.Config with function.AWSConfig: config links and initialises the STS, SSO, SSO OIDC, sign-in and IMDS clients",
	// DynamoDB v1.69.0 and later build a schema of every shape of the API at
	// package init (0.4-0.5 ms, 3,150 allocations): go.mod stays on v1.68.0
	// until that is lazy or the table shows it is worth paying.
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas":        "service/dynamodb v1.69.0+ initialises every shape's schema at start-up (README, Cold start)",
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/schemas": "service/dynamodbstreams v1.42.0+ (through attributevalue) initialises every shape's schema at start-up",
}

func TestMainsDoNotLinkSlowInits(t *testing.T) {
	for _, main := range []string{"tracking", "batch-simulation", "status-update", "authorizer", "job-result"} {
		t.Run(main, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-tags", "lambda.norpc", "-deps", "../../cmd/"+main).Output()
			require.NoError(t, err)
			deps := strings.Fields(string(out))
			require.Contains(t, deps, "github.com/aws/aws-lambda-go/lambda", "the list is the main's dependencies")
			for pkg, why := range notLinked {
				assert.NotContains(t, deps, pkg, why)
			}
		})
	}
}
