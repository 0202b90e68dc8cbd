package auth_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/asyncjobs/stepjobs/internal/auth"
)

// The owner prefix a caller's job names start with.
func ExampleOwnerPrefix() {
	fmt.Println(auth.OwnerPrefix([]byte("secret"), "https://issuer.example.com", "user-1"))
	// Output: 2d4f144195b4dd95
}

// The resource an Allow or Deny covers: every route of the stage, so a
// cached answer is right for the next route the token calls.
func ExampleStageResource() {
	r, err := auth.StageResource("arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/POST/start-execution")
	fmt.Println(r, err)
	// Output: arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*/* <nil>
}

// A local runtime: a dev issuer mints a token, and the real authorizer
// verifies it (here in-process; over HTTP, serve the issuer at JWKSPath and
// use NewKeySet).
func ExampleDevIssuer() {
	dev, err := auth.NewDevIssuer("http://localhost:8085", "stepjobs-local")
	if err != nil {
		panic(err)
	}
	token, err := dev.Mint("dev-user", time.Hour, nil)
	if err != nil {
		panic(err)
	}
	v, err := auth.NewVerifier(dev.Config(), dev.Keyfunc())
	if err != nil {
		panic(err)
	}
	resp, err := auth.NewAuthorizer(v).Handle(context.Background(), events.APIGatewayCustomAuthorizerRequest{
		Type: "TOKEN", AuthorizationToken: "Bearer " + token,
		MethodArn: "arn:aws:execute-api:us-east-1:000000000000:local/dev/GET/jobs/x/result",
	})
	fmt.Println(resp.PrincipalID, resp.PolicyDocument.Statement[0].Effect, resp.Context["ownerPrefix"], err)
	// Output: dev-user Allow 83f0652118a1d726 <nil>
}
