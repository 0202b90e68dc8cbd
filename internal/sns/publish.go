package sns

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/asyncjobs/stepjobs/internal/sqs"
)

// maxMessageBytes is SNS's limit on a message and its attributes (256 KiB).
const maxMessageBytes = 262144

// Publish publishes a message to a topic's subscriptions. A delivery that
// fails (its queue is gone) is logged and dropped, as SNS drops it after
// its retries; Publish succeeds all the same.
func (s *Service) Publish(ctx context.Context, in PublishInput) (PublishOutput, error) {
	if in.PhoneNumber != "" {
		return PublishOutput{}, invalid("PhoneNumber Reason: the local SNS publishes to topics only")
	}
	arn := in.TopicArn
	if arn == "" {
		arn = in.TargetArn
	}
	if arn == "" {
		return PublishOutput{}, invalid("TopicArn or TargetArn Reason: no value for required parameter")
	}
	s.mu.Lock()
	t, err := s.topic(arn)
	if err != nil {
		s.mu.Unlock()
		return PublishOutput{}, err
	}
	n, err := s.prepare(t, &in)
	if err != nil {
		s.mu.Unlock()
		return PublishOutput{}, err
	}
	// Read under the lock what delivery needs; deliver outside it.
	subs := append([]*subscription(nil), t.subs...)
	raw := make([]bool, len(subs))
	for i, sub := range subs {
		raw[i] = sub.attrs["RawMessageDelivery"] == "true"
	}
	s.mu.Unlock()

	for i, sub := range subs {
		s.deliver(ctx, sub, raw[i], n)
	}
	return PublishOutput{MessageId: n.id, SequenceNumber: n.seq}, nil
}

// notification is a published message on its way to the subscriptions.
type notification struct {
	id, seq, topic string
	in             PublishInput
	message        string // for sqs subscriptions (MessageStructure json)
	timestamp      string
	dedup          string
}

var subjectRE = regexp.MustCompile(`^[^\r\n]{1,100}$`)

