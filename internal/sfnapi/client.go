package sfnapi

import (
	"context"

	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// NoHostPrefix is an option for an aws-sdk-go-v2 Step Functions client
// pointed at this API on a loopback address (BaseEndpoint): the SDK sends
// StartSyncExecution and TestState to a "sync-" prefixed host, a name a
// local address does not have, and this turns the prefix off.
//
//	awssfn.New(awssfn.Options{BaseEndpoint: aws.String(url), ...}, sfnapi.NoHostPrefix)
func NoHostPrefix(o *awssfn.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("NoHostPrefix",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
			}), middleware.Before)
	})
}
