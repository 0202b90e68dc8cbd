// Package sqs is the local runtime's Amazon SQS: queues held in memory,
// served over SQS's AWS JSON 1.0 protocol (what current SDKs, boto3 and the
// AWS CLI speak) by Handler, and called in-process through Service's
// methods by the other emulated services (SNS deliveries, Step Functions'
// sqs:sendMessage).
//
// The inputs and outputs are SQS's own shapes with the wire's PascalCase
// names, so the handler decodes a request straight into them and a state
// machine's Parameters unmarshal into them unchanged. Errors are *Error,
// named as AWS names them (Code: "QueueDoesNotExist"), with the query
// protocol's code that SQS sends beside it (QueryCode:
// "AWS.SimpleQueueService.NonExistentQueue").
//
// Covered: CreateQueue, GetQueueUrl, ListQueues, GetQueueAttributes,
// SetQueueAttributes, DeleteQueue, PurgeQueue, TagQueue, UntagQueue,
// ListQueueTags, SendMessage, SendMessageBatch, ReceiveMessage (long polls
// included), DeleteMessage, DeleteMessageBatch, ChangeMessageVisibility and
// ChangeMessageVisibilityBatch; standard and FIFO queues (message groups,
// deduplication), delays, visibility timeouts, retention and redrive to a
// dead-letter queue. Not covered: permissions, KMS, message move tasks and
// the query protocol; signatures are not checked.
package sqs
