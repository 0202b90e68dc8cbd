package test

// End-to-end tests of the local runtime: they start the real program
// (offline.Start, every port 0, data in a temporary directory) and drive it
// over HTTP like a client of the deployed API, and with the AWS SDK against
// its Step Functions, DynamoDB and S3 endpoints. One runtime is shared by
// the tests of this binary (dynalite takes about a second to start); tests
// that need their own (a fake clock, a data directory) start another.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/auth"
	"github.com/asyncjobs/stepjobs/internal/dynamo"
	"github.com/asyncjobs/stepjobs/internal/offline"
	"github.com/asyncjobs/stepjobs/internal/offline/devissuer"
)

func TestMain(m *testing.M) {
	code := m.Run()
	sharedMu.Lock()
	if sharedRT != nil {
		sharedRT.close()
	}
	sharedMu.Unlock()
	os.Exit(code)
}

var (
	sharedMu  sync.Mutex
	sharedRT  *localRuntime
	sharedErr error
)

// localRuntime is a started local runtime with clients for each of its parts.
type localRuntime struct {
	srv    *offline.Server
	api    string // the API's base URL
	http   *http.Client
	sfn    *sfn.Client
	ddb    *dynamodb.Client
	s3     *s3.Client
	jobs   *dynamo.Store
	bucket string
	table  string
	// token is the bearer token every request carries (a dev token of the
	// local runtime, or ASYNC_API_TOKEN for a deployed stage).
	token string
	// deployed: the API of a deployed stage (e2e_deployed_test.go).
	deployed bool
	// prefix is the caller's owner prefix when it cannot be computed (a
	// deployed stage's issuer); empty: the dev issuer's.
	prefix string
}

// shared returns the runtime shared by this test binary, starting it on
// first use.
func shared(t testing.TB) *localRuntime {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if sharedRT == nil && sharedErr == nil {
		sharedRT, sharedErr = startRuntime(context.Background(), testConfig())
	}
	require.NoError(t, sharedErr, "start the local runtime")
	return sharedRT
}

// own starts a runtime for one test, closed when the test ends.
func own(t *testing.T, cfg offline.Config) *localRuntime {
	t.Helper()
	rt, err := startRuntime(t.Context(), cfg)
	require.NoError(t, err, "start the local runtime")
	t.Cleanup(rt.close)
	return rt
}

// testConfig is the configuration of `make run` (data in memory, simulated
// failures allowed) on free ports.
func testConfig() offline.Config {
	cfg := offline.DefaultConfig()
	cfg.Dir = ".."
	cfg.APIPort, cfg.SFNPort, cfg.S3Port, cfg.DynamoDBPort, cfg.SQSPort, cfg.SNSPort = 0, 0, 0, 0, 0, 0
	if os.Getenv("STEPJOBS_E2E_LOG") != "" {
		cfg.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return cfg
}

func startRuntime(ctx context.Context, cfg offline.Config) (*localRuntime, error) {
	srv, err := offline.Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	u, res := srv.URLs(), srv.Resources()
	creds := credentials.NewStaticCredentialsProvider("local", "local", "")
	rt := &localRuntime{
		srv:  srv,
		api:  u.API,
		http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}},
		sfn:  sfn.New(sfn.Options{Region: res.Region, BaseEndpoint: aws.String(u.StepFunctions), Credentials: creds}),
		ddb:  dynamodb.New(dynamodb.Options{Region: res.Region, BaseEndpoint: aws.String(u.DynamoDB), Credentials: creds}),
		s3: s3.New(s3.Options{Region: res.Region, BaseEndpoint: aws.String(u.S3), UsePathStyle: true,
			Credentials: creds}),
		bucket: res.Buckets["ResultsBucket"],
		table:  res.Tables["JobsTable"],
	}
	rt.jobs = dynamo.New(rt.ddb, rt.table)
	if rt.token, err = srv.DevToken(offline.DefaultDevSubject, time.Hour, nil); err != nil {
		_ = srv.Close(ctx)
		return nil, err
	}
	return rt, nil
}

func (rt *localRuntime) close() {
	if rt.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = rt.srv.Close(ctx)
}

// response is an API answer: status, headers and the body parsed as JSON.
type response struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.Status, r.Raw) }

// post sends body to the API path with a JSON content type and the
// runtime's bearer token, unless headers say otherwise (an empty value
// leaves the header out: "Authorization", "" sends no token).
func (rt *localRuntime) post(t testing.TB, path string, body []byte, headers ...string) response {
	t.Helper()
	resp, err := rt.tryPost(context.Background(), path, body, headers...)
	require.NoError(t, err)
	return resp
}

func (rt *localRuntime) tryPost(ctx context.Context, path string, body []byte, headers ...string) (response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rt.api+path, bytes.NewReader(body))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	return rt.do(req, path, headers...)
}

