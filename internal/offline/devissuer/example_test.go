package devissuer_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/asyncjobs/stepjobs/internal/auth"
	"github.com/asyncjobs/stepjobs/internal/offline/devissuer"
)

// A local runtime: a dev issuer mints a token, and the real authorizer
// verifies it (here in-process; over HTTP, serve the issuer at auth.JWKSPath
// and use auth.NewKeySet).
func Example() {
	dev, err := devissuer.New("http://localhost:8085", "stepjobs-local")
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
