package offline

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	snssdk "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/asyncjobs/stepjobs/internal/eventbridge"
	"github.com/asyncjobs/stepjobs/internal/integration"
	"github.com/asyncjobs/stepjobs/internal/sfn"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
)

// startIntegrations makes the EventBridge rules (serverless.yml's
// eventBridge events; resume subscribes them to the engine) and registers
// the service integrations the runtime serves on its own services before
// the engine opens (a data file's machines are resolved as it opens) and
// any state machine is created, so a definition can use them. The engine
// is given to the states integration once it is open (LateEngine.Set).
func (s *Server) startIntegrations(registry *sfn.Registry, lookup slsconfig.Lookup, partition string) (*integration.LateEngine, error) {
	rules, err := s.svc.EventRules(lookup)
	if err != nil {
		return nil, fmt.Errorf("offline: eventBridge rules: %w", err)
	}
	late := &integration.LateEngine{}
	s.eventRules = eventbridge.New(rules, s.backgroundInvoker, s.svc.Region, s.svc.AccountID, s.log.With("server", "eventbridge"))
	served := integration.Register(registry, integration.Config{
		Partition: partition, Region: s.svc.Region, AccountID: s.svc.AccountID,
		DynamoDB: s.dynamo, S3: s.s3, Events: s.eventRules, StepFunctions: late, Wrap: s.function,
		SQS: &integration.Endpoint{URL: s.urls.SQS},
		SNS: snssdk.New(snssdk.Options{Region: s.svc.Region, BaseEndpoint: aws.String(s.urls.SNS), Credentials: credentialsFor()}),
	})
	s.log.Debug("service integrations", "resources", served)
	return late, nil
}
