// Package sns is the local runtime's Amazon SNS: topics and subscriptions
// held in memory, served over SNS's query protocol (form-encoded
// Action=..., XML answers, what SDKs, boto3 and the AWS CLI speak) by
// Handler, and called in-process through Service's methods (Step
// Functions' sns:publish).
//
// Subscriptions deliver to queues of the local SQS (internal/sqs), either
// SNS's JSON notification envelope or, with RawMessageDelivery, the message
// itself with its attributes. Other protocols (http, email, lambda, ...)
// are refused at Subscribe with an error that says so.
//
// Covered: CreateTopic, DeleteTopic, ListTopics, GetTopicAttributes,
// SetTopicAttributes, Subscribe, Unsubscribe, ListSubscriptions,
// ListSubscriptionsByTopic, GetSubscriptionAttributes,
// SetSubscriptionAttributes, Publish and PublishBatch; FIFO topics
// (message groups, deduplication ids passed on to FIFO queues) and
// MessageStructure json. Not covered: filter policies (refused), delivery
// retries and subscription dead-letter queues, tags beyond CreateTopic's,
// platform applications and SMS; the envelope's Signature is not a real
// one.
package sns
