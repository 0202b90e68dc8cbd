package sqs

// The request and response shapes, with SQS's wire names: the JSON
// protocol's bodies decode into the inputs and encode from the outputs.
// Optional numbers are pointers, as "absent" and 0 differ.

// MessageAttributeValue is a message attribute: DataType is String, Number
// or Binary, optionally with a custom suffix ("Number.float").
type MessageAttributeValue struct {
	DataType         string   `json:"DataType"`
	StringValue      *string  `json:"StringValue,omitempty"`
	BinaryValue      []byte   `json:"BinaryValue,omitempty"`
	StringListValues []string `json:"StringListValues,omitempty"`
	BinaryListValues [][]byte `json:"BinaryListValues,omitempty"`
}

// CreateQueueInput is CreateQueue's request.
type CreateQueueInput struct {
	QueueName  string            `json:"QueueName"`
	Attributes map[string]string `json:"Attributes,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
}

// CreateQueueOutput is CreateQueue's response.
type CreateQueueOutput struct {
	QueueUrl string `json:"QueueUrl"`
}

// GetQueueUrlInput is GetQueueUrl's request.
type GetQueueUrlInput struct {
	QueueName              string `json:"QueueName"`
	QueueOwnerAWSAccountId string `json:"QueueOwnerAWSAccountId,omitempty"`
}

// GetQueueUrlOutput is GetQueueUrl's response.
type GetQueueUrlOutput struct {
	QueueUrl string `json:"QueueUrl"`
}

// ListQueuesInput is ListQueues' request.
type ListQueuesInput struct {
	QueueNamePrefix string `json:"QueueNamePrefix,omitempty"`
	MaxResults      *int   `json:"MaxResults,omitempty"`
	NextToken       string `json:"NextToken,omitempty"`
}

// ListQueuesOutput is ListQueues' response.
type ListQueuesOutput struct {
	QueueUrls []string `json:"QueueUrls,omitempty"`
	NextToken string   `json:"NextToken,omitempty"`
}

// QueueInput names a queue: the request of DeleteQueue, PurgeQueue and
// ListQueueTags.
type QueueInput struct {
	QueueUrl string `json:"QueueUrl"`
}

// GetQueueAttributesInput is GetQueueAttributes' request.
type GetQueueAttributesInput struct {
	QueueUrl       string   `json:"QueueUrl"`
	AttributeNames []string `json:"AttributeNames,omitempty"`
}

// GetQueueAttributesOutput is GetQueueAttributes' response.
type GetQueueAttributesOutput struct {
	Attributes map[string]string `json:"Attributes,omitempty"`
}

// SetQueueAttributesInput is SetQueueAttributes' request.
type SetQueueAttributesInput struct {
	QueueUrl   string            `json:"QueueUrl"`
	Attributes map[string]string `json:"Attributes"`
}

// TagQueueInput is TagQueue's request.
type TagQueueInput struct {
	QueueUrl string            `json:"QueueUrl"`
	Tags     map[string]string `json:"Tags"`
}

// UntagQueueInput is UntagQueue's request.
type UntagQueueInput struct {
	QueueUrl string   `json:"QueueUrl"`
	TagKeys  []string `json:"TagKeys"`
}

// ListQueueTagsOutput is ListQueueTags' response.
type ListQueueTagsOutput struct {
	Tags map[string]string `json:"Tags,omitempty"`
}

// SendMessageInput is SendMessage's request.
type SendMessageInput struct {
	QueueUrl                string                           `json:"QueueUrl"`
	MessageBody             string                           `json:"MessageBody"`
	DelaySeconds            *int                             `json:"DelaySeconds,omitempty"`
	MessageAttributes       map[string]MessageAttributeValue `json:"MessageAttributes,omitempty"`
	MessageSystemAttributes map[string]MessageAttributeValue `json:"MessageSystemAttributes,omitempty"`
	MessageDeduplicationId  string                           `json:"MessageDeduplicationId,omitempty"`
	MessageGroupId          string                           `json:"MessageGroupId,omitempty"`
}

// SendMessageOutput is SendMessage's response.
type SendMessageOutput struct {
	MessageId                    string `json:"MessageId"`
	MD5OfMessageBody             string `json:"MD5OfMessageBody"`
	MD5OfMessageAttributes       string `json:"MD5OfMessageAttributes,omitempty"`
	MD5OfMessageSystemAttributes string `json:"MD5OfMessageSystemAttributes,omitempty"`
	SequenceNumber               string `json:"SequenceNumber,omitempty"`
}

// SendMessageBatchRequestEntry is one message of SendMessageBatch.
type SendMessageBatchRequestEntry struct {
	Id                      string                           `json:"Id"`
	MessageBody             string                           `json:"MessageBody"`
	DelaySeconds            *int                             `json:"DelaySeconds,omitempty"`
	MessageAttributes       map[string]MessageAttributeValue `json:"MessageAttributes,omitempty"`
	MessageSystemAttributes map[string]MessageAttributeValue `json:"MessageSystemAttributes,omitempty"`
	MessageDeduplicationId  string                           `json:"MessageDeduplicationId,omitempty"`
	MessageGroupId          string                           `json:"MessageGroupId,omitempty"`
}

// SendMessageBatchInput is SendMessageBatch's request.
type SendMessageBatchInput struct {
	QueueUrl string                         `json:"QueueUrl"`
	Entries  []SendMessageBatchRequestEntry `json:"Entries"`
}

// SendMessageBatchResultEntry is a message SendMessageBatch sent.
type SendMessageBatchResultEntry struct {
	Id string `json:"Id"`
	SendMessageOutput
}

// BatchResultErrorEntry is an entry a batch action failed.
type BatchResultErrorEntry struct {
	Id          string `json:"Id"`
	Code        string `json:"Code"`
	Message     string `json:"Message,omitempty"`
	SenderFault bool   `json:"SenderFault"`
}

// SendMessageBatchOutput is SendMessageBatch's response.
type SendMessageBatchOutput struct {
	Successful []SendMessageBatchResultEntry `json:"Successful"`
	Failed     []BatchResultErrorEntry       `json:"Failed"`
}

// ReceiveMessageInput is ReceiveMessage's request. AttributeNames is the
// deprecated spelling of MessageSystemAttributeNames; both are honoured.
type ReceiveMessageInput struct {
	QueueUrl                    string   `json:"QueueUrl"`
	AttributeNames              []string `json:"AttributeNames,omitempty"`
	MessageSystemAttributeNames []string `json:"MessageSystemAttributeNames,omitempty"`
	MessageAttributeNames       []string `json:"MessageAttributeNames,omitempty"`
	MaxNumberOfMessages         *int     `json:"MaxNumberOfMessages,omitempty"`
	VisibilityTimeout           *int     `json:"VisibilityTimeout,omitempty"`
	WaitTimeSeconds             *int     `json:"WaitTimeSeconds,omitempty"`
	ReceiveRequestAttemptId     string   `json:"ReceiveRequestAttemptId,omitempty"`
}

// Message is a received message.
type Message struct {
	MessageId              string                           `json:"MessageId"`
	ReceiptHandle          string                           `json:"ReceiptHandle"`
	MD5OfBody              string                           `json:"MD5OfBody"`
	Body                   string                           `json:"Body"`
	Attributes             map[string]string                `json:"Attributes,omitempty"`
	MD5OfMessageAttributes string                           `json:"MD5OfMessageAttributes,omitempty"`
	MessageAttributes      map[string]MessageAttributeValue `json:"MessageAttributes,omitempty"`
}

// ReceiveMessageOutput is ReceiveMessage's response.
type ReceiveMessageOutput struct {
	Messages []Message `json:"Messages,omitempty"`
}

// DeleteMessageInput is DeleteMessage's request.
type DeleteMessageInput struct {
	QueueUrl      string `json:"QueueUrl"`
	ReceiptHandle string `json:"ReceiptHandle"`
}

// DeleteMessageBatchRequestEntry is one message of DeleteMessageBatch.
type DeleteMessageBatchRequestEntry struct {
	Id            string `json:"Id"`
	ReceiptHandle string `json:"ReceiptHandle"`
}

// DeleteMessageBatchInput is DeleteMessageBatch's request.
type DeleteMessageBatchInput struct {
	QueueUrl string                           `json:"QueueUrl"`
	Entries  []DeleteMessageBatchRequestEntry `json:"Entries"`
}

// BatchResultEntry is an entry a batch action carried out.
type BatchResultEntry struct {
	Id string `json:"Id"`
}

// BatchOutput is the response of DeleteMessageBatch and
// ChangeMessageVisibilityBatch.
type BatchOutput struct {
	Successful []BatchResultEntry      `json:"Successful"`
	Failed     []BatchResultErrorEntry `json:"Failed"`
}

// ChangeMessageVisibilityInput is ChangeMessageVisibility's request.
type ChangeMessageVisibilityInput struct {
	QueueUrl          string `json:"QueueUrl"`
	ReceiptHandle     string `json:"ReceiptHandle"`
	VisibilityTimeout *int   `json:"VisibilityTimeout"`
}

// ChangeMessageVisibilityBatchRequestEntry is one message of
// ChangeMessageVisibilityBatch.
type ChangeMessageVisibilityBatchRequestEntry struct {
	Id                string `json:"Id"`
	ReceiptHandle     string `json:"ReceiptHandle"`
	VisibilityTimeout *int   `json:"VisibilityTimeout,omitempty"`
}

// ChangeMessageVisibilityBatchInput is ChangeMessageVisibilityBatch's
// request.
type ChangeMessageVisibilityBatchInput struct {
	QueueUrl string                                     `json:"QueueUrl"`
	Entries  []ChangeMessageVisibilityBatchRequestEntry `json:"Entries"`
}
