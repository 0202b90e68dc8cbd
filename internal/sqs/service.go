package sqs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/asyncjobs/stepjobs/internal/localaws"
)

// Clock is the service's time source: visibility timeouts, delays,
// retention and timestamps read it, so tests move time instead of sleeping.
// Long polls wait in real time; a change to a queue wakes them early.
type Clock = localaws.Clock

// Config configures a Service.
type Config struct {
	// Region and AccountID make the queues' ARNs and URLs (defaults
	// us-east-1 and 000000000000, the local runtime's account).
	Region, AccountID string
	// BaseURL is where Handler is served ("http://127.0.0.1:9324"): queue
	// URLs are BaseURL/ACCOUNT/NAME. Default http://localhost.
	BaseURL string
	// Clock is the time source; nil means the wall clock.
	Clock Clock
	// Logger receives a line per queue created or deleted; nil discards.
	Logger *slog.Logger
}

// Service is an in-memory SQS for one account and region. Its methods are
// safe for concurrent use.
type Service struct {
	cfg   Config
	clock Clock
	log   *slog.Logger

	mu      sync.Mutex
	queues  map[string]*queue    // by name
	deleted map[string]time.Time // names deleted, for QueueDeletedRecently
	// changed is closed (and replaced) whenever a message may have become
	// receivable, waking long polls.
	changed chan struct{}
	// stopped ends the long polls at once (Stop).
	stopped bool
}

// New returns an empty service.
func New(cfg Config) *Service {
	cfg.Region, cfg.AccountID, cfg.BaseURL = localaws.Endpoint(cfg.Region, cfg.AccountID, cfg.BaseURL)
	s := &Service{cfg: cfg, queues: map[string]*queue{}, deleted: map[string]time.Time{}, changed: make(chan struct{})}
	s.clock, s.log = localaws.Defaults(cfg.Clock, cfg.Logger)
	return s
}

// QueueURL is the URL of the queue named name (existing or not).
func (s *Service) QueueURL(name string) string {
	return s.cfg.BaseURL + "/" + s.cfg.AccountID + "/" + name
}

// QueueARN is the ARN of the queue named name (existing or not).
func (s *Service) QueueARN(name string) string {
	return "arn:aws:sqs:" + s.cfg.Region + ":" + s.cfg.AccountID + ":" + name
}

// QueueNameFromARN is the queue name of an SQS ARN of this service's region
// and account, or false.
func (s *Service) QueueNameFromARN(arn string) (string, bool) {
	name, ok := strings.CutPrefix(arn, "arn:aws:sqs:"+s.cfg.Region+":"+s.cfg.AccountID+":")
	return name, ok && name != ""
}

// Stop ends the long polls in progress and those to come, which answer
// what they have (nothing) at once, so that a server shutting down does not
// wait up to 20 s for its pollers. Everything else works on.
func (s *Service) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	s.broadcast()
}

