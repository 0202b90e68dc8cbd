package sqs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

type message struct {
	id, body, md5Body string
	attrs             map[string]MessageAttributeValue
	md5Attrs          string
	system            map[string]MessageAttributeValue // AWSTraceHeader
	sent              time.Time
	// visibleAt is when the message can be received: after its delay, or
	// once a receive's visibility timeout ends.
	visibleAt    time.Time
	receiveCount int
	firstReceive time.Time
	receipt      string // the latest receipt handle
	group, dedup string
	seq          string
	deadSource   string // the ARN of the queue it was moved from
}

// dedupWindow is how long a FIFO queue remembers a deduplication id.
const dedupWindow = 5 * time.Minute

// SendMessage sends a message.
func (s *Service) SendMessage(_ context.Context, in SendMessageInput) (SendMessageOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.lookup(in.QueueUrl)
	if err != nil {
		return SendMessageOutput{}, err
	}
	if err := checkMessage(q, in.MessageBody, in.DelaySeconds, in.MessageAttributes, in.MessageGroupId, in.MessageDeduplicationId); err != nil {
		return SendMessageOutput{}, err
	}
	return s.enqueue(q, in), nil
}

// SendMessageBatch sends up to 10 messages; each one that is not valid
// fails alone, in Failed.
func (s *Service) SendMessageBatch(_ context.Context, in SendMessageBatchInput) (SendMessageBatchOutput, error) {
	ids := make([]string, len(in.Entries))
	size := 0
	for i, e := range in.Entries {
		ids[i] = e.Id
		size += messageSize(e.MessageBody, e.MessageAttributes)
	}
	if err := checkBatch(ids, "SendMessageBatchRequestEntry"); err != nil {
		return SendMessageBatchOutput{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.lookup(in.QueueUrl)
	if err != nil {
		return SendMessageBatchOutput{}, err
	}
	if limit := q.intAttr(attrMaximumMessageSize); size > limit {
		return SendMessageBatchOutput{}, errorf(CodeBatchRequestTooLong, "Batch requests cannot be longer than %d bytes. You have sent %d bytes.", limit, size)
	}
	out := SendMessageBatchOutput{Successful: []SendMessageBatchResultEntry{}, Failed: []BatchResultErrorEntry{}}
	for _, e := range in.Entries {
		if err := checkMessage(q, e.MessageBody, e.DelaySeconds, e.MessageAttributes, e.MessageGroupId, e.MessageDeduplicationId); err != nil {
			out.Failed = append(out.Failed, failedEntry(e.Id, err))
			continue
		}
		sent := s.enqueue(q, SendMessageInput{MessageBody: e.MessageBody, DelaySeconds: e.DelaySeconds,
			MessageAttributes: e.MessageAttributes, MessageSystemAttributes: e.MessageSystemAttributes,
			MessageDeduplicationId: e.MessageDeduplicationId, MessageGroupId: e.MessageGroupId})
		out.Successful = append(out.Successful, SendMessageBatchResultEntry{Id: e.Id, SendMessageOutput: sent})
	}
	return out, nil
}

func failedEntry(id string, err error) BatchResultErrorEntry {
	e, ok := err.(*Error)
	if !ok {
		return BatchResultErrorEntry{Id: id, Code: "InternalError", Message: err.Error()}
	}
	return BatchResultErrorEntry{Id: id, Code: e.queryCode, Message: e.message, SenderFault: e.sender}
}

var batchIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// checkBatch checks a batch's entry ids: 1 to 10, distinct, well formed.
func checkBatch(ids []string, entryName string) error {
	if len(ids) == 0 {
		return errorf(CodeEmptyBatchRequest, "There should be at least one %s in the request.", entryName)
	}
	if len(ids) > 10 {
		return errorf(CodeTooManyEntriesInBatchRequest, "Maximum number of entries per request are 10. You have sent %d.", len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if !batchIDRE.MatchString(id) {
			return errorf(CodeInvalidBatchEntryID, "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return errorf(CodeBatchEntryIdsNotDistinct, "Id %s repeated.", id)
		}
		seen[id] = true
	}
	return nil
}

// messageSize is what counts against MaximumMessageSize: the body and
// every attribute's name, type and value.
func messageSize(body string, attrs map[string]MessageAttributeValue) int {
	n := len(body)
	for name, v := range attrs {
		n += len(name) + len(v.DataType) + len(v.BinaryValue)
		if v.StringValue != nil {
			n += len(*v.StringValue)
		}
	}
	return n
}

// validBody reports whether every character is one SQS accepts: #x9, #xA,
// #xD, #x20 to #xD7FF, #xE000 to #xFFFD, #x10000 to #x10FFFF.
func validBody(s string) bool {
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			return false
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

var attrNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)

func checkAttributes(attrs map[string]MessageAttributeValue) error {
	if len(attrs) > 10 {
		return errorf(CodeInvalidParameterValue, "Number of message attributes [%d] exceeds the allowed maximum [10].", len(attrs))
	}
	for name, v := range attrs {
		lower := strings.ToLower(name)
		if !attrNameRE.MatchString(name) || strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") ||
			strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
			return errorf(CodeInvalidParameterValue, "Message attribute name '%s' is invalid.", name)
		}
		base, _, _ := strings.Cut(v.DataType, ".")
		switch base {
		case "String", "Number":
			if v.StringValue == nil || *v.StringValue == "" {
				return errorf(CodeInvalidParameterValue, "The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, base)
			}
			if !validBody(*v.StringValue) {
				return errorf(CodeInvalidParameterValue, "The message attribute '%s' contains invalid characters.", name)
			}
			if base == "Number" {
				if _, err := strconv.ParseFloat(*v.StringValue, 64); err != nil {
					return errorf(CodeInvalidParameterValue, "Can't cast the value of message (user) attribute '%s' to a number.", name)
				}
			}
		case "Binary":
			if len(v.BinaryValue) == 0 {
				return errorf(CodeInvalidParameterValue, "The message attribute '%s' must contain non-empty message attribute value for message attribute type 'Binary'.", name)
			}
		case "":
			return errorf(CodeInvalidParameterValue, "The message attribute '%s' must contain non-empty message attribute type.", name)
		default:
			return errorf(CodeInvalidParameterValue, "The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
		}
	}
	return nil
}

// checkMessage validates a message for q. Callers hold s.mu.
func checkMessage(q *queue, body string, delay *int, attrs map[string]MessageAttributeValue, group, dedup string) error {
	if body == "" {
		return errMissing("MessageBody")
	}
	if !validBody(body) {
		return errorf(CodeInvalidMessageContents, "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")
	}
	if err := checkAttributes(attrs); err != nil {
		return err
	}
	if limit := q.intAttr(attrMaximumMessageSize); messageSize(body, attrs) > limit {
		return errorf(CodeInvalidParameterValue, "One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", limit)
	}
	if delay != nil && (*delay < 0 || *delay > 900) {
		return errInvalidValue("DelaySeconds", strconv.Itoa(*delay), "DelaySeconds must be >= 0 and <= 900.")
	}
	if !q.fifo {
		if dedup != "" {
			return errInvalidValue("MessageDeduplicationId", dedup, "The request includes a parameter that is not valid for this queue type.")
		}
		return nil
	}
	if group == "" {
		return errMissing("MessageGroupId")
	}
	if delay != nil && *delay != 0 {
		return errInvalidValue("DelaySeconds", strconv.Itoa(*delay), "The request include parameter that is not valid for this queue type.")
	}
	if dedup == "" && q.attrs[attrContentBasedDeduplication] != "true" {
		return errorf(CodeInvalidParameterValue, "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
	}
	return nil
}

// enqueue adds a checked message. Callers hold s.mu.
func (s *Service) enqueue(q *queue, in SendMessageInput) SendMessageOutput {
	now := s.clock.Now()
	s.expire(q, now)
	m := &message{id: newID(), body: in.MessageBody, md5Body: md5Hex(in.MessageBody),
		attrs: in.MessageAttributes, md5Attrs: md5OfAttributes(in.MessageAttributes),
		system: in.MessageSystemAttributes, sent: now, group: in.MessageGroupId}
	delay := q.intAttr(attrDelaySeconds)
	if in.DelaySeconds != nil {
		delay = *in.DelaySeconds
	}
	m.visibleAt = now.Add(time.Duration(delay) * time.Second)
	if q.fifo {
		m.dedup = in.MessageDeduplicationId
		if m.dedup == "" {
			sum := sha256.Sum256([]byte(in.MessageBody))
			m.dedup = hex.EncodeToString(sum[:])
		}
		if d, ok := q.dedup[m.dedup]; ok && now.Sub(d.at) < dedupWindow {
			// A duplicate is accepted and dropped: the first one's id.
			return SendMessageOutput{MessageId: d.id, MD5OfMessageBody: m.md5Body, MD5OfMessageAttributes: m.md5Attrs, SequenceNumber: d.seq}
		}
		q.seq++
		m.seq = fmt.Sprintf("%020d", q.seq)
		if q.dedup == nil {
			q.dedup = map[string]dedupEntry{}
		}
		q.dedup[m.dedup] = dedupEntry{id: m.id, seq: m.seq, at: now}
	}
	q.msgs = append(q.msgs, m)
	q.byID[m.id] = m
	s.broadcast()
	return SendMessageOutput{MessageId: m.id, MD5OfMessageBody: m.md5Body, MD5OfMessageAttributes: m.md5Attrs,
		MD5OfMessageSystemAttributes: md5OfAttributes(m.system), SequenceNumber: m.seq}
}

// expire drops the messages older than the retention period and the
// deduplication ids older than 5 minutes. Callers hold s.mu.
func (s *Service) expire(q *queue, now time.Time) {
	retention := time.Duration(q.intAttr(attrMessageRetentionPeriod)) * time.Second
	keep := q.msgs[:0]
	for _, m := range q.msgs {
		if now.Sub(m.sent) >= retention {
			delete(q.byID, m.id)
			continue
		}
		keep = append(keep, m)
	}
	clear(q.msgs[len(keep):])
	q.msgs = keep
	for id, d := range q.dedup {
		if now.Sub(d.at) >= dedupWindow {
			delete(q.dedup, id)
		}
	}
}

// ReceiveMessage receives up to MaxNumberOfMessages (1 to 10) messages,
// waiting up to WaitTimeSeconds (0 to 20; default the queue's
// ReceiveMessageWaitTimeSeconds) for a first one. A message received more
// often than its queue's redrive policy allows moves to the dead-letter
// queue instead.
func (s *Service) ReceiveMessage(ctx context.Context, in ReceiveMessageInput) (ReceiveMessageOutput, error) {
	count := 1
	if in.MaxNumberOfMessages != nil {
		count = *in.MaxNumberOfMessages
		if count < 1 || count > 10 {
			return ReceiveMessageOutput{}, errInvalidValue("MaxNumberOfMessages", strconv.Itoa(count), "Must be between 1 and 10, if provided.")
		}
	}
	if v := in.VisibilityTimeout; v != nil && (*v < 0 || *v > 43200) {
		return ReceiveMessageOutput{}, errInvalidValue("VisibilityTimeout", strconv.Itoa(*v), "Must be between 0 and 43200, if provided.")
	}
	if w := in.WaitTimeSeconds; w != nil && (*w < 0 || *w > 20) {
		return ReceiveMessageOutput{}, errInvalidValue("WaitTimeSeconds", strconv.Itoa(*w), "Must be >= 0 and <= 20, if provided.")
	}
	var deadline time.Time
	for {
		s.mu.Lock()
		q, err := s.lookup(in.QueueUrl)
		if err != nil {
			s.mu.Unlock()
			return ReceiveMessageOutput{}, err
		}
		if deadline.IsZero() {
			wait := q.intAttr(attrReceiveMessageWaitTimeSeconds)
			if in.WaitTimeSeconds != nil {
				wait = *in.WaitTimeSeconds
			}
			deadline = time.Now().Add(time.Duration(wait) * time.Second)
		}
		now := s.clock.Now()
		msgs := s.take(q, now, count, in)
		if len(msgs) > 0 || s.stopped || !time.Now().Before(deadline) {
			s.mu.Unlock()
			return ReceiveMessageOutput{Messages: msgs}, nil
		}
		changed := s.changed
		next := q.nextVisible(now)
		s.mu.Unlock()

		wake := time.Until(deadline)
		if !next.IsZero() {
			wake = min(wake, max(next.Sub(now), 10*time.Millisecond))
		}
		t := time.NewTimer(wake)
		select {
		case <-ctx.Done():
			t.Stop()
			return ReceiveMessageOutput{}, fmt.Errorf("receive message: %w", ctx.Err())
		case <-changed:
		case <-t.C:
		}
		t.Stop()
	}
}

// nextVisible is when the next hidden message becomes receivable, or zero.
func (q *queue) nextVisible(now time.Time) time.Time {
	var next time.Time
	for _, m := range q.msgs {
		if m.visibleAt.After(now) && (next.IsZero() || m.visibleAt.Before(next)) {
			next = m.visibleAt
		}
	}
	return next
}

// take receives up to n messages of q. FIFO: a message group with a
// message in flight gives none, and a group's messages come in order.
// Callers hold s.mu.
func (s *Service) take(q *queue, now time.Time, n int, in ReceiveMessageInput) []Message {
	s.expire(q, now)
	visibility := q.intAttr(attrVisibilityTimeout)
	if in.VisibilityTimeout != nil {
		visibility = *in.VisibilityTimeout
	}
	blocked := map[string]bool{}
	if q.fifo {
		for _, m := range q.msgs {
			if m.receiveCount > 0 && m.visibleAt.After(now) {
				blocked[m.group] = true
			}
		}
	}
	var out []Message
	var moved bool
	for i := 0; i < len(q.msgs) && len(out) < n; i++ {
		m := q.msgs[i]
		if m.visibleAt.After(now) {
			if q.fifo {
				blocked[m.group] = true // keep the group's order
			}
			continue
		}
		if q.fifo && blocked[m.group] {
			continue
		}
		if q.redrive != nil && m.receiveCount >= q.redrive.maxCount && s.moveToDeadLetter(q, m, now) {
			i--
			moved = true
			continue
		}
		m.receiveCount++
		if m.firstReceive.IsZero() {
			m.firstReceive = now
		}
		m.visibleAt = now.Add(time.Duration(visibility) * time.Second)
		m.receipt = newReceipt(m.id)
		out = append(out, received(q, m, in))
	}
	if moved {
		s.broadcast()
	}
	return out
}

// moveToDeadLetter moves m from q to q's dead-letter queue, if it still
// exists and is another queue. Callers hold s.mu.
func (s *Service) moveToDeadLetter(q *queue, m *message, now time.Time) bool {
	name, _ := s.QueueNameFromARN(q.redrive.target)
	dlq := s.queues[name]
	if dlq == nil || dlq == q {
		return false
	}
	q.remove(m)
	m.receiveCount, m.firstReceive, m.receipt = 0, time.Time{}, ""
	m.visibleAt = now
	m.deadSource = q.arn
	dlq.msgs = append(dlq.msgs, m)
	dlq.byID[m.id] = m
	s.log.Info("message moved to dead-letter queue", "queue", q.name, "deadLetterQueue", dlq.name, "messageId", m.id)
	return true
}

func (q *queue) remove(m *message) {
	delete(q.byID, m.id)
	for i, x := range q.msgs {
		if x == m {
			q.msgs = append(q.msgs[:i], q.msgs[i+1:]...)
			return
		}
	}
}

// received is the message as ReceiveMessage answers it, with the system
// and message attributes asked for.
func received(q *queue, m *message, in ReceiveMessageInput) Message {
	out := Message{MessageId: m.id, ReceiptHandle: m.receipt, MD5OfBody: m.md5Body, Body: m.body}
	names := append(append([]string{}, in.AttributeNames...), in.MessageSystemAttributeNames...)
	system := map[string]string{
		"SenderId":                         "AIDAAAAAAAAAAAAAAAAAA",
		"SentTimestamp":                    strconv.FormatInt(m.sent.UnixMilli(), 10),
		"ApproximateReceiveCount":          strconv.Itoa(m.receiveCount),
		"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.firstReceive.UnixMilli(), 10),
	}
	if q.fifo {
		system["MessageGroupId"] = m.group
		system["MessageDeduplicationId"] = m.dedup
		system["SequenceNumber"] = m.seq
	} else if m.group != "" {
		system["MessageGroupId"] = m.group
	}
	if v, ok := m.system["AWSTraceHeader"]; ok && v.StringValue != nil {
		system["AWSTraceHeader"] = *v.StringValue
	}
	if m.deadSource != "" {
		system["DeadLetterQueueSourceArn"] = m.deadSource
	}
	for _, name := range names {
		if name == "All" {
			out.Attributes = system
			break
		}
		if v, ok := system[name]; ok {
			if out.Attributes == nil {
				out.Attributes = map[string]string{}
			}
			out.Attributes[name] = v
		}
	}
	for name, v := range m.attrs {
		if wantAttribute(in.MessageAttributeNames, name) {
			if out.MessageAttributes == nil {
				out.MessageAttributes = map[string]MessageAttributeValue{}
			}
			out.MessageAttributes[name] = v
		}
	}
	out.MD5OfMessageAttributes = md5OfAttributes(out.MessageAttributes)
	return out
}

// wantAttribute matches a message attribute name against
// MessageAttributeNames: "All", ".*", a prefix "name.*" or the name.
func wantAttribute(patterns []string, name string) bool {
	for _, p := range patterns {
		if p == "All" || p == ".*" || p == name {
			return true
		}
		if prefix, ok := strings.CutSuffix(p, ".*"); ok && strings.HasPrefix(name, prefix+".") {
			return true
		}
	}
	return false
}

// newReceipt is a fresh receipt handle for message id: the id and a random
// part, so an old handle still names its message.
func newReceipt(id string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString([]byte(id + " " + hex.EncodeToString(b[:])))
}

// receiptMessage is the message id a receipt handle names, or false.
func receiptMessage(handle string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(handle)
	if err != nil {
		return "", false
	}
	id, rest, ok := strings.Cut(string(b), " ")
	return id, ok && len(id) == 36 && len(rest) == 32
}

func errBadReceipt(handle string) *Error {
	return errorf(CodeReceiptHandleIsInvalid, "The input receipt handle %q is not a valid receipt handle.", handle)
}

// DeleteMessage deletes a received message. Deleting one already deleted
// succeeds, as on AWS.
func (s *Service) DeleteMessage(_ context.Context, in DeleteMessageInput) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.lookup(in.QueueUrl)
	if err != nil {
		return err
	}
	return s.deleteMessage(q, in.ReceiptHandle)
}

func (s *Service) deleteMessage(q *queue, handle string) error {
	if handle == "" {
		return errMissing("ReceiptHandle")
	}
	id, ok := receiptMessage(handle)
	if !ok {
		return errBadReceipt(handle)
	}
	if m := q.byID[id]; m != nil {
		q.remove(m)
	}
	return nil
}

// DeleteMessageBatch deletes up to 10 received messages.
func (s *Service) DeleteMessageBatch(_ context.Context, in DeleteMessageBatchInput) (BatchOutput, error) {
	return batch(s, in.QueueUrl, in.Entries, "DeleteMessageBatchRequestEntry",
		func(e DeleteMessageBatchRequestEntry) string { return e.Id },
		func(q *queue, e DeleteMessageBatchRequestEntry) error { return s.deleteMessage(q, e.ReceiptHandle) })
}

// batch carries out a batch action on a queue: do on each entry, whose
// failures are the entry's alone. Only the entries' ids can fail the
// whole batch.
func batch[E any](s *Service, queueURL string, entries []E, entryName string, id func(E) string, do func(*queue, E) error) (BatchOutput, error) {
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = id(e)
	}
	if err := checkBatch(ids, entryName); err != nil {
		return BatchOutput{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.lookup(queueURL)
	if err != nil {
		return BatchOutput{}, err
	}
	out := BatchOutput{Successful: []BatchResultEntry{}, Failed: []BatchResultErrorEntry{}}
	for i, e := range entries {
		if err := do(q, e); err != nil {
			out.Failed = append(out.Failed, failedEntry(ids[i], err))
			continue
		}
		out.Successful = append(out.Successful, BatchResultEntry{Id: ids[i]})
	}
	return out, nil
}

// ChangeMessageVisibility makes a message in flight receivable again
// VisibilityTimeout (0 to 43200) seconds from now.
func (s *Service) ChangeMessageVisibility(_ context.Context, in ChangeMessageVisibilityInput) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.lookup(in.QueueUrl)
	if err != nil {
		return err
	}
	return s.changeVisibility(q, in.ReceiptHandle, in.VisibilityTimeout)
}

func (s *Service) changeVisibility(q *queue, handle string, timeout *int) error {
	if handle == "" {
		return errMissing("ReceiptHandle")
	}
	if timeout == nil {
		return errMissing("VisibilityTimeout")
	}
	if *timeout < 0 || *timeout > 43200 {
		return errInvalidValue("VisibilityTimeout", strconv.Itoa(*timeout), "Must be between 0 and 43200, if provided.")
	}
	id, ok := receiptMessage(handle)
	if !ok {
		return errBadReceipt(handle)
	}
	m := q.byID[id]
	if m == nil {
		return errInvalidValue("ReceiptHandle", handle, "Message does not exist or is not available for visibility timeout change.")
	}
	now := s.clock.Now()
	if m.receiveCount == 0 || !m.visibleAt.After(now) {
		return errorf(CodeMessageNotInflight, "Message does not exist or is not in flight.")
	}
	m.visibleAt = now.Add(time.Duration(*timeout) * time.Second)
	s.broadcast()
	return nil
}

// ChangeMessageVisibilityBatch changes the visibility of up to 10
// messages.
func (s *Service) ChangeMessageVisibilityBatch(_ context.Context, in ChangeMessageVisibilityBatchInput) (BatchOutput, error) {
	return batch(s, in.QueueUrl, in.Entries, "ChangeMessageVisibilityBatchRequestEntry",
		func(e ChangeMessageVisibilityBatchRequestEntry) string { return e.Id },
		func(q *queue, e ChangeMessageVisibilityBatchRequestEntry) error {
			return s.changeVisibility(q, e.ReceiptHandle, e.VisibilityTimeout)
		})
}
