package function_test

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/function/catalog"
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

// functions are the project's Lambda functions, as serverless.yml declares
// them: a function added there is checked here without a list to extend.
func functions(t *testing.T) []catalog.Function {
	t.Helper()
	fns, err := catalog.Load("../..")
	require.NoError(t, err)
	require.NotEmpty(t, fns)
	return fns
}

func TestMainsDoNotLinkSlowInits(t *testing.T) {
	for _, fn := range functions(t) {
		t.Run(fn.Dir, func(t *testing.T) {
			deps := mainDeps(t, fn.Dir)
			for pkg, why := range notLinked {
				assert.NotContains(t, deps, pkg, why)
			}
		})
	}
}

// Each main links the service clients its handler calls, which its
// constructor's parameters declare (New(ctx, env, db *dynamodb.Client)), and
// no other: a client's package init (its endpoint tables above all) runs on
// every cold start, used or not. A main whose constructor takes no client
// (the authorizer) links no SDK at all.
func TestMainsLinkOnlyTheirClients(t *testing.T) {
	const sdk = "github.com/aws/aws-sdk-go-v2/"
	for _, fn := range functions(t) {
		t.Run(fn.Dir, func(t *testing.T) {
			var clients, sdkPkgs []string
			for _, d := range mainDeps(t, fn.Dir) {
				if strings.HasPrefix(d, sdk) {
					sdkPkgs = append(sdkPkgs, d)
				}
				// A service's client is its root package; others under it
				// (dynamodbstreams/types, through attributevalue) are not.
				if name, ok := strings.CutPrefix(d, catalog.ServicePrefix); ok && !strings.Contains(name, "/") {
					clients = append(clients, name)
				}
			}
			assert.ElementsMatch(t, fn.Clients(), clients, "cmd/%s links the service clients %s.New takes", fn.Dir, fn.PackageName)
			if len(fn.Clients()) == 0 {
				assert.Empty(t, sdkPkgs, "cmd/%s calls no AWS service", fn.Dir)
			}
		})
	}
}

// The tables the tests above derive agree with what each function is known
// to call, so a parsing slip cannot make them vacuous.
func TestCatalogClients(t *testing.T) {
	want := map[string][]string{
		"tracking":         {"dynamodb"},
		"status-update":    {"dynamodb"},
		"batch-simulation": {"s3", "dynamodb"},
		"job-result":       {"dynamodb", "s3"},
		"authorizer":       nil,
	}
	got := map[string][]string{}
	for _, fn := range functions(t) {
		got[fn.Dir] = fn.Clients()
	}
	for dir, clients := range want {
		assert.Contains(t, got, dir)
		assert.ElementsMatch(t, clients, got[dir], dir)
	}
}

// make build builds a zip for every function serverless.yml deploys: the
// Makefile reads the same artifact lines.
func TestMakeBuildsEveryFunction(t *testing.T) {
	cmd := exec.Command("make", "--no-print-directory", "-s", "-n", "-B", "build")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	require.NoError(t, err)
	built := regexp.MustCompile(`-o dist/([^/\s]+)/bootstrap \./cmd/([^\s]+)`).FindAllStringSubmatch(string(out), -1)
	var dirs []string
	for _, m := range built {
		assert.Equal(t, m[1], m[2], "dist/%s is built from cmd/%s", m[1], m[1])
		dirs = append(dirs, m[2])
	}
	var want []string
	for _, fn := range functions(t) {
		want = append(want, fn.Dir)
	}
	assert.ElementsMatch(t, want, dirs)
}
