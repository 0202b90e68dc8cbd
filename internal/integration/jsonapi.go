package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// httpDoer sends a request: the SDK clients' HTTPClient.
type httpDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// jsonService calls a service that speaks the AWS JSON 1.0 protocol
// (DynamoDB, SQS) with the request body as the integration received it:
// Step Functions' parameters are that protocol's shapes already.
type jsonService struct {
	endpoint     string
	client       httpDoer
	creds        aws.CredentialsProvider
	region       string
	signingName  string
	targetPrefix string // X-Amz-Target is <targetPrefix>.<Operation>
}

// dynamoDBService calls c's endpoint with c's HTTP client and credentials.
func dynamoDBService(c *dynamodb.Client) jsonService {
	o := c.Options()
	s := jsonService{client: o.HTTPClient, creds: o.Credentials, region: o.Region, signingName: "dynamodb", targetPrefix: "DynamoDB_20120810"}
	if o.BaseEndpoint != nil {
		s.endpoint = *o.BaseEndpoint
	}
	if s.client == nil {
		s.client = http.DefaultClient
	}
	return s
}

// sqsService calls the SQS endpoint ep (its AWS JSON 1.0 protocol).
func sqsService(ep *Endpoint, region string) jsonService {
	s := jsonService{endpoint: ep.URL, client: http.DefaultClient, region: region, signingName: "sqs", targetPrefix: "AmazonSQS",
		creds: aws.AnonymousCredentials{}}
	if ep.Client != nil {
		s.client = ep.Client
	}
	return s
}

// apiError is a service's error answer.
type apiError struct {
	Status    int
	Code      string
	QueryCode string // SQS: the query protocol's code for the same error
	Message   string
	RequestID string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s: %s (status %d, request %s)", e.Code, e.Message, e.Status, e.RequestID)
}

// call sends operation with body and returns the answer's body and
// response; a service error is an *apiError.
func (s jsonService) call(ctx context.Context, operation string, body []byte) ([]byte, *http.Response, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(s.endpoint, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", s.signingName, operation, err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", s.targetPrefix+"."+operation)
	if err := s.sign(ctx, req, body); err != nil {
		return nil, nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", s.signingName, operation, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: read answer: %w", s.signingName, operation, err)
	}
	if resp.StatusCode >= 300 {
		return nil, resp, jsonError(resp, out)
	}
	return out, resp, nil
}

// sign signs req with SigV4, as the SDKs do: the local servers accept any
// signature but some want one present.
func (s jsonService) sign(ctx context.Context, req *http.Request, body []byte) error {
	if s.creds == nil {
		return nil
	}
	if _, anonymous := s.creds.(aws.AnonymousCredentials); anonymous {
		return nil
	}
	creds, err := s.creds.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("%s credentials: %w", s.signingName, err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), s.signingName, s.region, time.Now()); err != nil {
		return fmt.Errorf("%s sign: %w", s.signingName, err)
	}
	return nil
}

// jsonError reads an AWS JSON error answer: {"__type": "ns#Code",
// "message": ...}.
func jsonError(resp *http.Response, body []byte) *apiError {
	var e struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	_ = json.Unmarshal(body, &e)
	code := e.Type
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	if code == "" {
		code = http.StatusText(resp.StatusCode)
	}
	msg := e.Message
	if msg == "" {
		msg = e.MessageU
	}
	return &apiError{Status: resp.StatusCode, Code: code, QueryCode: queryErrorCode(resp.Header), Message: msg,
		RequestID: resp.Header.Get("X-Amzn-Requestid")}
}
