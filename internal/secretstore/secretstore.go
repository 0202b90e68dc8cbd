// Package secretstore is the local runtime's Secrets Manager: the stack's
// AWS::SecretsManager::Secret resources, each with a value generated at
// start (as GenerateSecretString does on AWS), served over the AWS JSON 1.1
// protocol for GetSecretValue, the one call the functions make. The SDK's
// client (and the AWS CLI) reach it with an endpoint URL.
//
// It does not emulate writes, versions other than AWSCURRENT, rotation,
// resource policies or KMS.
package secretstore

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Store holds the secrets.
type Store struct {
	mu      sync.Mutex
	secrets map[string]secret // by ARN and by name
}

type secret struct {
	arn, name, value string
	created          time.Time
}

// New returns an empty store.
func New() *Store { return &Store{secrets: map[string]secret{}} }

// Generate creates the secret arn (named name) with 32 random bytes in
// hex, unless it exists, and returns its value.
func (s *Store) Generate(arn, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sec, ok := s.secrets[arn]; ok {
		return sec.value
	}
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	sec := secret{arn: arn, name: name, value: hex.EncodeToString(b[:]), created: time.Now()}
	s.secrets[arn], s.secrets[name] = sec, sec
	return sec.value
}

// Value is the secret named by id (its ARN or name).
func (s *Store) Value(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.secrets[id]
	return sec.value, ok
}

// Handler serves GetSecretValue (X-Amz-Target secretsmanager.GetSecretValue).
func (s *Store) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			fail(w, http.StatusMethodNotAllowed, "InvalidRequestException", "POST only")
			return
		}
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "secretsmanager.")
		if op != "GetSecretValue" {
			fail(w, http.StatusBadRequest, "UnknownOperationException", "the local Secrets Manager answers GetSecretValue only, not "+op)
			return
		}
		var in struct {
			SecretID     string `json:"SecretId"`
			VersionStage string `json:"VersionStage"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
			fail(w, http.StatusBadRequest, "SerializationException", err.Error())
			return
		}
		s.mu.Lock()
		sec, ok := s.secrets[in.SecretID]
		s.mu.Unlock()
		if !ok || (in.VersionStage != "" && in.VersionStage != "AWSCURRENT") {
			fail(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"ARN": sec.arn, "Name": sec.name, "SecretString": sec.value, "VersionId": "local-v1",
			"VersionStages": []string{"AWSCURRENT"}, "CreatedDate": float64(sec.created.UnixMilli()) / 1000,
		})
	})
}

func fail(w http.ResponseWriter, code int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}
