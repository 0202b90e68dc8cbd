package offline

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/asyncjobs/stepjobs/internal/slsconfig"

	"github.com/asyncjobs/stepjobs/internal/sns"
	"github.com/asyncjobs/stepjobs/internal/sqs"
)

// startMessaging binds and serves the local SQS (AWS JSON 1.0) and SNS
// (query protocol), in-process, for the AWS CLI and SDKs and, later, the
// state machines' sqs and sns integrations.
func (s *Server) startMessaging() error {
	sqsLn, err := s.listen(s.cfg.SQSPort, "SQS")
	if err != nil {
		return err
	}
	snsLn, err := s.listen(s.cfg.SNSPort, "SNS")
	if err != nil {
		_ = sqsLn.Close()
		return err
	}
	s.urls.SQS = "http://" + sqsLn.Addr().String()
	s.urls.SNS = "http://" + snsLn.Addr().String()
	s.sqs = sqs.New(sqs.Config{Region: s.svc.Region, AccountID: s.svc.AccountID, BaseURL: s.urls.SQS,
		Clock: s.cfg.Clock, Logger: s.log.With("server", "sqs")})
	s.sns = sns.New(sns.Config{Region: s.svc.Region, AccountID: s.svc.AccountID, BaseURL: s.urls.SNS,
		Queues: s.sqs, Clock: s.cfg.Clock, Logger: s.log.With("server", "sns")})
	s.servers = append(s.servers,
		s.serve(sqsLn, "sqs", logRequests(s.log, "sqs", slog.LevelDebug, s.sqs.Handler())),
		s.serve(snsLn, "sns", logRequests(s.log, "sns", slog.LevelDebug, s.sns.Handler())))
	return nil
}

// queueAttributes are the AWS::SQS::Queue properties that are queue
// attributes of the same name.
var queueAttributes = []string{"ContentBasedDeduplication", "DelaySeconds", "FifoQueue", "MaximumMessageSize",
	"MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds", "VisibilityTimeout"}

// createStackMessaging creates the queues, topics and sqs subscriptions
// serverless.yml's resources declare in the local SQS and SNS, so that a
// definition or a function naming them by Ref or Fn::GetAtt finds them as
// it would on AWS. A subscription of another protocol (email, https...) is
// left out, logged: nothing local can receive it. A queue's RedrivePolicy
// is applied once every queue exists.
func (s *Server) createStackMessaging(ctx context.Context, l slsconfig.Lookup) error {
	for _, q := range s.svc.Queues {
		attrs := map[string]string{}
		for _, a := range queueAttributes {
			if v, ok := q.Properties[a]; ok {
				attrs[a] = fmt.Sprint(v)
			}
		}
		if _, err := s.sqs.CreateQueue(ctx, sqs.CreateQueueInput{QueueName: q.QueueName, Attributes: attrs}); err != nil {
			return fmt.Errorf("offline: queue %s: %w", q.LogicalID, err)
		}
	}
	for _, q := range s.svc.Queues {
		policy, ok := q.Properties["RedrivePolicy"]
		if !ok {
			continue
		}
		resolved, err := slsconfig.ResolveIntrinsics(policy, l, "resources.Resources."+q.LogicalID+".Properties.RedrivePolicy")
		if err != nil {
			return fmt.Errorf("offline: queue %s: %w", q.LogicalID, err)
		}
		b, err := json.Marshal(resolved)
		if err != nil {
			return fmt.Errorf("offline: queue %s: RedrivePolicy: %w", q.LogicalID, err)
		}
		url, _ := l.Ref(q.LogicalID)
		if err := s.sqs.SetQueueAttributes(ctx, sqs.SetQueueAttributesInput{QueueUrl: url, Attributes: map[string]string{"RedrivePolicy": string(b)}}); err != nil {
			return fmt.Errorf("offline: queue %s: RedrivePolicy: %w", q.LogicalID, err)
		}
	}
	for _, t := range s.svc.Topics {
		attrs := map[string]string{}
		if v, ok := t.Properties["FifoTopic"]; ok {
			attrs["FifoTopic"] = fmt.Sprint(v)
		}
		if _, err := s.sns.CreateTopic(ctx, sns.CreateTopicInput{Name: t.TopicName, Attributes: attrs}); err != nil {
			return fmt.Errorf("offline: topic %s: %w", t.LogicalID, err)
		}
	}
	for _, sub := range s.svc.Subscriptions {
		props, err := slsconfig.ResolveIntrinsics(sub.Properties, l, "resources.Resources."+sub.LogicalID+".Properties")
		if err != nil {
			s.log.Debug("SNS subscription left out: it names what the local runtime does not have", "subscription", sub.LogicalID, "err", err)
			continue
		}
		p, _ := props.(map[string]any)
		protocol, _ := p["Protocol"].(string)
		if !strings.EqualFold(protocol, "sqs") {
			s.log.Debug("SNS subscription left out: only sqs subscriptions deliver locally", "subscription", sub.LogicalID, "protocol", protocol)
			continue
		}
		topic, _ := p["TopicArn"].(string)
		endpoint, _ := p["Endpoint"].(string)
		attrs := map[string]string{}
		if v, ok := p["RawMessageDelivery"]; ok {
			attrs["RawMessageDelivery"] = fmt.Sprint(v)
		}
		if _, err := s.sns.Subscribe(ctx, sns.SubscribeInput{TopicArn: topic, Protocol: "sqs", Endpoint: endpoint, Attributes: attrs}); err != nil {
			return fmt.Errorf("offline: subscription %s: %w", sub.LogicalID, err)
		}
	}
	return nil
}
