// Package eventbridge emulates, for the local runtime, the EventBridge
// rules of serverless.yml's functions and the asynchronous Lambda
// invocation that delivers their events, and the AWS::Events::Rule
// resources whose target is an SQS queue (the callback rule), whose events
// go to that queue whole (DeliverToQueues; the function behind the queue
// is internal/eventsource's).
//
// Rules takes the engine's status changes (Observe, an sfn.Engine
// subscriber) and turns each into the "Step Functions Execution Status
// Change" event AWS puts on the default bus. Every rule whose event pattern
// matches (equality, prefix, suffix, wildcard, anything-but, exists) delivers it,
// through its input transformer, to its function once. A failed invocation
// is retried as Lambda retries an asynchronous one (maximumRetryAttempts,
// with a doubling delay), then handed to the function's on-failure
// destination, whose local stand-in, a dead-letter queue, redrives it at a
// bounded rate until it is recorded or refused for good (Parked). A queue
// target that refuses the event is retried twice, then the event is
// dropped, logged. With a data directory a ledger (LedgerFile) notes each completed delivery, so a
// restart delivers again only what a stop or crash cut short (Redeliver).
//
// It does not emulate other buses or event sources, scheduled rules, the
// numeric and cidr content filters, JSONPaths beyond $.a.b in an input
// transformer, a rule's own dead-letter queue (the local hand-over to Lambda
// does not fail), or archives and replays. internal/offline subscribes it
// to the engine and gives it the functions' invokers.
package eventbridge
