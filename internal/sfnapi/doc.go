// Package sfnapi is the Step Functions AWS JSON 1.0 protocol in front of
// the local engine (internal/sfn), so the AWS SDK and CLI can drive it on
// loopback: point an SDK client's BaseEndpoint at Handler.
//
//	eng := sfn.New(sfn.Config{Invokers: reg})
//	http.Handle("/", sfnapi.Handler(eng))
//
// Handler dispatches on X-Amz-Target ("AWSStepFunctions.<Operation>"),
// decodes the request, calls the engine's public operation and encodes its
// result as AWS does (dates as epoch seconds, paging with maxResults and
// nextToken). Errors are {"__type": code, "message": text} with
// X-Amzn-ErrorType and AWS's HTTP status: the engine's *sfn.APIError
// passes through as it is; anything else is logged on the engine's logger
// and answered as an InternalFailure.
//
// What only the protocol does: it checks roleArn as an IAM role ARN (the
// engine's Go methods take any role), validates statusFilter, maxResults
// and nextToken, and serves GetExecutionHistory (paging, reverseOrder,
// includeExecutionData) and StartSyncExecution (EXPRESS machines only, as
// on AWS). GetActivityTask holds the request for up to 60 s of the
// engine's clock and answers {} (no taskToken) when no task came; a
// client that hangs up ends the poll. Request signatures are accepted without checking, as other
// local emulators do. StartSyncExecution (and TestState) carry the SDK's
// "sync-" host prefix: clients need NoHostPrefix (DisableEndpointHostPrefix,
// or a transport that strips it) to reach a loopback address.
//
// TestState checks a given roleArn as CreateStateMachine does and passes
// the rest to (*sfn.Engine).TestState; teststate_test.go compares its
// answers with AWS's, as LocalStack recorded them.
//
// TestAPICases replays the API cases recorded on AWS
// (../shared/conformance/sfn/api-cases.json); `make conformance` prints
// its count.
package sfnapi