// broadcast wakes the long polls. Callers hold s.mu.
func (s *Service) broadcast() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// lookup resolves a queue URL: its path's last two segments are the
// account and the name; the host is not compared, so localhost, 127.0.0.1
// and AWS-shaped URLs (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME) all
// reach the queue. Callers hold s.mu.
func (s *Service) lookup(queueURL string) (*queue, error) {
	if queueURL == "" {
		return nil, errMissing("QueueUrl")
	}
	u, err := url.Parse(queueURL)
	if err != nil {
		return nil, errorf(CodeInvalidAddress, "The address %s is not valid for this endpoint.", queueURL)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 {
		return nil, errorf(CodeInvalidAddress, "The address %s is not valid for this endpoint.", queueURL)
	}
	account, name := parts[len(parts)-2], parts[len(parts)-1]
	q := s.queues[name]
	if q == nil || account != s.cfg.AccountID {
		return nil, errNoQueue()
	}
	return q, nil
}

// CreateQueue creates a queue, or returns the URL of the one of that name
// when the attributes given match it.
func (s *Service) CreateQueue(_ context.Context, in CreateQueueInput) (CreateQueueOutput, error) {
	if in.QueueName == "" {
		return CreateQueueOutput{}, errMissing("QueueName")
	}
	fifo := in.Attributes[attrFifoQueue] == "true"
	if !validQueueName(in.QueueName, fifo) {
		if fifo || strings.HasSuffix(in.QueueName, ".fifo") {
			return CreateQueueOutput{}, errorf(CodeInvalidParameterValue, "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
		}
		return CreateQueueOutput{}, errorf(CodeInvalidParameterValue, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if q := s.queues[in.QueueName]; q != nil {
		for name, v := range in.Attributes {
			if cur, ok := q.attribute(name, now); !ok || cur != normalizeAttribute(name, v) {
				return CreateQueueOutput{}, errorf(CodeQueueNameExists, "A queue already exists with the same name and a different value for attribute %s", name)
			}
		}
		return CreateQueueOutput{QueueUrl: q.url}, nil
	}
	if at, ok := s.deleted[in.QueueName]; ok && now.Sub(at) < 60*time.Second {
		return CreateQueueOutput{}, errorf(CodeQueueDeletedRecently, "You must wait 60 seconds after deleting a queue before you can create another queue with the same name.")
	}
	q := &queue{name: in.QueueName, arn: s.QueueARN(in.QueueName), url: s.QueueURL(in.QueueName),
		created: now, modified: now, byID: map[string]*message{}, tags: map[string]string{},
		attrs: defaultAttributes(fifo)}
	if err := s.setAttributes(q, in.Attributes); err != nil {
		return CreateQueueOutput{}, err
	}
	for k, v := range in.Tags {
		q.tags[k] = v
	}
	s.queues[q.name] = q
	delete(s.deleted, q.name)
	s.log.Info("queue created", "queue", q.name, "url", q.url)
	return CreateQueueOutput{QueueUrl: q.url}, nil
}

// GetQueueUrl returns the URL of a queue by name.
func (s *Service) GetQueueUrl(_ context.Context, in GetQueueUrlInput) (GetQueueUrlOutput, error) { //nolint:revive // SQS's name
	if in.QueueName == "" {
		return GetQueueUrlOutput{}, errMissing("QueueName")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queues[in.QueueName]
	if q == nil || (in.QueueOwnerAWSAccountId != "" && in.QueueOwnerAWSAccountId != s.cfg.AccountID) {
		return GetQueueUrlOutput{}, errNoQueue()
	}
	return GetQueueUrlOutput{QueueUrl: q.url}, nil
}

// ListQueues lists the queues' URLs in name order, up to MaxResults
// (1 to 1000) a page when given, else up to 1000 in all.
func (s *Service) ListQueues(_ context.Context, in ListQueuesInput) (ListQueuesOutput, error) {
	limit := 1000
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 1000 {
			return ListQueuesOutput{}, errInvalidValue("MaxResults", strconv.Itoa(*in.MaxResults), "MaxResults must be an integer between 1 and 1000.")
		}
		limit = *in.MaxResults
	}
	after := ""
	if in.NextToken != "" {
		b, err := hex.DecodeString(in.NextToken)
		if err != nil {
			return ListQueuesOutput{}, errInvalidValue("NextToken", in.NextToken, "Invalid NextToken value.")
		}
		after = string(b)
	}
	s.mu.Lock()
	names := make([]string, 0, len(s.queues))
	for name := range s.queues {
		if strings.HasPrefix(name, in.QueueNamePrefix) && name > after {
			names = append(names, name)
		}
	}
	s.mu.Unlock()
	sort.Strings(names)
	var out ListQueuesOutput
	if len(names) > limit {
		names = names[:limit]
		if in.MaxResults != nil {
			out.NextToken = hex.EncodeToString([]byte(names[limit-1]))
		}
	}
	for _, name := range names {
		out.QueueUrls = append(out.QueueUrls, s.QueueURL(name))
	}
	return out, nil
}

// DeleteQueue deletes a queue and its messages. Its name can be used again
// after 60 seconds, as on AWS.
func (s *Service) DeleteQueue(_ context.Context, in QueueInput) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.lookup(in.QueueUrl)
	if err != nil {
		return err
	}
	delete(s.queues, q.name)
	s.deleted[q.name] = s.clock.Now()
	s.broadcast()
	s.log.Info("queue deleted", "queue", q.name)
	return nil
}

// PurgeQueue deletes every message of a queue; once in 60 seconds.
func (s *Service) PurgeQueue(_ context.Context, in QueueInput) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.lookup(in.QueueUrl)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	if !q.purged.IsZero() && now.Sub(q.purged) < 60*time.Second {
		return errorf(CodePurgeQueueInProgress, "Only one PurgeQueue operation on %s is allowed every 60 seconds.", q.name)
	}
	q.purged = now
	q.msgs, q.byID = nil, map[string]*message{}
	return nil
}

// GetQueueAttributes returns the named attributes ("All" for every one).
func (s *Service) GetQueueAttributes(_ context.Context, in GetQueueAttributesInput) (GetQueueAttributesOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.lookup(in.QueueUrl)
	if err != nil {
		return GetQueueAttributesOutput{}, err
	}
	now := s.clock.Now()
	s.expire(q, now)
	out := GetQueueAttributesOutput{Attributes: map[string]string{}}
	for _, name := range in.AttributeNames {
		if name == "All" {
			for _, n := range q.attributeNames() {
				if v, ok := q.attribute(n, now); ok {
					out.Attributes[n] = v
				}
			}
			continue
		}
		if !knownAttribute(name) {
			return GetQueueAttributesOutput{}, errorf(CodeInvalidAttributeName, "Unknown Attribute %s.", name)
		}
		if v, ok := q.attribute(name, now); ok {
			out.Attributes[name] = v
		}
	}
	if len(out.Attributes) == 0 {
		out.Attributes = nil
	}
	return out, nil
}

// SetQueueAttributes changes a queue's attributes.
func (s *Service) SetQueueAttributes(_ context.Context, in SetQueueAttributesInput) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.lookup(in.QueueUrl)
	if err != nil {
		return err
	}
	if err := s.setAttributes(q, in.Attributes); err != nil {
		return err
	}
	q.modified = s.clock.Now()
	// A shorter delay can make messages receivable.
	s.broadcast()
	return nil
}

// TagQueue adds or replaces tags.
func (s *Service) TagQueue(_ context.Context, in TagQueueInput) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.lookup(in.QueueUrl)
	if err != nil {
		return err
	}
	for k, v := range in.Tags {
		q.tags[k] = v
	}
	return nil
}

// UntagQueue removes tags.
func (s *Service) UntagQueue(_ context.Context, in UntagQueueInput) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.lookup(in.QueueUrl)
	if err != nil {
		return err
	}
	for _, k := range in.TagKeys {
		delete(q.tags, k)
	}
	return nil
}

// ListQueueTags returns a queue's tags.
func (s *Service) ListQueueTags(_ context.Context, in QueueInput) (ListQueueTagsOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.lookup(in.QueueUrl)
	if err != nil {
		return ListQueueTagsOutput{}, err
	}
	var out ListQueueTagsOutput
	for k, v := range q.tags {
		if out.Tags == nil {
			out.Tags = map[string]string{}
		}
		out.Tags[k] = v
	}
	return out, nil
}

// newID is a random UUID (version 4), the shape of SQS's message ids.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
