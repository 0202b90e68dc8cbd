package sns

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/asyncjobs/stepjobs/internal/localaws"
	"github.com/asyncjobs/stepjobs/internal/sqs"
)

// Queues is what deliveries need of the local SQS: *sqs.Service.
type Queues interface {
	QueueNameFromARN(arn string) (string, bool)
	QueueURL(name string) string
	SendMessage(ctx context.Context, in sqs.SendMessageInput) (sqs.SendMessageOutput, error)
}

var _ Queues = (*sqs.Service)(nil)

// Clock is the service's time source (the notifications' Timestamp).
type Clock = localaws.Clock

// Config configures a Service.
type Config struct {
	// Region and AccountID make the topics' ARNs (defaults us-east-1 and
	// 000000000000, the local runtime's account).
	Region, AccountID string
	// BaseURL is where Handler is served: the notifications'
	// UnsubscribeURL points there. Default http://localhost.
	BaseURL string
	// Queues receives the deliveries of sqs subscriptions; nil refuses
	// them at Subscribe.
	Queues Queues
	// Clock is the time source; nil means the wall clock.
	Clock Clock
	// Logger receives a line per topic created or deleted and per failed
	// delivery; nil discards.
	Logger *slog.Logger
}

// Service is an in-memory SNS for one account and region. Its methods are
// safe for concurrent use.
type Service struct {
	cfg   Config
	clock Clock
	log   *slog.Logger

	mu     sync.Mutex
	topics map[string]*topic        // by ARN
	subs   map[string]*subscription // by ARN
}

type topic struct {
	arn, name string
	attrs     map[string]string
	fifo      bool
	seq       uint64
	created   time.Time
	subs      []*subscription // in subscription order
}

type subscription struct {
	arn, topic, protocol, endpoint string
	attrs                          map[string]string
}

// New returns an empty service.
func New(cfg Config) *Service {
	cfg.Region, cfg.AccountID, cfg.BaseURL = localaws.Endpoint(cfg.Region, cfg.AccountID, cfg.BaseURL)
	s := &Service{cfg: cfg, topics: map[string]*topic{}, subs: map[string]*subscription{}}
	s.clock, s.log = localaws.Defaults(cfg.Clock, cfg.Logger)
	return s
}

// TopicARN is the ARN of the topic named name (existing or not).
func (s *Service) TopicARN(name string) string {
	return "arn:aws:sns:" + s.cfg.Region + ":" + s.cfg.AccountID + ":" + name
}

var topicNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// topicAttributes are the attributes SetTopicAttributes and CreateTopic
// take; they are kept and answered back, and change nothing else locally
// but FifoTopic and ContentBasedDeduplication.
var topicAttributes = map[string]bool{
	"DisplayName": true, "Policy": true, "DeliveryPolicy": true, "KmsMasterKeyId": true,
	"SignatureVersion": true, "TracingConfig": true, "FifoTopic": true, "ContentBasedDeduplication": true,
	"ArchivePolicy": true, "DataProtectionPolicy": true, "FifoThroughputScope": true,
}

