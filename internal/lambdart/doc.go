// Package lambdart runs Lambda functions' real bootstrap binaries on this
// machine: it serves the Lambda Runtime API (2018-06-01: invocation/next,
// invocation/{id}/response, invocation/{id}/error, init/error) on loopback
// and keeps a warm pool of bootstrap processes per function, so the local
// runtime can run the very binaries that are deployed instead of calling
// their handlers in-process.
//
// Each process gets a Runtime API of its own (its own loopback port, as
// each Lambda sandbox has its own), so an invocation is always answered by
// the process it was handed to, and a process that overruns its timeout
// can be killed without touching the others. It is the project's one
// Runtime API: internal/job/jobtest serves it to the Lambda mains' tests.
//
// Errors are reported as Lambda reports them, as
// messages.InvokeResponse_Error, which internal/sfn names exactly as it
// names an in-process handler's error:
//   - a handler error: the errorType and errorMessage the runtime posted
//     (aws-lambda-go names an error by its Go type);
//   - a timeout: Sandbox.Timedout, "RequestId: <id> Error: Task timed out
//     after <n>.00 seconds"; the process is killed and replaced;
//   - a process that exits mid-invocation: Runtime.ExitError, "RequestId:
//     <id> Error: Runtime exited with error: exit status <n>";
//   - an init failure (init/error, or an exit before the first
//     invocation/next): the posted errorType, else Runtime.ExitError.
//
// Not emulated: memory limits, the init phase's billing split, extensions,
// response streaming, and the 10-second init limit is applied as a bound
// on start-up only.
package lambdart