// get sends a GET to the API path with the runtime's bearer token, unless
// headers say otherwise.
func (rt *localRuntime) get(t testing.TB, path string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, rt.api+path, nil)
	require.NoError(t, err)
	resp, err := rt.do(req, path, headers...)
	require.NoError(t, err)
	return resp
}

// do sends req with the bearer token and headers, and reads the JSON answer.
func (rt *localRuntime) do(req *http.Request, path string, headers ...string) (response, error) {
	if tok, err := rt.bearer(req.Context()); err != nil {
		return response{}, err
	} else if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := rt.http.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, err
	}
	out := response{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if err := json.Unmarshal(raw, &out.Body); err != nil {
		return out, fmt.Errorf("%s answered %d with a body that is not a JSON object: %q: %w", path, res.StatusCode, raw, err)
	}
	return out, nil
}

// start starts a job with body and requires a 202 with its Location.
func (rt *localRuntime) start(t testing.TB, body string, headers ...string) (arn, jobID string) {
	t.Helper()
	resp := rt.post(t, "/start-execution", []byte(body), headers...)
	require.Equal(t, http.StatusAccepted, resp.Status, resp.String())
	arn, _ = resp.Body["executionArn"].(string)
	jobID, _ = resp.Body["jobId"].(string)
	require.NotEmpty(t, arn, resp.String())
	require.Equal(t, "jobs/"+jobID+"/result", resp.Header.Get("Location"), resp.String())
	return arn, jobID
}

func (rt *localRuntime) describe(t testing.TB, arn string) response {
	t.Helper()
	body, err := json.Marshal(map[string]string{"executionArn": arn})
	require.NoError(t, err)
	resp := rt.post(t, "/describe-execution", body)
	require.Equal(t, http.StatusOK, resp.Status, resp.String())
	return resp
}

// wait polls describe-execution until the job is no longer RUNNING, with
// backoff as a client should, bounded by a generous deadline (a guard
// against a hang, not a timing assertion).
func (rt *localRuntime) wait(t testing.TB, arn string) response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	delay := 5 * time.Millisecond
	for {
		resp := rt.describe(t, arn)
		if resp.Body["status"] != "RUNNING" {
			return resp
		}
		select {
		case <-ctx.Done():
			require.FailNow(t, "job still RUNNING at the deadline", "%s: %s", arn, resp)
		case <-time.After(delay):
		}
		delay = min(delay*2, 200*time.Millisecond)
	}
}

// processTokens caches the dev tokens of runtimes started as a process
// (runtime{api, http} without srv), by API URL.
var processTokens sync.Map

// bearer is the token requests carry: the runtime's, or for a local
// runtime started as a process, a dev token fetched once from its
// /__dev/token.
func (rt *localRuntime) bearer(ctx context.Context) (string, error) {
	if rt.token != "" || rt.srv != nil || rt.deployed {
		return rt.token, nil
	}
	if tok, ok := processTokens.Load(rt.api); ok {
		return tok.(string), nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rt.api+offline.DevTokenPath, nil)
	if err != nil {
		return "", err
	}
	res, err := rt.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("dev token: %w", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("dev token: %d %s: %v", res.StatusCode, raw, err)
	}
	tok := strings.TrimSpace(string(raw))
	processTokens.Store(rt.api, tok)
	return tok, nil
}

// ownerPrefix is the owner prefix of the runtime's token's caller (the
// authorizer's HMAC of issuer and subject, with no OWNER_KEY locally).
func (rt *localRuntime) ownerPrefix() string {
	if rt.prefix != "" {
		return rt.prefix
	}
	return auth.OwnerPrefix(nil, offline.DevIssuer, offline.DefaultDevSubject)
}

// startSDK starts an execution through the Step Functions API, named as
// the API names the caller's jobs, so the API shows it to the caller.
func (rt *localRuntime) startSDK(t testing.TB, input string) (arn, jobID string) {
	t.Helper()
	jobID = rt.ownerPrefix() + "-" + uniqueKey("sdk")
	out, err := rt.sfn.StartExecution(t.Context(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(rt.srv.Resources().StateMachines["jobs"]), Input: aws.String(input), Name: aws.String(jobID)})
	require.NoError(t, err)
	return aws.ToString(out.ExecutionArn), jobID
}

// forged is a well-formed token of issuer signed by a key nobody trusts.
func forged(t testing.TB, issuer string) string {
	t.Helper()
	other, err := devissuer.New(issuer, offline.DevAudience)
	require.NoError(t, err)
	tok, err := other.Mint(offline.DefaultDevSubject, time.Hour, nil)
	require.NoError(t, err)
	return tok
}

// uniqueKey is an Idempotency-Key no other test (or earlier run on a
// persistent store) uses.
func uniqueKey(prefix string) string {
	return strings.NewReplacer(":", "", ".", "").Replace(fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()))
}
