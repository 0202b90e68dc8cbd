package offline

import (
	"log/slog"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/asyncjobs/stepjobs/internal/secretstore"
)

// startSecrets serves the local Secrets Manager on a port of its own (0:
// any free one) and generates the stack's secrets, as
// GenerateSecretString does at deploy.
func (s *Server) startSecrets(names *stackNames) error {
	s.secrets = secretstore.New()
	for id, typ := range resourceTypes(s.svc) {
		if typ == "AWS::SecretsManager::Secret" {
			arn, _ := names.Ref(id)
			s.secrets.Generate(arn, id) // its local name is its logical ID
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

// Secret is the value of the stack's secret resource logicalID (the
// callback signing secret: CallbackSigningSecret), as its functions read it.
func (s *Server) Secret(logicalID string) (string, bool) {
	if s.secrets == nil {
		return "", false
	}
	return s.secrets.Value(logicalID)
}
