package offline

import (
	"log/slog"

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
	var sqsClock sqs.Clock
	var snsClock sns.Clock
	if s.cfg.Clock != nil {
		sqsClock, snsClock = s.cfg.Clock, s.cfg.Clock
	}
	s.sqs = sqs.New(sqs.Config{Region: s.svc.Region, AccountID: s.svc.AccountID, BaseURL: s.urls.SQS,
		Clock: sqsClock, Logger: s.log.With("server", "sqs")})
	s.sns = sns.New(sns.Config{Region: s.svc.Region, AccountID: s.svc.AccountID, BaseURL: s.urls.SNS,
		Queues: s.sqs, Clock: snsClock, Logger: s.log.With("server", "sns")})
	s.servers = append(s.servers,
		s.serve(sqsLn, "sqs", logRequests(s.log, "sqs", slog.LevelDebug, s.sqs.Handler())),
		s.serve(snsLn, "sns", logRequests(s.log, "sns", slog.LevelDebug, s.sns.Handler())))
	return nil
}