// prepare validates a publication and numbers it. Callers hold s.mu.
func (s *Service) prepare(t *topic, in *PublishInput) (*notification, error) {
	if in.Message == "" {
		return nil, invalid("Empty message")
	}
	if !utf8.ValidString(in.Message) {
		return nil, invalid("Message Reason: not valid UTF-8")
	}
	if in.Subject != "" && (!subjectRE.MatchString(in.Subject) || !utf8.ValidString(in.Subject)) {
		return nil, invalid("Subject")
	}
	if err := checkAttributes(in.MessageAttributes); err != nil {
		return nil, err
	}
	size := len(in.Message)
	for name, v := range in.MessageAttributes {
		size += len(name) + len(v.DataType) + len(v.BinaryValue)
		if v.StringValue != nil {
			size += len(*v.StringValue)
		}
	}
	if size > maxMessageBytes {
		return nil, invalid("Message too long")
	}
	n := &notification{id: newID(), topic: t.arn, in: *in, message: in.Message,
		timestamp: s.clock.Now().UTC().Format("2006-01-02T15:04:05.000Z")}
	switch in.MessageStructure {
	case "":
	case "json":
		var per map[string]any
		if err := json.Unmarshal([]byte(in.Message), &per); err != nil {
			return nil, invalid("Message Structure - JSON message body failed to parse")
		}
		def, ok := per["default"].(string)
		if !ok {
			return nil, invalid("Message Structure - No default entry in JSON message body")
		}
		n.message = def
		if v, ok := per["sqs"].(string); ok {
			n.message = v
		}
	default:
		return nil, invalid("MessageStructure")
	}
	if t.fifo {
		if in.MessageGroupId == "" {
			return nil, invalid("The MessageGroupId parameter is required for FIFO topics")
		}
		n.dedup = in.MessageDeduplicationId
		if n.dedup == "" {
			if t.attrs["ContentBasedDeduplication"] != "true" {
				return nil, invalid("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
			}
			sum := sha256.Sum256([]byte(in.Message))
			n.dedup = hex.EncodeToString(sum[:])
		}
		t.seq++
		n.seq = fmt.Sprintf("%020d", t.seq)
	} else if in.MessageDeduplicationId != "" {
		return nil, invalid("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
	}
	return n, nil
}

func checkAttributes(attrs map[string]MessageAttributeValue) error {
	for name, v := range attrs {
		if name == "" || len(name) > 256 {
			return errorf(CodeInvalidParameterValue, "The message attribute name '%s' is invalid.", name)
		}
		base, _, _ := strings.Cut(v.DataType, ".")
		switch {
		case v.DataType == "String.Array":
			var list []any
			if v.StringValue == nil || json.Unmarshal([]byte(*v.StringValue), &list) != nil {
				return errorf(CodeInvalidParameterValue, "The message attribute '%s' with type 'String.Array' has an invalid value.", name)
			}
		case base == "String" || base == "Number":
			if v.StringValue == nil || *v.StringValue == "" {
				return errorf(CodeInvalidParameterValue, "The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, base)
			}
			if base == "Number" {
				if _, err := strconv.ParseFloat(*v.StringValue, 64); err != nil {
					return errorf(CodeInvalidParameterValue, "The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
				}
			}
		case base == "Binary":
			if len(v.BinaryValue) == 0 {
				return errorf(CodeInvalidParameterValue, "The message attribute '%s' must contain non-empty message attribute value for message attribute type 'Binary'.", name)
			}
		default:
			return errorf(CodeInvalidParameterValue, "The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
		}
	}
	return nil
}

// deliver sends a notification to a subscription's queue.
func (s *Service) deliver(ctx context.Context, sub *subscription, raw bool, n *notification) {
	name, ok := s.cfg.Queues.QueueNameFromARN(sub.endpoint)
	if !ok {
		return
	}
	in := sqs.SendMessageInput{QueueUrl: s.cfg.Queues.QueueURL(name), MessageBody: s.envelope(sub, n)}
	if raw {
		in.MessageBody = n.message
		in.MessageAttributes = queueAttributes(n.in.MessageAttributes)
	}
	if n.seq != "" {
		in.MessageGroupId, in.MessageDeduplicationId = n.in.MessageGroupId, n.dedup
	}
	if _, err := s.cfg.Queues.SendMessage(ctx, in); err != nil {
		s.log.Warn("delivery failed", "topic", n.topic, "subscription", sub.arn, "endpoint", sub.endpoint, "messageId", n.id, "error", err)
	}
}

// queueAttributes are a raw delivery's message attributes, as SQS takes
// them (String.Array becomes a String, as SNS sends it).
func queueAttributes(attrs map[string]MessageAttributeValue) map[string]sqs.MessageAttributeValue {
	if len(attrs) == 0 {
		return nil
	}
	out := make(map[string]sqs.MessageAttributeValue, len(attrs))
	for name, v := range attrs {
		dt := v.DataType
		if dt == "String.Array" {
			dt = "String"
		}
		out[name] = sqs.MessageAttributeValue{DataType: dt, StringValue: v.StringValue, BinaryValue: v.BinaryValue}
	}
	return out
}

// envelope is the JSON notification SNS delivers to a queue without raw
// delivery, in AWS's field order and layout. The signature cannot be
// AWS's: it is a placeholder, and SigningCertURL names AWS's certificate.
func (s *Service) envelope(sub *subscription, n *notification) string {
	var b bytes.Buffer
	b.WriteString("{\n")
	first := true
	field := func(name string, v any) {
		if !first {
			b.WriteString(",\n")
		}
		first = false
		// SNS writes & < > as they are, not as \u0026 and the like.
		var enc bytes.Buffer
		e := json.NewEncoder(&enc)
		e.SetEscapeHTML(false)
		_ = e.Encode(v)
		fmt.Fprintf(&b, "  %q : %s", name, bytes.TrimSuffix(enc.Bytes(), []byte("\n")))
	}
	field("Type", "Notification")
	field("MessageId", n.id)
	if n.seq != "" {
		field("SequenceNumber", n.seq)
	}
	field("TopicArn", n.topic)
	if n.in.Subject != "" {
		field("Subject", n.in.Subject)
	}
	field("Message", n.message)
	field("Timestamp", n.timestamp)
	if n.seq == "" { // FIFO notifications are not signed
		field("SignatureVersion", "1")
		field("Signature", base64.StdEncoding.EncodeToString([]byte("local SNS: not signed "+n.id)))
		field("SigningCertURL", "https://sns."+s.cfg.Region+".amazonaws.com/SimpleNotificationService-local.pem")
	}
	field("UnsubscribeURL", s.cfg.BaseURL+"/?Action=Unsubscribe&SubscriptionArn="+url.QueryEscape(sub.arn))
	if len(n.in.MessageAttributes) > 0 {
		attrs := map[string]map[string]string{}
		for name, v := range n.in.MessageAttributes {
			a := map[string]string{"Type": v.DataType}
			if v.StringValue != nil {
				a["Value"] = *v.StringValue
			} else {
				a["Value"] = base64.StdEncoding.EncodeToString(v.BinaryValue)
			}
			attrs[name] = a
		}
		field("MessageAttributes", attrs)
	}
	b.WriteString("\n}")
	return b.String()
}

var batchIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// PublishBatch publishes up to 10 messages to a topic; each one that is
// not valid fails alone, in Failed.
func (s *Service) PublishBatch(ctx context.Context, in PublishBatchInput) (PublishBatchOutput, error) {
	entries := in.PublishBatchRequestEntries
	if len(entries) == 0 {
		return PublishBatchOutput{}, errorf(CodeEmptyBatchRequest, "The batch request doesn't contain any entries")
	}
	if len(entries) > 10 {
		return PublishBatchOutput{}, errorf(CodeTooManyEntriesInBatchRequest, "The batch request contains more entries than permissible")
	}
	seen := map[string]bool{}
	size := 0
	for _, e := range entries {
		if !batchIDRE.MatchString(e.Id) {
			return PublishBatchOutput{}, errorf(CodeInvalidBatchEntryID, "The Id of a batch entry in a batch request doesn't abide by the specification")
		}
		if seen[e.Id] {
			return PublishBatchOutput{}, errorf(CodeBatchEntryIdsNotDistinct, "Two or more batch entries in the request have the same Id")
		}
		seen[e.Id] = true
		size += len(e.Message)
	}
	if size > maxMessageBytes {
		return PublishBatchOutput{}, errorf(CodeBatchRequestTooLong, "The length of all the messages put together is more than the limit")
	}
	s.mu.Lock()
	_, err := s.topic(in.TopicArn)
	s.mu.Unlock()
	if err != nil {
		return PublishBatchOutput{}, err
	}
	out := PublishBatchOutput{Successful: []PublishBatchResultEntry{}, Failed: []BatchResultErrorEntry{}}
	for _, e := range entries {
		res, err := s.Publish(ctx, PublishInput{TopicArn: in.TopicArn, Message: e.Message, Subject: e.Subject,
			MessageStructure: e.MessageStructure, MessageAttributes: e.MessageAttributes,
			MessageGroupId: e.MessageGroupId, MessageDeduplicationId: e.MessageDeduplicationId})
		if err != nil {
			fe := BatchResultErrorEntry{Id: e.Id, Code: CodeInternalError, Message: err.Error()}
			if se, ok := err.(*Error); ok {
				fe.Code, fe.Message, fe.SenderFault = se.code, se.message, se.sender
			}
			out.Failed = append(out.Failed, fe)
			continue
		}
		out.Successful = append(out.Successful, PublishBatchResultEntry{Id: e.Id, MessageId: res.MessageId, SequenceNumber: res.SequenceNumber})
	}
	return out, nil
}
