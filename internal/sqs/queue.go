package sqs

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The queue attributes SQS knows.
const (
	attrVisibilityTimeout             = "VisibilityTimeout"
	attrMaximumMessageSize            = "MaximumMessageSize"
	attrMessageRetentionPeriod        = "MessageRetentionPeriod"
	attrDelaySeconds                  = "DelaySeconds"
	attrReceiveMessageWaitTimeSeconds = "ReceiveMessageWaitTimeSeconds"
	attrRedrivePolicy                 = "RedrivePolicy"
	attrFifoQueue                     = "FifoQueue"
	attrContentBasedDeduplication     = "ContentBasedDeduplication"
	attrQueueArn                      = "QueueArn"
	attrApproximateNumberOfMessages   = "ApproximateNumberOfMessages"
	attrApproximateNotVisible         = "ApproximateNumberOfMessagesNotVisible"
	attrApproximateDelayed            = "ApproximateNumberOfMessagesDelayed"
	attrCreatedTimestamp              = "CreatedTimestamp"
	attrLastModifiedTimestamp         = "LastModifiedTimestamp"
	attrPolicy                        = "Policy"
	attrSqsManagedSseEnabled          = "SqsManagedSseEnabled"
	attrDeduplicationScope            = "DeduplicationScope"
	attrFifoThroughputLimit           = "FifoThroughputLimit"
)

// intRanges are the settable numeric attributes and their valid values.
var intRanges = map[string][2]int{
	attrVisibilityTimeout:             {0, 43200},
	attrMaximumMessageSize:            {1024, 1048576},
	attrMessageRetentionPeriod:        {60, 1209600},
	attrDelaySeconds:                  {0, 900},
	attrReceiveMessageWaitTimeSeconds: {0, 20},
	"KmsDataKeyReusePeriodSeconds":    {60, 86400},
}

// verbatim are attributes kept as given and answered back: they change
// nothing locally (no KMS, no permissions).
var verbatim = map[string]bool{
	attrPolicy: true, "KmsMasterKeyId": true, attrSqsManagedSseEnabled: true,
	"RedriveAllowPolicy": true, attrDeduplicationScope: true, attrFifoThroughputLimit: true,
}

var readOnly = map[string]bool{
	attrQueueArn: true, attrApproximateNumberOfMessages: true, attrApproximateNotVisible: true,
	attrApproximateDelayed: true, attrCreatedTimestamp: true, attrLastModifiedTimestamp: true,
}

func knownAttribute(name string) bool {
	_, isInt := intRanges[name]
	return isInt || verbatim[name] || readOnly[name] || name == attrRedrivePolicy ||
		name == attrFifoQueue || name == attrContentBasedDeduplication
}

var queueNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

func validQueueName(name string, fifo bool) bool {
	if fifo {
		base, ok := strings.CutSuffix(name, ".fifo")
		return ok && len(name) <= 80 && queueNameRE.MatchString(base)
	}
	return queueNameRE.MatchString(name)
}

type redrivePolicy struct {
	target   string // the dead-letter queue's ARN
	maxCount int
}

type queue struct {
	name, arn, url    string
	created, modified time.Time
	purged            time.Time
	attrs             map[string]string // settable attributes, normalized
	fifo              bool
	redrive           *redrivePolicy
	tags              map[string]string

	msgs []*message // in send order
	byID map[string]*message
	// dedup holds a FIFO queue's deduplication ids of the last 5 minutes.
	dedup map[string]dedupEntry
	seq   uint64
}

type dedupEntry struct {
	id, seq string
	at      time.Time
}

func defaultAttributes(fifo bool) map[string]string {
	a := map[string]string{
		attrVisibilityTimeout: "30", attrMaximumMessageSize: "1048576", attrMessageRetentionPeriod: "345600",
		attrDelaySeconds: "0", attrReceiveMessageWaitTimeSeconds: "0", attrSqsManagedSseEnabled: "true",
	}
	if fifo {
		a[attrFifoQueue] = "true"
		a[attrContentBasedDeduplication] = "false"
		a[attrDeduplicationScope] = "queue"
		a[attrFifoThroughputLimit] = "perQueue"
	}
	return a
}

func (q *queue) intAttr(name string) int {
	n, _ := strconv.Atoi(q.attrs[name])
	return n
}

// attributeNames are the names "All" answers, in a stable order.
func (q *queue) attributeNames() []string {
	names := []string{attrQueueArn, attrApproximateNumberOfMessages, attrApproximateNotVisible,
		attrApproximateDelayed, attrCreatedTimestamp, attrLastModifiedTimestamp, attrVisibilityTimeout,
		attrMaximumMessageSize, attrMessageRetentionPeriod, attrDelaySeconds,
		attrReceiveMessageWaitTimeSeconds, attrRedrivePolicy, attrFifoQueue, attrContentBasedDeduplication}
	for n := range verbatim {
		names = append(names, n)
	}
	return names
}

