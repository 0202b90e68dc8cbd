// Package console is the local web console: the state machines, their
// executions and each execution's graph and history, as the AWS Step
// Functions console shows them, for the local runtime (and any account the
// given client reaches).
//
// It reads everything through the Step Functions API (API: the
// aws-sdk-go-v2 client's signatures), so it works against the local engine's
// JSON 1.0 endpoint and against AWS alike; optionally the job's DynamoDB
// record (JobRecords) and a link to its result object (Config.ResultURL).
//
//	mux.Handle("/console/", console.New(console.Config{StepFunctions: sfnClient}))
//
// Pages are rendered on the server with html/template; the graph is inline
// SVG laid out in Go (layout.go: a layered, Sugiyama-style layout with
// Parallel branches and Map processors as nested boxes). A small script
// refreshes open pages by polling HTML fragments (the same templates) and
// shows a state's details without a reload; without it, every state is a
// plain link. The assets are embedded (go:embed) and nothing is fetched
// from the network.
//
// The pages, relative to the mount path:
//
//	./                          state machines and their latest executions
//	state-machine?arn=&status=  the definition's graph; executions, filtered by status, live
//	execution?arn=&state=       one execution: the graph coloured from the history, the
//	                            selected state's input, output, error and retries, the
//	                            event history, the job record and result link
//	test-state?arn=&state=&event=
//	                            "Test this state": a form pre-filled from one visit of the
//	                            state (its recorded input, the variables in scope, the
//	                            context object); posted, it calls TestState with the whole
//	                            definition and stateName and shows the inspection data
//	                            step by step (teststate.go)
//
// A state's colour comes from the history (trace.go): succeeded, retried
// (succeeded after retries), caught (failed, then a Catcher moved on),
// failed, running, stopped (open when the execution was aborted or timed
// out) or not reached; each also has an icon and a word.
package console
