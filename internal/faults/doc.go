// Package faults injects failures into the local runtime (stepjobs-local's
// --fault, --fault-store and --fault-seed), for tests and demos of the
// service's failure handling.
//
// Task faults (NewInvoker) wrap a Lambda function's invoker as the state
// machine calls it: a Lambda service error, a hang until the state's
// timeout, an answer lost after the handler ran, or added latency. Store
// faults (HTTPClient) wrap the HTTP transport of the functions' DynamoDB and
// S3 clients, under the SDK's own retries: a 500, a 503 or a connection
// reset with the store's own error document, or added latency. Decisions
// are seeded, so a run can be repeated.
//
// It does not emulate AWS's fault injection service, throttling of a
// function's concurrency, partial writes, or faults in the EventBridge
// rules' deliveries (EventBridge is not the state machine); internal/offline
// decides where the faults apply.
package faults