// attribute is the value GetQueueAttributes answers for name, if the queue
// has one.
func (q *queue) attribute(name string, now time.Time) (string, bool) {
	switch name {
	case attrQueueArn:
		return q.arn, true
	case attrCreatedTimestamp:
		return strconv.FormatInt(q.created.Unix(), 10), true
	case attrLastModifiedTimestamp:
		return strconv.FormatInt(q.modified.Unix(), 10), true
	case attrApproximateNumberOfMessages, attrApproximateNotVisible, attrApproximateDelayed:
		var visible, inflight, delayed int
		for _, m := range q.msgs {
			switch {
			case !m.visibleAt.After(now):
				visible++
			case m.receiveCount > 0:
				inflight++
			default:
				delayed++
			}
		}
		return strconv.Itoa(map[string]int{attrApproximateNumberOfMessages: visible,
			attrApproximateNotVisible: inflight, attrApproximateDelayed: delayed}[name]), true
	case attrRedrivePolicy:
		if q.redrive == nil {
			return "", false
		}
		b, _ := json.Marshal(map[string]any{"deadLetterTargetArn": q.redrive.target, "maxReceiveCount": q.redrive.maxCount})
		return string(b), true
	}
	v, ok := q.attrs[name]
	return v, ok
}

// normalizeAttribute is how a given value compares with a queue's own
// (CreateQueue on an existing queue): numbers without leading zeros,
// booleans lower case, a redrive policy re-encoded.
func normalizeAttribute(name, v string) string {
	if _, ok := intRanges[name]; ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			return strconv.Itoa(n)
		}
	}
	if name == attrFifoQueue || name == attrContentBasedDeduplication || name == attrSqsManagedSseEnabled {
		return strings.ToLower(v)
	}
	if name == attrRedrivePolicy {
		if p, err := parseRedrivePolicy(v); err == nil {
			b, _ := json.Marshal(map[string]any{"deadLetterTargetArn": p.target, "maxReceiveCount": p.maxCount})
			return string(b)
		}
	}
	return v
}

func parseRedrivePolicy(v string) (*redrivePolicy, error) {
	var raw struct {
		Target   string          `json:"deadLetterTargetArn"`
		MaxCount json.RawMessage `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return nil, errorf(CodeInvalidAttributeValue, "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.")
	}
	count := strings.Trim(string(raw.MaxCount), `"`)
	n, err := strconv.Atoi(count)
	if raw.Target == "" || err != nil || n < 1 || n > 1000 {
		return nil, errorf(CodeInvalidAttributeValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Redrive policy is not valid: deadLetterTargetArn and a maxReceiveCount from 1 to 1000 are required.", v)
	}
	return &redrivePolicy{target: raw.Target, maxCount: n}, nil
}

// setAttributes validates every attribute, then sets them all (none on an
// error). FifoQueue can only repeat the queue's type.
// Callers hold s.mu.
func (s *Service) setAttributes(q *queue, attrs map[string]string) error {
	set := map[string]string{}
	var redrive *redrivePolicy
	for name, v := range attrs {
		if !knownAttribute(name) || readOnly[name] {
			return errorf(CodeInvalidAttributeName, "Unknown Attribute %s.", name)
		}
		switch {
		case name == attrFifoQueue:
			if strings.ToLower(v) != strconv.FormatBool(q.fifoName()) {
				return errorf(CodeInvalidAttributeValue, "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.")
			}
			continue
		case name == attrContentBasedDeduplication:
			if !q.fifoName() {
				return errorf(CodeInvalidAttributeName, "Unknown Attribute ContentBasedDeduplication.")
			}
			lv := strings.ToLower(v)
			if lv != "true" && lv != "false" {
				return errorf(CodeInvalidAttributeValue, "Invalid value for the parameter ContentBasedDeduplication.")
			}
			set[name] = lv
		case name == attrRedrivePolicy:
			if v == "" {
				continue // "" removes the policy
			}
			p, err := parseRedrivePolicy(v)
			if err != nil {
				return err
			}
			dlqName, ok := s.QueueNameFromARN(p.target)
			dlq := s.queues[dlqName]
			if !ok || dlq == nil {
				return errorf(CodeInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.", v)
			}
			if dlq.fifoName() != q.fifoName() {
				return errorf(CodeInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source.", v)
			}
			redrive = p
		default:
			if r, ok := intRanges[name]; ok {
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil || n < r[0] || n > r[1] {
					return errorf(CodeInvalidAttributeValue, "Invalid value for the parameter %s.", name)
				}
				set[name] = strconv.Itoa(n)
				continue
			}
			set[name] = v
		}
	}
	for k, v := range set {
		q.attrs[k] = v
	}
	if v, ok := attrs[attrRedrivePolicy]; ok {
		q.redrive = redrive
		if v == "" {
			q.redrive = nil
		}
	}
	q.fifo = q.attrs[attrFifoQueue] == "true"
	return nil
}

// fifoName reports whether the queue is (or is being created as) FIFO.
func (q *queue) fifoName() bool { return strings.HasSuffix(q.name, ".fifo") }
