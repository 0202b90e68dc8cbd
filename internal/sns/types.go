package sns

// The request and response shapes, with SNS's names: the query protocol's
// parameters fill the inputs, and a state machine's Parameters unmarshal
// into them unchanged (JSON tags).

// MessageAttributeValue is a message attribute: DataType is String,
// String.Array, Number or Binary.
type MessageAttributeValue struct {
	DataType    string  `json:"DataType"`
	StringValue *string `json:"StringValue,omitempty"`
	BinaryValue []byte  `json:"BinaryValue,omitempty"`
}

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// CreateTopicInput is CreateTopic's request.
type CreateTopicInput struct {
	Name       string            `json:"Name"`
	Attributes map[string]string `json:"Attributes,omitempty"`
	Tags       []Tag             `json:"Tags,omitempty"`
}

// TopicOutput is the answer of CreateTopic: the topic's ARN.
type TopicOutput struct {
	TopicArn string `json:"TopicArn" xml:"TopicArn"`
}

// TopicInput names a topic: the request of DeleteTopic and
// GetTopicAttributes.
type TopicInput struct {
	TopicArn string `json:"TopicArn"`
}

// ListInput is the request of ListTopics and ListSubscriptions; TopicArn
// is ListSubscriptionsByTopic's.
type ListInput struct {
	TopicArn  string `json:"TopicArn,omitempty"`
	NextToken string `json:"NextToken,omitempty"`
}

// ListTopicsOutput is ListTopics' response.
type ListTopicsOutput struct {
	Topics    []TopicOutput `json:"Topics" xml:"Topics>member"`
	NextToken string        `json:"NextToken,omitempty" xml:"NextToken,omitempty"`
}

// AttributesOutput is the response of GetTopicAttributes and
// GetSubscriptionAttributes.
type AttributesOutput struct {
	Attributes map[string]string `json:"Attributes"`
}

// SetTopicAttributesInput is SetTopicAttributes' request.
type SetTopicAttributesInput struct {
	TopicArn       string `json:"TopicArn"`
	AttributeName  string `json:"AttributeName"`
	AttributeValue string `json:"AttributeValue"`
}

// SubscribeInput is Subscribe's request.
type SubscribeInput struct {
	TopicArn              string            `json:"TopicArn"`
	Protocol              string            `json:"Protocol"`
	Endpoint              string            `json:"Endpoint"`
	Attributes            map[string]string `json:"Attributes,omitempty"`
	ReturnSubscriptionArn bool              `json:"ReturnSubscriptionArn,omitempty"`
}

// SubscriptionOutput is Subscribe's response.
type SubscriptionOutput struct {
	SubscriptionArn string `json:"SubscriptionArn" xml:"SubscriptionArn"`
}

// SubscriptionInput names a subscription: the request of Unsubscribe and
// GetSubscriptionAttributes.
type SubscriptionInput struct {
	SubscriptionArn string `json:"SubscriptionArn"`
}

// SetSubscriptionAttributesInput is SetSubscriptionAttributes' request.
type SetSubscriptionAttributesInput struct {
	SubscriptionArn string `json:"SubscriptionArn"`
	AttributeName   string `json:"AttributeName"`
	AttributeValue  string `json:"AttributeValue"`
}

// Subscription is a subscription as the List actions answer it.
type Subscription struct {
	SubscriptionArn string `json:"SubscriptionArn" xml:"SubscriptionArn"`
	Owner           string `json:"Owner" xml:"Owner"`
	Protocol        string `json:"Protocol" xml:"Protocol"`
	Endpoint        string `json:"Endpoint" xml:"Endpoint"`
	TopicArn        string `json:"TopicArn" xml:"TopicArn"`
}

// ListSubscriptionsOutput is the response of ListSubscriptions and
// ListSubscriptionsByTopic.
type ListSubscriptionsOutput struct {
	Subscriptions []Subscription `json:"Subscriptions" xml:"Subscriptions>member"`
	NextToken     string         `json:"NextToken,omitempty" xml:"NextToken,omitempty"`
}

// PublishInput is Publish's request. TargetArn is accepted as another
// name of the topic; PhoneNumber is refused.
type PublishInput struct {
	TopicArn               string                           `json:"TopicArn,omitempty"`
	TargetArn              string                           `json:"TargetArn,omitempty"`
	PhoneNumber            string                           `json:"PhoneNumber,omitempty"`
	Message                string                           `json:"Message"`
	Subject                string                           `json:"Subject,omitempty"`
	MessageStructure       string                           `json:"MessageStructure,omitempty"`
	MessageAttributes      map[string]MessageAttributeValue `json:"MessageAttributes,omitempty"`
	MessageGroupId         string                           `json:"MessageGroupId,omitempty"`
	MessageDeduplicationId string                           `json:"MessageDeduplicationId,omitempty"`
}

// PublishOutput is Publish's response.
type PublishOutput struct {
	MessageId      string `json:"MessageId" xml:"MessageId"`
	SequenceNumber string `json:"SequenceNumber,omitempty" xml:"SequenceNumber,omitempty"`
}

// PublishBatchRequestEntry is one message of PublishBatch.
type PublishBatchRequestEntry struct {
	Id                     string                           `json:"Id"`
	Message                string                           `json:"Message"`
	Subject                string                           `json:"Subject,omitempty"`
	MessageStructure       string                           `json:"MessageStructure,omitempty"`
	MessageAttributes      map[string]MessageAttributeValue `json:"MessageAttributes,omitempty"`
	MessageGroupId         string                           `json:"MessageGroupId,omitempty"`
	MessageDeduplicationId string                           `json:"MessageDeduplicationId,omitempty"`
}

// PublishBatchInput is PublishBatch's request.
type PublishBatchInput struct {
	TopicArn                   string                     `json:"TopicArn"`
	PublishBatchRequestEntries []PublishBatchRequestEntry `json:"PublishBatchRequestEntries"`
}

// PublishBatchResultEntry is a message PublishBatch published.
type PublishBatchResultEntry struct {
	Id             string `json:"Id" xml:"Id"`
	MessageId      string `json:"MessageId" xml:"MessageId"`
	SequenceNumber string `json:"SequenceNumber,omitempty" xml:"SequenceNumber,omitempty"`
}

// BatchResultErrorEntry is an entry PublishBatch failed.
type BatchResultErrorEntry struct {
	Id          string `json:"Id" xml:"Id"`
	Code        string `json:"Code" xml:"Code"`
	Message     string `json:"Message,omitempty" xml:"Message,omitempty"`
	SenderFault bool   `json:"SenderFault" xml:"SenderFault"`
}

// PublishBatchOutput is PublishBatch's response.
type PublishBatchOutput struct {
	Successful []PublishBatchResultEntry `json:"Successful" xml:"Successful>member"`
	Failed     []BatchResultErrorEntry   `json:"Failed" xml:"Failed>member"`
}
