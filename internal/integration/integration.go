package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/asyncjobs/stepjobs/internal/eventbridge"
	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// Config names the local services the integrations call; a nil service's
// integrations are not registered.
type Config struct {
	// Partition, Region and AccountID are the runtime's: Resources are
	// registered as arn:<Partition>:states:::<service>:<action>.
	Partition, Region, AccountID string
	// DynamoDB serves dynamodb:* and aws-sdk:dynamodb:*; its endpoint, HTTP
	// client and credentials are used as they are.
	DynamoDB *dynamodb.Client
	// SQS is the local SQS endpoint (its AWS JSON 1.0 protocol): it serves
	// sqs:sendMessage and aws-sdk:sqs:*.
	SQS *Endpoint
	// SNS serves sns:publish and aws-sdk:sns:* (a client of the local SNS).
	SNS *sns.Client
	// S3 serves aws-sdk:s3:*.
	S3 *s3.Client
	// Events serves events:putEvents.
	Events EventBus
	// StepFunctions serves states:startExecution (and aws-sdk:sfn's).
	StepFunctions Executions
	// Wrap, when set, wraps each integration's invoker, given its target
	// name (see Targets): the runtime's fault injection.
	Wrap func(target string, inv sfn.Invoker) sfn.Invoker
}

// EventBus puts events as EventBridge's PutEvents does.
type EventBus interface {
	PutEvents(entries []eventbridge.Entry) ([]eventbridge.EntryResult, int)
}

// Executions starts and awaits executions (the engine).
type Executions interface {
	StartExecution(ctx context.Context, stateMachineARN, name, input string) (sfn.ExecutionInfo, error)
	Wait(ctx context.Context, executionARN string) (sfn.ExecutionInfo, error)
}

// callbackSuffix is the wait-for-callback pattern's Resource suffix.
const callbackSuffix = ".waitForTaskToken"

// Register registers on reg an invoker for every integration cfg's
// services serve, and returns the Resources it registered, sorted.
func Register(reg *sfn.Registry, cfg Config) []string {
	r := registrar{reg: reg, prefix: "arn:" + partitionOr(cfg.Partition) + ":states:::", wrap: cfg.Wrap}
	r.registerAll(cfg, false)
	sort.Strings(r.done)
	return r.done
}

// Targets are the names of every integration this package serves, as
// Config.Wrap receives them: "dynamodb.putItem", "events.putEvents",
// "states.startExecution", "aws-sdk.dynamodb.query"... (one name for all of
// an integration's patterns).
func Targets() []string {
	r := registrar{targets: map[string]bool{}}
	r.registerAll(Config{}, true)
	out := make([]string, 0, len(r.targets))
	for t := range r.targets {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// registerAll registers the integrations of cfg's services (of all
// services, when all is set: Targets lists them without registering).
func (r *registrar) registerAll(cfg Config, all bool) {
	if all || cfg.DynamoDB != nil {
		var svc jsonService
		if cfg.DynamoDB != nil {
			svc = dynamoDBService(cfg.DynamoDB)
		}
		registerDynamoDB(r, svc)
	}
	if all || cfg.SQS != nil {
		var svc jsonService
		if cfg.SQS != nil {
			svc = sqsService(cfg.SQS, cfg.Region)
		}
		registerSQS(r, svc)
	}
	if all || cfg.SNS != nil {
		registerSNS(r, sdkClient{client: reflect.ValueOf(cfg.SNS), serviceID: "Sns"})
	}
	if all || cfg.S3 != nil {
		registerSDK(r, "s3", sdkClient{client: reflect.ValueOf(cfg.S3), serviceID: "S3"})
	}
	if all || cfg.Events != nil {
		registerEvents(r, cfg.Events)
	}
	if all || cfg.StepFunctions != nil {
		registerStates(r, cfg.StepFunctions)
	}
}

func partitionOr(p string) string {
	if p == "" {
		return "aws"
	}
	return p
}

// registrar registers invokers under the runtime's Resource prefix.
type registrar struct {
	reg     *sfn.Registry
	prefix  string
	wrap    func(target string, inv sfn.Invoker) sfn.Invoker
	done    []string
	targets map[string]bool // when set, only the targets are listed
}

// add registers inv for service:action, and for its .waitForTaskToken
// form when callback says the integration has one (the invoker is the
// same: it sends the request, and the engine then waits for the token).
func (r *registrar) add(service, action string, callback bool, inv sfn.InvokerFunc) {
	r.register(service, action, "", inv)
	if callback {
		r.register(service, action, callbackSuffix, inv)
	}
}

// register registers inv for service:action followed by pattern (a
// Resource suffix: "", ".sync", ".sync:2", ".waitForTaskToken"), wrapped
// by Config.Wrap under the integration's target name.
func (r *registrar) register(service, action, pattern string, inv sfn.Invoker) {
	target := strings.ReplaceAll(service, ":", ".") + "." + action
	if r.targets != nil {
		r.targets[target] = true
		return
	}
	if r.wrap != nil {
		inv = r.wrap(target, inv)
	}
	res := r.prefix + service + ":" + action + pattern
	r.reg.RegisterResource(res, inv)
	r.done = append(r.done, res)
}

// withMetadata adds to an optimized integration's result the
// SdkHttpMetadata and SdkResponseMetadata Step Functions adds, from the
// local service's response (none when resp is nil), and encodes it with
// its fields sorted, as AWS lists them.
func withMetadata[V any](result map[string]V, resp *http.Response) ([]byte, error) {
	out := make(map[string]any, len(result)+2)
	for k, v := range result {
		out[k] = v
	}
	if resp != nil {
		all := map[string][]string{}
		single := map[string]string{}
		for k, v := range resp.Header {
			name := headerName(k)
			all[name] = v
			single[name] = strings.Join(v, ",")
		}
		out["SdkHttpMetadata"] = map[string]any{"AllHttpHeaders": all, "HttpHeaders": single, "HttpStatusCode": resp.StatusCode}
		out["SdkResponseMetadata"] = map[string]string{"RequestId": resp.Header.Get("X-Amzn-Requestid")}
	}
	return json.Marshal(out)
}

// textField returns params with field, when given as JSON other than a
// string, replaced by its text: Step Functions sends an SQS MessageBody or
// an SNS Message so.
func textField(params []byte, field string) ([]byte, error) {
	req, err := objectOf(params)
	if err != nil {
		return nil, err
	}
	if v, ok := req[field]; ok {
		req[field], _ = json.Marshal(textOf(v))
	}
	return json.Marshal(req)
}

// headerName spells the headers AWS's SDK reports in lower case as it
// does; Go's canonical form otherwise.
func headerName(canonical string) string {
	switch canonical {
	case "X-Amzn-Requestid":
		return "x-amzn-RequestId"
	case "X-Amz-Crc32":
		return "x-amz-crc32"
	}
	return canonical
}

// withException appends "Exception" unless the code ends with it: Step
// Functions names service errors so (NotFound becomes NotFoundException).
func withException(code string) string {
	if strings.HasSuffix(code, "Exception") {
		return code
	}
	return code + "Exception"
}

// upperFirst turns an integration's action (putItem) into the API's
// operation name (PutItem).
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// objectOf decodes a request or answer that must be a JSON object.
func objectOf(b []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if len(strings.TrimSpace(string(b))) == 0 {
		return map[string]json.RawMessage{}, nil
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if m == nil {
		m = map[string]json.RawMessage{}
	}
	return m, nil
}
