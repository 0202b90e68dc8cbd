package offline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/asyncjobs/stepjobs/internal/eventbridge"
	"github.com/asyncjobs/stepjobs/internal/function/catalog"
	"github.com/asyncjobs/stepjobs/internal/secretstore"
	"github.com/asyncjobs/stepjobs/internal/sqs"
)

// notifierDir is the completion callbacks' function (cmd/notifier): its
// failed deliveries stay in its dead-letter queue, as on AWS, instead of
// being redriven as status-update's are (docs/callbacks.md).
const notifierDir = "notifier"

// startSecrets serves the local Secrets Manager on a port of its own (0:
// any free one) and generates the stack's secrets, as
// GenerateSecretString does at deploy.
func (s *Server) startSecrets(names *stackNames) error {
	s.secrets = secretstore.New()
	for id, typ := range resourceTypes(s.svc) {
		if typ == "AWS::SecretsManager::Secret" {
			arn, _ := names.Ref(id)
			s.secrets.Generate(arn, secretName(id))
		}
	}
	ln, err := s.listen(0, "Secrets Manager")
	if err != nil {
		return err
	}
	s.urls.SecretsManager = "http://" + ln.Addr().String()
	s.servers = append(s.servers, s.serve(ln, "secretsmanager", logRequests(s.log, "secretsmanager", slog.LevelDebug, s.secrets.Handler())))
	s.secretsClient = secretsmanager.New(secretsmanager.Options{Region: s.svc.Region, BaseEndpoint: aws.String(s.urls.SecretsManager),
		Credentials: credentialsFor(), HTTPClient: &http.Client{Transport: storeTransport()}})
	return nil
}

// secretName is the local name of the secret resource id.
func secretName(id string) string { return id }

// Secret is the value of the stack's secret resource logicalID (the
// callback signing secret: CallbackSigningSecret), as its functions read it.
func (s *Server) Secret(logicalID string) (string, bool) {
	if s.secrets == nil {
		return "", false
	}
	return s.secrets.Value(secretName(logicalID))
}

// keepNotifierDeadLetters has the rules leave the notifier's failed
// deliveries in its on-failure queue, in the local SQS, as Lambda's
// invocation record.
func (s *Server) keepNotifierDeadLetters(names *stackNames) {
	var keys []string
	for _, fn := range s.svc.Functions {
		if dir, err := catalog.Dir(fn); err == nil && dir == notifierDir {
			keys = append(keys, fn.Key)
		}
	}
	if len(keys) == 0 {
		return
	}
	s.eventRules.KeepDeadLetters(func(ctx context.Context, l eventbridge.DeadLetter) error {
		return s.sendInvocationRecord(ctx, names, l)
	}, keys...)
}

// sendInvocationRecord writes l to its queue as the record Lambda's
// on-failure destination sends.
func (s *Server) sendInvocationRecord(ctx context.Context, names *stackNames, l eventbridge.DeadLetter) error {
	queue, ok := s.sqs.QueueNameFromARN(l.Queue)
	if !ok {
		return fmt.Errorf("offline: dead-letter queue %s: not a local queue", l.Queue)
	}
	name := l.Function
	for _, fn := range s.svc.Functions {
		if fn.Key == l.Function {
			name = fn.Name
		}
	}
	record := map[string]any{
		"version":   "1.0",
		"timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"requestContext": map[string]any{
			"requestId": requestID(), "functionArn": names.functionARN(name) + ":$LATEST",
			"condition": "RetriesExhausted", "approximateInvokeCount": l.Attempts,
		},
		"requestPayload":  json.RawMessage(l.Payload),
		"responseContext": map[string]any{"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
		"responsePayload": map[string]any{"errorType": l.ErrorType, "errorMessage": fmt.Sprint(l.Err)},
	}
	body, err := json.Marshal(record)
	if err != nil {
		return fmt.Errorf("offline: invocation record: %w", err)
	}
	_, err = s.sqs.SendMessage(ctx, sqs.SendMessageInput{QueueUrl: s.sqs.QueueURL(queue), MessageBody: string(body)})
	return err
}

// requestID is a random id in Lambda's request id's place.
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b[:])
}