// CreateTopic creates a topic, or returns the ARN of the one of that name
// when the attributes given match it.
func (s *Service) CreateTopic(_ context.Context, in CreateTopicInput) (TopicOutput, error) {
	fifo := strings.EqualFold(in.Attributes["FifoTopic"], "true")
	base, hasSuffix := strings.CutSuffix(in.Name, ".fifo")
	if !topicNameRE.MatchString(base) || len(in.Name) > 256 || fifo != hasSuffix {
		return TopicOutput{}, invalid("Topic Name")
	}
	for name := range in.Attributes {
		if !topicAttributes[name] {
			return TopicOutput{}, invalid("Attributes Reason: Unknown attribute %s", name)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	arn := s.TopicARN(in.Name)
	if t := s.topics[arn]; t != nil {
		for k, v := range in.Attributes {
			if t.attrs[k] != v {
				return TopicOutput{}, invalid("Attributes Reason: Topic already exists with different attributes")
			}
		}
		return TopicOutput{TopicArn: arn}, nil
	}
	t := &topic{arn: arn, name: in.Name, attrs: map[string]string{}, fifo: fifo, created: s.clock.Now()}
	for k, v := range in.Attributes {
		t.attrs[k] = v
	}
	s.topics[arn] = t
	s.log.Info("topic created", "topic", arn)
	return TopicOutput{TopicArn: arn}, nil
}

// DeleteTopic deletes a topic and its subscriptions; deleting one that
// does not exist succeeds, as on AWS.
func (s *Service) DeleteTopic(_ context.Context, in TopicInput) error {
	if in.TopicArn == "" {
		return invalid("TopicArn")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.topics[in.TopicArn]
	if t == nil {
		return nil
	}
	for _, sub := range t.subs {
		delete(s.subs, sub.arn)
	}
	delete(s.topics, t.arn)
	s.log.Info("topic deleted", "topic", t.arn)
	return nil
}

// pageSize is how many topics or subscriptions a List answer holds.
const pageSize = 100

// page cuts sorted keys after the token's key into a page and the next
// page's token.
func page(keys []string, token string) ([]string, string, error) {
	sort.Strings(keys)
	if token != "" {
		after, err := hex.DecodeString(token)
		if err != nil {
			return nil, "", invalid("NextToken")
		}
		i := sort.SearchStrings(keys, string(after))
		for i < len(keys) && keys[i] <= string(after) {
			i++
		}
		keys = keys[i:]
	}
	if len(keys) > pageSize {
		return keys[:pageSize], hex.EncodeToString([]byte(keys[pageSize-1])), nil
	}
	return keys, "", nil
}

// ListTopics lists the topics' ARNs, 100 a page.
func (s *Service) ListTopics(_ context.Context, in ListInput) (ListTopicsOutput, error) {
	s.mu.Lock()
	arns := make([]string, 0, len(s.topics))
	for arn := range s.topics {
		arns = append(arns, arn)
	}
	s.mu.Unlock()
	arns, next, err := page(arns, in.NextToken)
	if err != nil {
		return ListTopicsOutput{}, err
	}
	out := ListTopicsOutput{Topics: []TopicOutput{}, NextToken: next}
	for _, arn := range arns {
		out.Topics = append(out.Topics, TopicOutput{TopicArn: arn})
	}
	return out, nil
}

func (s *Service) topic(arn string) (*topic, error) {
	if arn == "" {
		return nil, invalid("TopicArn")
	}
	t := s.topics[arn]
	if t == nil {
		return nil, errorf(CodeNotFound, "Topic does not exist")
	}
	return t, nil
}

// GetTopicAttributes returns a topic's attributes.
func (s *Service) GetTopicAttributes(_ context.Context, in TopicInput) (AttributesOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.topic(in.TopicArn)
	if err != nil {
		return AttributesOutput{}, err
	}
	a := map[string]string{
		"TopicArn": t.arn, "Owner": s.cfg.AccountID, "DisplayName": "",
		"SubscriptionsConfirmed": strconv.Itoa(len(t.subs)), "SubscriptionsPending": "0", "SubscriptionsDeleted": "0",
		"Policy":                  defaultTopicPolicy(t.arn, s.cfg.AccountID),
		"EffectiveDeliveryPolicy": `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`,
	}
	if t.fifo {
		a["FifoTopic"] = "true"
		a["ContentBasedDeduplication"] = "false"
	}
	for k, v := range t.attrs {
		a[k] = v
	}
	return AttributesOutput{Attributes: a}, nil
}

func defaultTopicPolicy(arn, account string) string {
	return `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"` +
		arn + `","Condition":{"StringEquals":{"AWS:SourceOwner":"` + account + `"}}}]}`
}

// SetTopicAttributes sets one attribute of a topic.
func (s *Service) SetTopicAttributes(_ context.Context, in SetTopicAttributesInput) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.topic(in.TopicArn)
	if err != nil {
		return err
	}
	if !topicAttributes[in.AttributeName] || in.AttributeName == "FifoTopic" {
		return invalid("AttributeName")
	}
	t.attrs[in.AttributeName] = in.AttributeValue
	return nil
}

// subscriptionAttributes are the attributes Subscribe and
// SetSubscriptionAttributes take. FilterPolicy is refused: a filter the
// local SNS ignored would deliver what AWS would not.
var subscriptionAttributes = map[string]bool{
	"RawMessageDelivery": true, "DeliveryPolicy": true, "RedrivePolicy": true, "SubscriptionRoleArn": true,
}

func checkSubscriptionAttribute(name, value string) error {
	switch {
	case name == "FilterPolicy" || name == "FilterPolicyScope":
		return invalid("Attributes Reason: %s is not supported by the local SNS, which would deliver every message", name)
	case !subscriptionAttributes[name]:
		return invalid("Attributes Reason: Unknown attribute %s", name)
	case name == "RawMessageDelivery" && value != "true" && value != "false":
		return invalid("Attributes Reason: RawMessageDelivery: Invalid value [%s]. Must be true or false.", value)
	}
	return nil
}

// Subscribe subscribes a queue (Protocol "sqs", Endpoint its ARN) to a
// topic; subscribing it again returns the same subscription. Other
// protocols are refused.
func (s *Service) Subscribe(_ context.Context, in SubscribeInput) (SubscriptionOutput, error) {
	if in.Protocol == "" {
		return SubscriptionOutput{}, invalid("Protocol")
	}
	if in.Protocol != "sqs" {
		return SubscriptionOutput{}, invalid("Protocol Reason: the local SNS delivers to sqs subscriptions only, not %s", in.Protocol)
	}
	if s.cfg.Queues == nil {
		return SubscriptionOutput{}, invalid("Protocol Reason: no local SQS is wired to this SNS")
	}
	queue, ok := s.cfg.Queues.QueueNameFromARN(in.Endpoint)
	if !ok {
		return SubscriptionOutput{}, invalid("SQS endpoint ARN: %s is not a queue of region %s and account %s", in.Endpoint, s.cfg.Region, s.cfg.AccountID)
	}
	for k, v := range in.Attributes {
		if err := checkSubscriptionAttribute(k, v); err != nil {
			return SubscriptionOutput{}, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.topic(in.TopicArn)
	if err != nil {
		return SubscriptionOutput{}, err
	}
	if t.fifo != strings.HasSuffix(queue, ".fifo") {
		return SubscriptionOutput{}, invalid("Endpoint Reason: FIFO topics deliver to FIFO queues only, and standard topics to standard queues")
	}
	for _, sub := range t.subs {
		if sub.protocol == in.Protocol && sub.endpoint == in.Endpoint {
			for k, v := range in.Attributes {
				if sub.attrs[k] != v {
					return SubscriptionOutput{}, invalid("Attributes Reason: Subscription already exists with different attributes")
				}
			}
			return SubscriptionOutput{SubscriptionArn: sub.arn}, nil
		}
	}
	sub := &subscription{arn: t.arn + ":" + newID(), topic: t.arn, protocol: in.Protocol, endpoint: in.Endpoint, attrs: map[string]string{}}
	for k, v := range in.Attributes {
		sub.attrs[k] = v
	}
	t.subs = append(t.subs, sub)
	s.subs[sub.arn] = sub
	return SubscriptionOutput{SubscriptionArn: sub.arn}, nil
}

// Unsubscribe deletes a subscription.
func (s *Service) Unsubscribe(_ context.Context, in SubscriptionInput) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, err := s.subscription(in.SubscriptionArn)
	if err != nil {
		return err
	}
	delete(s.subs, sub.arn)
	if t := s.topics[sub.topic]; t != nil {
		for i, x := range t.subs {
			if x == sub {
				t.subs = append(t.subs[:i], t.subs[i+1:]...)
				break
			}
		}
	}
	return nil
}

func (s *Service) subscription(arn string) (*subscription, error) {
	if arn == "" {
		return nil, invalid("SubscriptionArn")
	}
	sub := s.subs[arn]
	if sub == nil {
		return nil, errorf(CodeNotFound, "Subscription does not exist")
	}
	return sub, nil
}

// GetSubscriptionAttributes returns a subscription's attributes.
func (s *Service) GetSubscriptionAttributes(_ context.Context, in SubscriptionInput) (AttributesOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, err := s.subscription(in.SubscriptionArn)
	if err != nil {
		return AttributesOutput{}, err
	}
	a := map[string]string{
		"SubscriptionArn": sub.arn, "TopicArn": sub.topic, "Owner": s.cfg.AccountID,
		"Protocol": sub.protocol, "Endpoint": sub.endpoint, "RawMessageDelivery": "false",
		"ConfirmationWasAuthenticated": "true", "PendingConfirmation": "false",
		"SubscriptionPrincipal": "arn:aws:iam::" + s.cfg.AccountID + ":root",
	}
	for k, v := range sub.attrs {
		a[k] = v
	}
	return AttributesOutput{Attributes: a}, nil
}

// SetSubscriptionAttributes sets one attribute of a subscription.
func (s *Service) SetSubscriptionAttributes(_ context.Context, in SetSubscriptionAttributesInput) error {
	if err := checkSubscriptionAttribute(in.AttributeName, in.AttributeValue); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, err := s.subscription(in.SubscriptionArn)
	if err != nil {
		return err
	}
	sub.attrs[in.AttributeName] = in.AttributeValue
	return nil
}

// ListSubscriptions lists every subscription, 100 a page.
func (s *Service) ListSubscriptions(_ context.Context, in ListInput) (ListSubscriptionsOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listSubscriptions(s.subs, in.NextToken)
}

// ListSubscriptionsByTopic lists a topic's subscriptions, 100 a page.
func (s *Service) ListSubscriptionsByTopic(_ context.Context, in ListInput) (ListSubscriptionsOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.topic(in.TopicArn)
	if err != nil {
		return ListSubscriptionsOutput{}, err
	}
	subs := map[string]*subscription{}
	for _, sub := range t.subs {
		subs[sub.arn] = sub
	}
	return s.listSubscriptions(subs, in.NextToken)
}

func (s *Service) listSubscriptions(subs map[string]*subscription, token string) (ListSubscriptionsOutput, error) {
	arns := make([]string, 0, len(subs))
	for arn := range subs {
		arns = append(arns, arn)
	}
	arns, next, err := page(arns, token)
	if err != nil {
		return ListSubscriptionsOutput{}, err
	}
	out := ListSubscriptionsOutput{Subscriptions: []Subscription{}, NextToken: next}
	for _, arn := range arns {
		sub := subs[arn]
		out.Subscriptions = append(out.Subscriptions, Subscription{SubscriptionArn: sub.arn, Owner: s.cfg.AccountID,
			Protocol: sub.protocol, Endpoint: sub.endpoint, TopicArn: sub.topic})
	}
	return out, nil
}

// newID is a random UUID (version 4), the shape of SNS's ids.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
