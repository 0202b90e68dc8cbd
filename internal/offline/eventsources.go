package offline

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sqssdk "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/asyncjobs/stepjobs/internal/cpushare"
	"github.com/asyncjobs/stepjobs/internal/eventsource"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
	"github.com/asyncjobs/stepjobs/internal/sqs"
)

// newSQSClient is the functions' SDK client of the local SQS.
func (s *Server) newSQSClient() *sqssdk.Client {
	// A task's wait for the local SQS is I/O: its CPU share goes back meanwhile.
	return sqssdk.New(sqssdk.Options{Region: s.svc.Region, BaseEndpoint: aws.String(s.urls.SQS), Credentials: credentialsFor(),
		HTTPClient: &http.Client{Transport: cpushare.Transport(http.DefaultTransport)}})
}

// connectQueues has the EventBridge rules whose target is a queue send to
// the local SQS, and starts the functions' sqs event source mappings
// (eventsource), which poll it until Close.
func (s *Server) connectQueues(lookup slsconfig.Lookup) error {
	s.eventRules.DeliverToQueues(func(ctx context.Context, arn string, body []byte) error {
		url, err := s.localQueueURL(arn)
		if err != nil {
			return err
		}
		_, err = s.sqs.SendMessage(ctx, sqs.SendMessageInput{QueueUrl: url, MessageBody: string(body)})
		return err
	})
	sources, err := s.svc.QueueSources(lookup)
	if err != nil {
		return fmt.Errorf("offline: sqs events: %w", err)
	}
	mappings := make([]eventsource.Mapping, 0, len(sources))
	for _, src := range sources {
		url, err := s.localQueueURL(src.Queue)
		if err != nil {
			return fmt.Errorf("offline: function %s: sqs event: %w", src.Function, err)
		}
		inv, ok := s.invokers.invoker(src.Function)
		if !ok {
			return fmt.Errorf("offline: function %s: sqs event: no invoker", src.Function)
		}
		mappings = append(mappings, eventsource.Mapping{Source: src, QueueURL: url, Region: s.svc.Region, Function: s.background(inv),
			Timeout: time.Duration(s.functionSetting(src.Function, "timeout", 6)) * time.Second})
	}
	if len(mappings) > 0 {
		s.pollers = eventsource.Start(s.sqs, mappings, s.log.With("server", "sqs-event-source"))
	}
	return nil
}

// localQueueURL is the local SQS URL of the queue arn names.
func (s *Server) localQueueURL(arn string) (string, error) {
	name, ok := s.sqs.QueueNameFromARN(arn)
	if !ok {
		return "", fmt.Errorf("queue %s: not a queue of the local SQS", arn)
	}
	return s.sqs.QueueURL(name), nil
}
