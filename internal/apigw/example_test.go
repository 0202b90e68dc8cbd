package apigw_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/asyncjobs/stepjobs/internal/apigw"
	"github.com/asyncjobs/stepjobs/internal/offline"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
)

// Example shows how the local runtime wires the gateway: load
// serverless.yml, answer its CloudFormation references with local names and
// ARNs, convert its routes into the gateway's model, build the gateway over
// an Integration (the local Step Functions API), and mount it.
func Example() {
	svc, err := slsconfig.Load(slsconfig.Options{Dir: "testdata/example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	machineARN := "arn:aws:states:" + svc.Region + ":" + svc.AccountID + ":stateMachine:" + svc.StateMachines[0].Name
	lookup := slsconfig.MapLookup{Refs: map[string]string{svc.StateMachines[0].LogicalID: machineARN}}
	svcRoutes, err := svc.Routes(lookup)
	if err != nil {
		fmt.Println(err)
		return
	}
	svcGwResponses, err := svc.GatewayResponses(lookup)
	if err != nil {
		fmt.Println(err)
		return
	}
	// serverless.yml's routes in the gateway's model.
	routes, gwResponses := offline.GatewayRoutes(svcRoutes, svcGwResponses)
	// The runtime calls its sfn API handler with X-Amz-Target
	// AWSStepFunctions.<action>; this stand-in answers StartExecution.
	sfn := apigw.IntegrationFunc(func(_ context.Context, action string, body []byte) (int, []byte, error) {
		fmt.Printf("%s %s\n", action, strings.TrimSpace(string(body)))
		return 200, []byte(`{"executionArn":"arn:aws:states:us-east-1:000000000000:execution:demo:1","startDate":1.5}`), nil
	})
	gw, err := apigw.New(apigw.Config{
		Stage: svc.Stage, Routes: routes, GatewayResponses: gwResponses, Integration: sfn,
		Logger:       slog.New(slog.NewJSONHandler(io.Discard, nil)),
		NewRequestID: func() string { return "req-1" },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/", gw) // serves /<stage>/...
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/dev/jobs", "application/json", strings.NewReader(`{"n":1}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// StartExecution {"input": "{\"n\":1}", "name": "req-1", "stateMachineArn":"arn:aws:states:us-east-1:000000000000:stateMachine:demo-dev-jobs"}
	// 200 {"executionArn":"arn:aws:states:us-east-1:000000000000:execution:demo:1","startDate":1.5}
}
