package test

// The configuration test: `sls package` runs offline (dummy credentials, no AWS call) on a copy
// of the project, and the CloudFormation it generates is checked against the source files and
// the security rules of the stack. One packaging run is shared by every TestStack* test.

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/asyncjobs/stepjobs/internal/callback"
	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
	"github.com/asyncjobs/stepjobs/internal/stack"
	"github.com/asyncjobs/stepjobs/internal/vtl"
)

const (
	// A stage and region other than the defaults, to prove both are options.
	stackStage  = "ci"
	stackRegion = "eu-central-1"
	stackRole   = "ApiGatewayStepFunctionsRole"
	stackSM     = "JobsStateMachine"
	// jobsTableRole is API Gateway's role for the DynamoDB routes (GET /jobs, GET /jobs/{jobId}).
	jobsTableRole = "ApiGatewayJobsTableRole"
	// slsTimeout only stops a hung packaging run; a normal run takes seconds.
	slsTimeout = 5 * time.Minute
)

// stackEnv is the made-up account the template is evaluated in.
var stackEnv = stack.Env{
	Partition: "aws",
	Region:    stackRegion,
	AccountID: "123456789012",
	URLSuffix: "amazonaws.com",
	StackName: "stepjobs-" + stackStage,
}

// packaged is the result of the one `sls package` run.
type packaged struct {
	root     string // project root
	raw      []byte // cloudformation-template-update-stack.json
	state    []byte // serverless-state.json, what `sls deploy` reads after CloudFormation
	tmpl     *stack.Template
	took     time.Duration
	slsLines string
}

var (
	packageOnce   sync.Once
	packageResult packaged
	packageErr    error
)

// packageStack runs `sls package` once for all tests and returns the parsed template.
func packageStack(t *testing.T) packaged {
	t.Helper()
	packageOnce.Do(func() {
		packageResult, packageErr = runSlsPackage()
	})
	require.NoError(t, packageErr)
	return packageResult
}

func projectRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("project root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("project root: no go.mod above the test directory")
		}
		dir = parent
	}
}

var fileVariable = regexp.MustCompile(`\$\{file\(([^)~,\s]+)\)`)

// runSlsPackage copies serverless.yml and every file it reads into a temporary directory,
// adds placeholder zips for the function artifacts (their content does not change the
// template), and runs `sls package` there with dummy credentials.
func runSlsPackage() (packaged, error) {
	root, err := projectRoot()
	if err != nil {
		return packaged{}, err
	}
	sls := filepath.Join(root, "node_modules", ".bin", "sls")
	if _, err := os.Stat(sls); err != nil {
		return packaged{}, fmt.Errorf("serverless is not installed (%w): run `make node_modules` (npm ci) first", err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		return packaged{}, fmt.Errorf("node is not on PATH, sls package needs it: %w", err)
	}
	work, err := os.MkdirTemp("", "stepjobs-stack-")
	if err != nil {
		return packaged{}, fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(work)

	config, err := os.ReadFile(filepath.Join(root, "serverless.yml"))
	if err != nil {
		return packaged{}, fmt.Errorf("read serverless.yml: %w", err)
	}
	if err := os.WriteFile(filepath.Join(work, "serverless.yml"), config, 0o644); err != nil {
		return packaged{}, fmt.Errorf("copy serverless.yml: %w", err)
	}
	if err := copyFilesRead(root, work, config); err != nil {
		return packaged{}, err
	}
	artifacts, err := functionArtifacts(config)
	if err != nil {
		return packaged{}, err
	}
	for _, a := range artifacts {
		if err := writePlaceholderZip(filepath.Join(work, a)); err != nil {
			return packaged{}, err
		}
	}
	if err := os.Symlink(filepath.Join(root, "node_modules"), filepath.Join(work, "node_modules")); err != nil {
		return packaged{}, fmt.Errorf("link node_modules: %w", err)
	}

	out := filepath.Join(work, "out")
	ctx, cancel := context.WithTimeout(context.Background(), slsTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, sls, "package", "--stage", stackStage, "--region", stackRegion, "--package", out)
	cmd.Dir = work
	cmd.Env = slsEnv()
	start := time.Now()
	lines, err := cmd.CombinedOutput()
	took := time.Since(start)
	if err != nil {
		return packaged{}, fmt.Errorf("sls package: %w\n%s", err, lines)
	}
	raw, err := os.ReadFile(filepath.Join(out, stack.TemplateFile))
	if err != nil {
		return packaged{}, fmt.Errorf("read generated template: %w", err)
	}
	state, err := os.ReadFile(filepath.Join(out, "serverless-state.json"))
	if err != nil {
		return packaged{}, fmt.Errorf("read service state: %w", err)
	}
	tmpl, err := stack.Parse(raw)
	if err != nil {
		return packaged{}, err
	}
	return packaged{root: root, raw: raw, state: state, tmpl: tmpl, took: took, slsLines: string(lines)}, nil
}

// slsEnv is the environment of an offline `sls package`: dummy credentials (the AWS provider
// wants some, and nothing may reach a real account), no telemetry, notifications or prompts.
func slsEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"AWS_ACCESS_KEY_ID=x",
		"AWS_SECRET_ACCESS_KEY=x",
		"AWS_EC2_METADATA_DISABLED=true",
		"SLS_TELEMETRY_DISABLED=1",
		"SLS_NOTIFICATIONS_MODE=off",
		"SLS_DEPRECATION_DISABLE=*",
		"SLS_INTERACTIVE_SETUP_DISABLE=1",
	)
}

// copyFilesRead copies every file the document reads with ${file(...)}, and those the files
// read in turn (resources/*.yml read mapping templates). Paths are relative to the project
// root, as serverless resolves them.
func copyFilesRead(root, work string, doc []byte) error {
	for _, m := range fileVariable.FindAllSubmatch(doc, -1) {
		rel := string(m[1])
		if _, err := os.Stat(filepath.Join(work, rel)); err == nil {
			continue
		}
		data, err := copyFile(root, work, rel)
		if err != nil {
			return err
		}
		if ext := filepath.Ext(rel); ext == ".yml" || ext == ".yaml" {
			if err := copyFilesRead(root, work, data); err != nil {
				return err
			}
		}
	}
	return nil
}

func copyFile(root, work, rel string) ([]byte, error) {
	if filepath.IsAbs(rel) || strings.HasPrefix(filepath.Clean(rel), "..") {
		return nil, fmt.Errorf("serverless.yml reads %s, outside the project", rel)
	}
	data, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		return nil, fmt.Errorf("file read by serverless.yml: %w", err)
	}
	dst := filepath.Join(work, rel)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return nil, fmt.Errorf("copy %s: %w", rel, err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		return nil, fmt.Errorf("copy %s: %w", rel, err)
	}
	return data, nil
}

// slsConfig is the part of serverless.yml the tests read directly.
type slsConfig struct {
	Functions map[string]struct {
		Package struct {
			Artifact string `yaml:"artifact"`
		} `yaml:"package"`
	} `yaml:"functions"`
}

func readSlsConfig(data []byte) (slsConfig, error) {
	var c slsConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("parse serverless.yml: %w", err)
	}
	return c, nil
}

func functionArtifacts(config []byte) (map[string]string, error) {
	c, err := readSlsConfig(config)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for key, fn := range c.Functions {
		if fn.Package.Artifact == "" {
			return nil, fmt.Errorf("function %s has no package.artifact", key)
		}
		out[key] = fn.Package.Artifact
	}
	return out, nil
}

func writePlaceholderZip(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("placeholder zip: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("placeholder zip: %w", err)
	}
	zw := zip.NewWriter(f)
	hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err == nil {
		_, err = w.Write([]byte("placeholder: the configuration test packages the stack, not the code\n"))
	}
	if err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("placeholder zip %s: %w", path, err)
	}
	return nil
}

func readProjectFile(t *testing.T, root, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, rel))
	require.NoError(t, err)
	return string(data)
}

func resource(t *testing.T, p packaged, id, typ string) stack.Resource {
	t.Helper()
	r, err := p.tmpl.Resource(id, typ)
	require.NoError(t, err)
	return r
}

func lookup(t *testing.T, v any, path ...any) any {
	t.Helper()
	got, err := stack.Lookup(v, path...)
	require.NoError(t, err)
	return got
}

func evalString(t *testing.T, p packaged, v any) string {
	t.Helper()
	s, err := p.tmpl.EvalString(stackEnv, v)
	require.NoError(t, err)
	return s
}

func TestStackResources(t *testing.T) {
	p := packageStack(t)
	t.Logf("sls package took %s", p.took.Round(100*time.Millisecond))

	var ids []string
	for id, r := range p.tmpl.Resources {
		if r.Type == "AWS::ApiGateway::Deployment" {
			id = "ApiGatewayDeployment*" // the suffix changes with every packaging run
		}
		ids = append(ids, id+" "+r.Type)
		t.Logf("resource %s", ids[len(ids)-1])
	}
	sort.Strings(ids)
	// Exactly these: the plugin's default API role (Resource "*") and the Framework's shared
	// Lambda role must not appear.
	assert.Equal(t, []string{
		"AlarmEmailSubscription AWS::SNS::Subscription",
		"AlarmKey AWS::KMS::Key",
		"AlarmTopic AWS::SNS::Topic",
		"AlarmTopicPolicy AWS::SNS::TopicPolicy",
		"Api5xxAlarm AWS::CloudWatch::Alarm",
		"ApiGatewayAccount AWS::ApiGateway::Account",
		"ApiGatewayCloudWatchRole AWS::IAM::Role",
		"ApiGatewayDeployment* AWS::ApiGateway::Deployment",
		"ApiGatewayJobsTableRole AWS::IAM::Role",
		"ApiGatewayLogGroup AWS::Logs::LogGroup",
		"ApiGatewayMethodDescribeDashexecutionPost AWS::ApiGateway::Method",
		"ApiGatewayMethodDescribeDashexecutionPostApplicationJsonModel AWS::ApiGateway::Model",
		"ApiGatewayMethodJobsGet AWS::ApiGateway::Method",
		"ApiGatewayMethodJobsJobidVarGet AWS::ApiGateway::Method",
		"ApiGatewayMethodJobsJobidVarResultGet AWS::ApiGateway::Method",
		"ApiGatewayMethodStartDashexecutionPost AWS::ApiGateway::Method",
		"ApiGatewayMethodStartDashexecutionPostApplicationJsonModel AWS::ApiGateway::Model",
		"ApiGatewayMethodStopDashexecutionPost AWS::ApiGateway::Method",
		"ApiGatewayMethodStopDashexecutionPostApplicationJsonModel AWS::ApiGateway::Model",
		"ApiGatewayResourceDescribeDashexecution AWS::ApiGateway::Resource",
		"ApiGatewayResourceJobs AWS::ApiGateway::Resource",
		"ApiGatewayResourceJobsJobidVar AWS::ApiGateway::Resource",
		"ApiGatewayResourceJobsJobidVarResult AWS::ApiGateway::Resource",
		"ApiGatewayResourceStartDashexecution AWS::ApiGateway::Resource",
		"ApiGatewayResourceStopDashexecution AWS::ApiGateway::Resource",
		"ApiGatewayRestApi AWS::ApiGateway::RestApi",
		"ApiGatewayStepFunctionsRole AWS::IAM::Role",
		"ApiGatewayStepjobsRequestValidator AWS::ApiGateway::RequestValidator",
		"ApiLatencyP99Alarm AWS::CloudWatch::Alarm",
		"AuthorizerApiGatewayAuthorizer AWS::ApiGateway::Authorizer",
		"AuthorizerErrorsAlarm AWS::CloudWatch::Alarm",
		"AuthorizerLambdaFunction AWS::Lambda::Function",
		"AuthorizerLambdaFunctionLambdaPermission AWS::Lambda::Permission",
		"AuthorizerLambdaPermissionApiGateway AWS::Lambda::Permission",
		"AuthorizerLogGroup AWS::Logs::LogGroup",
		"AuthorizerRole AWS::IAM::Role",
		"AuthorizerThrottlesAlarm AWS::CloudWatch::Alarm",
		"BatchSimulationErrorsAlarm AWS::CloudWatch::Alarm",
		"BatchSimulationLambdaFunction AWS::Lambda::Function",
		"BatchSimulationLogGroup AWS::Logs::LogGroup",
		"BatchSimulationRole AWS::IAM::Role",
		"BatchSimulationThrottlesAlarm AWS::CloudWatch::Alarm",
		"CallbackDeadLetterAlarm AWS::CloudWatch::Alarm",
		"CallbackDeadLetterQueue AWS::SQS::Queue",
		"CallbackDeadLetterQueuePolicy AWS::SQS::QueuePolicy",
		"CallbackQueue AWS::SQS::Queue",
		"CallbackQueuePolicy AWS::SQS::QueuePolicy",
		"CallbackRule AWS::Events::Rule",
		"CallbackSigningSecret AWS::SecretsManager::Secret",
		"Dashboard AWS::CloudWatch::Dashboard",
		"GatewayResponseDefault4XX AWS::ApiGateway::GatewayResponse",
		"GatewayResponseDefault5XX AWS::ApiGateway::GatewayResponse",
		"JobResultErrorsAlarm AWS::CloudWatch::Alarm",
		"JobResultLambdaFunction AWS::Lambda::Function",
		"JobResultLambdaPermissionApiGateway AWS::Lambda::Permission",
		"JobResultLogGroup AWS::Logs::LogGroup",
		"JobResultRole AWS::IAM::Role",
		"JobResultThrottlesAlarm AWS::CloudWatch::Alarm",
		"JobsStateMachine AWS::StepFunctions::StateMachine",
		"JobsStateMachineExecutionThrottledAlarm AWS::CloudWatch::Alarm",
		"JobsStateMachineExecutionsFailedAlarm AWS::CloudWatch::Alarm",
		"JobsStateMachineExecutionsTimedOutAlarm AWS::CloudWatch::Alarm",
		"JobsStateMachineLogGroup AWS::Logs::LogGroup",
		"JobsStateMachineRole AWS::IAM::Role",
		"JobsTable AWS::DynamoDB::Table",
		"NotifierEventSourceMappingSQSCallbackQueue AWS::Lambda::EventSourceMapping",
		"NotifierLambdaFunction AWS::Lambda::Function",
		"NotifierLogGroup AWS::Logs::LogGroup",
		"NotifierRole AWS::IAM::Role",
		"ResultsBucket AWS::S3::Bucket",
		"ResultsBucketPolicy AWS::S3::BucketPolicy",
		"ServerlessDeploymentBucket AWS::S3::Bucket",
		"ServerlessDeploymentBucketPolicy AWS::S3::BucketPolicy",
		"StatusUpdateDeadLetterAlarm AWS::CloudWatch::Alarm",
		"StatusUpdateDeadLetterQueue AWS::SQS::Queue",
		"StatusUpdateDeadLetterQueuePolicy AWS::SQS::QueuePolicy",
		"StatusUpdateErrorsAlarm AWS::CloudWatch::Alarm",
		"StatusUpdateEventBridgeLambdaPermission1 AWS::Lambda::Permission",
		"StatusUpdateLambdaEvConf AWS::Lambda::EventInvokeConfig",
		"StatusUpdateLambdaFunction AWS::Lambda::Function",
		"StatusUpdateLogGroup AWS::Logs::LogGroup",
		"StatusUpdateRole AWS::IAM::Role",
		"StatusUpdateThrottlesAlarm AWS::CloudWatch::Alarm",
		"StepjobscistatusUpdaterule1EventBridgeRule AWS::Events::Rule",
		"TrackingErrorsAlarm AWS::CloudWatch::Alarm",
		"TrackingLambdaFunction AWS::Lambda::Function",
		"TrackingLogGroup AWS::Logs::LogGroup",
		"TrackingRole AWS::IAM::Role",
		"TrackingThrottlesAlarm AWS::CloudWatch::Alarm",
	}, ids)
}

// route is one REST route mapped to a Step Functions action.
type route struct {
	path, action          string
	requestFile           string
	subVars               map[string]string // Fn::Sub variables of the request template -> their value
	responseFile          string
	methodID, apiResource string
}

var routes = []route{
	{
		path: "start-execution", action: "StartExecution",
		requestFile:  "mapping-templates/start-execution-request.vtl",
		subVars:      map[string]string{"StateMachineArn": stack.RefMarker(stackSM)},
		responseFile: "mapping-templates/start-execution-response.vtl",
		methodID:     "ApiGatewayMethodStartDashexecutionPost", apiResource: "ApiGatewayResourceStartDashexecution",
	},
	{
		path: "describe-execution", action: "DescribeExecution",
		requestFile:  "mapping-templates/describe-execution-request.vtl",
		subVars:      map[string]string{"ExecutionArnPrefix": executionArnPrefix},
		responseFile: "mapping-templates/describe-execution-response.vtl",
		methodID:     "ApiGatewayMethodDescribeDashexecutionPost", apiResource: "ApiGatewayResourceDescribeDashexecution",
	},
	{
		// The same request template as describe: the same ownership check.
		path: "stop-execution", action: "StopExecution",
		requestFile:  "mapping-templates/describe-execution-request.vtl",
		subVars:      map[string]string{"ExecutionArnPrefix": executionArnPrefix},
		responseFile: "mapping-templates/stop-execution-response.vtl",
		methodID:     "ApiGatewayMethodStopDashexecutionPost", apiResource: "ApiGatewayResourceStopDashexecution",
	},
}

// executionArnPrefix is this state machine's execution ARN prefix as the template deploys it.
var executionArnPrefix = fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:", stackRegion, stackEnv.AccountID, stack.GetAttMarker(stackSM, "Name"))

const (
	errorResponseFile = "mapping-templates/error-response.vtl"
	rejectRequestFile = "mapping-templates/reject-request.vtl"
)

func TestStackIntegrations(t *testing.T) {
	p := packageStack(t)
	for _, rt := range routes {
		t.Run(rt.path, func(t *testing.T) {
			res := resource(t, p, rt.apiResource, "AWS::ApiGateway::Resource")
			assert.Equal(t, rt.path, res.Properties["PathPart"])
			assert.Equal(t, stack.GetAttMarker("ApiGatewayRestApi", "RootResourceId"), evalString(t, p, res.Properties["ParentId"]))

			m := resource(t, p, rt.methodID, "AWS::ApiGateway::Method")
			assert.Equal(t, "POST", m.Properties["HttpMethod"])
			assert.Equal(t, stack.RefMarker(rt.apiResource), evalString(t, p, m.Properties["ResourceId"]))
			integ := lookup(t, m.Properties, "Integration")

			assert.Equal(t, "AWS", lookup(t, integ, "Type"))
			assert.Equal(t, "POST", lookup(t, integ, "IntegrationHttpMethod"))
			assert.Equal(t, "arn:aws:apigateway:"+stackRegion+":states:action/"+rt.action,
				evalString(t, p, lookup(t, integ, "Uri")))
			assert.Equal(t, stack.GetAttMarker(stackRole, "Arn"), evalString(t, p, lookup(t, integ, "Credentials")),
				"the integration must use the scoped role, not the plugin's default")
			// With templates defined, WHEN_NO_TEMPLATES refuses other content types (415)
			// instead of passing their body to Step Functions unchecked.
			assert.Equal(t, "WHEN_NO_TEMPLATES", lookup(t, integ, "PassthroughBehavior"))

			templates, ok := lookup(t, integ, "RequestTemplates").(map[string]any)
			require.True(t, ok, "RequestTemplates is an object")
			assert.ElementsMatch(t, []string{"application/json", "application/x-www-form-urlencoded"}, keys(templates))

			want := readProjectFile(t, p.root, rt.requestFile)
			for name, value := range rt.subVars {
				placeholder := "${" + name + "}"
				assert.Equal(t, 1, strings.Count(want, placeholder), "%s writes %s once", rt.requestFile, placeholder)
				want = strings.ReplaceAll(want, placeholder, value)
			}
			assert.Equal(t, want, evalString(t, p, templates["application/json"]), "request template = %s", rt.requestFile)
			assert.Equal(t, readProjectFile(t, p.root, rejectRequestFile), evalString(t, p, templates["application/x-www-form-urlencoded"]),
				"form bodies get %s, not the plugin's default template", rejectRequestFile)

			// describe's answer knows the record's expiry: serverless.yml's jobRecordTtlDays.
			success := readProjectFile(t, p.root, rt.responseFile)
			success = strings.ReplaceAll(success, "${RecordTtlDays}", "30")
			checkIntegrationResponses(t, p, m, success)
		})
	}
}

// checkIntegrationResponses checks how Step Functions answers become HTTP answers.
func checkIntegrationResponses(t *testing.T, p packaged, m stack.Resource, successTemplate string) {
	t.Helper()
	list, ok := lookup(t, m.Properties, "Integration", "IntegrationResponses").([]any)
	require.True(t, ok, "IntegrationResponses is a list")
	errorTemplate := readProjectFile(t, p.root, errorResponseFile)

	type response struct {
		status   int
		pattern  string
		template string
	}
	var got []response
	for i := range list {
		status, ok := lookup(t, list, i, "StatusCode").(float64)
		require.True(t, ok, "StatusCode is a number")
		pattern, _ := lookup(t, list, i, "SelectionPattern").(string)
		got = append(got, response{
			status:   int(status),
			pattern:  pattern,
			template: evalString(t, p, lookup(t, list, i, "ResponseTemplates", "application/json")),
		})
	}
	assert.ElementsMatch(t, []response{
		{status: 200, pattern: "", template: successTemplate},
		{status: 400, pattern: `4\d{2}`, template: errorTemplate},
		{status: 502, pattern: `5\d{2}`, template: errorTemplate},
	}, got)

	// Select as API Gateway does for an AWS integration: a pattern must match the whole status
	// code of the Step Functions answer; the empty pattern is the default.
	selectStatus := func(code string) int {
		def := 0
		for _, r := range got {
			if r.pattern == "" {
				def = r.status
				continue
			}
			if regexp.MustCompile(`^(?:` + r.pattern + `)$`).MatchString(code) {
				return r.status
			}
		}
		return def
	}
	for code, want := range map[string]int{
		"200": 200, "400": 400, "403": 400, "404": 400, "409": 400, "413": 400, "429": 400,
		"500": 502, "502": 502, "503": 502, "504": 502,
	} {
		assert.Equal(t, want, selectStatus(code), "Step Functions %s", code)
	}

	// API Gateway refuses an integration response without a method response of that status.
	methodResponses, ok := lookup(t, m.Properties, "MethodResponses").([]any)
	require.True(t, ok, "MethodResponses is a list")
	var declared []int
	headers := map[int]map[string]any{}
	for i := range methodResponses {
		s, _ := lookup(t, methodResponses, i, "StatusCode").(float64)
		declared = append(declared, int(s))
		mr, _ := methodResponses[i].(map[string]any)
		headers[int(s)], _ = mr["ResponseParameters"].(map[string]any)
	}
	for _, r := range got {
		assert.Contains(t, declared, r.status, "method response for integration response %d", r.status)
	}

	// A header a response template sets by override is declared on the method response its
	// integration response selects and on every status the template overrides to, so the API's
	// model (and an SDK or OpenAPI export of it) says what the route sends.
	for _, r := range got {
		statuses := []int{r.status}
		for _, m := range overrideStatus.FindAllStringSubmatch(r.template, -1) {
			n, err := strconv.Atoi(m[1])
			require.NoError(t, err)
			statuses = append(statuses, n)
		}
		for _, h := range overrideHeader.FindAllStringSubmatch(r.template, -1) {
			for _, status := range statuses {
				assert.Equal(t, true, headers[status]["method.response.header."+h[1]],
					"integration response %d sets %s: method response %d declares it", r.status, h[1], status)
			}
		}
	}
}

// overrideHeader finds the headers a response template sets with
// $context.responseOverride.header.
var overrideHeader = regexp.MustCompile(`responseOverride\.header\.([A-Za-z0-9-]+) = `)

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestStackGatewayResponses(t *testing.T) {
	p := packageStack(t)
	want := readProjectFile(t, p.root, "mapping-templates/gateway-error-response.vtl")
	for _, id := range []string{"GatewayResponseDefault4XX", "GatewayResponseDefault5XX"} {
		r := resource(t, p, id, "AWS::ApiGateway::GatewayResponse")
		assert.Equal(t, stack.RefMarker("ApiGatewayRestApi"), evalString(t, p, r.Properties["RestApiId"]))
		assert.Equal(t, want, evalString(t, p, lookup(t, r.Properties, "ResponseTemplates", "application/json")))
		// Gateway responses reach a stage only through a deployment made after them: every
		// method (which the deployment waits for) waits for them.
		for _, rt := range routes {
			m := resource(t, p, rt.methodID, "AWS::ApiGateway::Method")
			assert.Contains(t, m.DependsOnList(), id, "%s waits for %s", rt.methodID, id)
		}
	}
	assert.Equal(t, "DEFAULT_4XX", resource(t, p, "GatewayResponseDefault4XX", "AWS::ApiGateway::GatewayResponse").Properties["ResponseType"])
	assert.Equal(t, "DEFAULT_5XX", resource(t, p, "GatewayResponseDefault5XX", "AWS::ApiGateway::GatewayResponse").Properties["ResponseType"])

	deployments := p.tmpl.OfType("AWS::ApiGateway::Deployment")
	require.Len(t, deployments, 1)
	d := p.tmpl.Resources[deployments[0]]
	assert.Equal(t, stackStage, d.Properties["StageName"])
	for _, rt := range routes {
		assert.Contains(t, d.DependsOnList(), rt.methodID)
	}
}

// stateMachineFile is the definition as the project keeps it.
const stateMachineFile = "statemachine/jobs.asl.json"

// functionKeys maps serverless.yml function keys to their cmd directories.
var functionKeys = map[string]string{
	"tracking":        "tracking",
	"batchSimulation": "batch-simulation",
	"statusUpdate":    "status-update",
}

func TestStackStateMachine(t *testing.T) {
	p := packageStack(t)
	sm := resource(t, p, stackSM, "AWS::StepFunctions::StateMachine")
	assert.Equal(t, "STANDARD", sm.Properties["StateMachineType"])
	assert.Equal(t, "stepjobs-"+stackStage+"-jobs", sm.Properties["StateMachineName"])
	assert.Equal(t, stack.GetAttMarker("JobsStateMachineRole", "Arn"), evalString(t, p, sm.Properties["RoleArn"]))

	var deployed map[string]any
	require.NoError(t, json.Unmarshal([]byte(evalString(t, p, sm.Properties["DefinitionString"])), &deployed))
	var want map[string]any
	require.NoError(t, json.Unmarshal([]byte(readProjectFile(t, p.root, stateMachineFile)), &want))
	want = resolveFunctionArns(t, want).(map[string]any)
	dropValidatorQueryLanguage(t, want, deployed)
	assert.Equal(t, want, deployed, "the deployed definition is %s with the function ARNs filled in", stateMachineFile)

	// The state machine's role may invoke the three functions (and their versions), nothing else.
	statements, err := p.tmpl.RoleStatements(stackEnv, "JobsStateMachineRole")
	require.NoError(t, err)
	var actions, resources []string
	for _, s := range statements {
		assert.Equal(t, "Allow", s.Effect)
		if s.HasWildcardResource() {
			// The plugin's grants for logging and X-Ray: these actions take no resource.
			for _, a := range s.Actions {
				assert.Regexp(t, `^(logs:(Create|Get|Update|Delete|List)LogDeliver(y|ies)|logs:(PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)|xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets))$`, a)
			}
			continue
		}
		actions = append(actions, s.Actions...)
		resources = append(resources, s.Resources...)
	}
	assert.ElementsMatch(t, []string{"lambda:InvokeFunction"}, slices.Compact(slices.Sorted(slices.Values(actions))))
	var wantResources []string
	for key := range functionKeys {
		arn := stack.GetAttMarker(stack.FunctionLogicalID(key), "Arn")
		wantResources = append(wantResources, arn, arn+":*")
	}
	assert.ElementsMatch(t, wantResources, resources)
}

// resolveFunctionArns writes what the template would: each {"Fn::GetAtt": [<function key>,
// "Arn"]} in the file becomes the marker of that function's logical ID.
func resolveFunctionArns(t *testing.T, v any) any {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		if ga, ok := x["Fn::GetAtt"].([]any); ok && len(x) == 1 && len(ga) == 2 {
			key, _ := ga[0].(string)
			_, known := functionKeys[key]
			require.True(t, known, "Fn::GetAtt of unknown function %q", key)
			attr, _ := ga[1].(string)
			return stack.GetAttMarker(stack.FunctionLogicalID(key), attr)
		}
		out := map[string]any{}
		for k, e := range x {
			out[k] = resolveFunctionArns(t, e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolveFunctionArns(t, e)
		}
		return out
	}
	return v
}

// dropValidatorQueryLanguage undoes the one change the plugin's asl-validator (3.16) makes
// while validating: it writes "QueryLanguage" into every state that has none, with the
// machine's default, and the plugin then serialises the changed definition. The added field
// restates the default, so it changes nothing; any other QueryLanguage is left to compare.
func dropValidatorQueryLanguage(t *testing.T, file, deployed map[string]any) {
	t.Helper()
	def := "JSONPath"
	if q, ok := file["QueryLanguage"].(string); ok {
		def = q
	}
	fileStates, _ := file["States"].(map[string]any)
	deployedStates, ok := deployed["States"].(map[string]any)
	require.True(t, ok, "deployed definition has States")
	for name, s := range deployedStates {
		ds, _ := s.(map[string]any)
		fs, _ := fileStates[name].(map[string]any)
		if _, inFile := fs["QueryLanguage"]; inFile || ds == nil {
			continue
		}
		if ds["QueryLanguage"] == def {
			delete(ds, "QueryLanguage")
		}
	}
}

// lambdaGrant is the set of resources a role allows one action on.
type lambdaGrant map[string][]string

func TestStackIAM(t *testing.T) {
	p := packageStack(t)
	all, err := p.tmpl.PolicyStatements(stackEnv)
	require.NoError(t, err)

	t.Run("no wildcard resource for Step Functions, DynamoDB, S3 or SQS actions", func(t *testing.T) {
		for _, s := range all {
			for _, service := range []string{"states", "dynamodb", "s3", "sqs"} {
				assert.False(t, s.Grants(service) && s.HasWildcardResource(),
					"%s policy %s allows %v on *", s.Owner, s.Policy, s.Actions)
			}
			if s.Effect == "Allow" {
				assert.NotContains(t, s.Actions, "*", "%s policy %s allows every action", s.Owner, s.Policy)
				assert.Empty(t, s.NotAction, "%s policy %s uses NotAction", s.Owner, s.Policy)
			}
		}
	})

	t.Run("no managed policies", func(t *testing.T) {
		for _, id := range p.tmpl.OfType("AWS::IAM::Role") {
			assert.NotContains(t, p.tmpl.Resources[id].Properties, "ManagedPolicyArns",
				"%s: a managed policy would grant what this test cannot see", id)
		}
	})

	t.Run("API Gateway role", func(t *testing.T) {
		assert.Equal(t, []string{"apigateway.amazonaws.com"}, trustedServices(t, p, stackRole))
		got := grants(t, p, stackRole)
		assert.Equal(t, lambdaGrant{
			"states:StartExecution":    {stack.RefMarker(stackSM)},
			"states:DescribeExecution": {executionArnPrefix + "*"},
			"states:StopExecution":     {executionArnPrefix + "*"},
		}, got, "Describe/StopExecution on this state machine's executions only")
	})

	// Each handler's role allows what that handler calls, on its own resources, nothing more.
	table := stack.GetAttMarker("JobsTable", "Arn")

	t.Run("API Gateway jobs table role", func(t *testing.T) {
		assert.Equal(t, []string{"apigateway.amazonaws.com"}, trustedServices(t, p, jobsTableRole))
		assert.Equal(t, lambdaGrant{
			"dynamodb:Query":   {table + "/index/byOwner"},
			"dynamodb:GetItem": {table},
		}, grants(t, p, jobsTableRole), "Query on the owner index only (not the table), GetItem on the table, no Scan")
	})
	logGroup := func(key string) string {
		return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:/aws/lambda/stepjobs-%s-%s:*", stackRegion, stackEnv.AccountID, stackStage, key)
	}
	// X-Ray's actions take no resource: every traced function has them on "*".
	xray := []string{"*"}
	tests := map[string]struct {
		role string
		want lambdaGrant
	}{
		"tracking": {role: "TrackingRole", want: lambdaGrant{
			"logs:CreateLogStream":  {logGroup("tracking")},
			"logs:PutLogEvents":     {logGroup("tracking")},
			"dynamodb:PutItem":      {table},
			"dynamodb:GetItem":      {table},
			"xray:PutTraceSegments": xray, "xray:PutTelemetryRecords": xray,
		}},
		"batchSimulation": {role: "BatchSimulationRole", want: lambdaGrant{
			"logs:CreateLogStream":  {logGroup("batchSimulation")},
			"logs:PutLogEvents":     {logGroup("batchSimulation")},
			"s3:PutObject":          {stack.GetAttMarker("ResultsBucket", "Arn") + "/results/*"},
			"dynamodb:UpdateItem":   {table}, // the job's progress
			"xray:PutTraceSegments": xray, "xray:PutTelemetryRecords": xray,
		}},
		"statusUpdate": {role: "StatusUpdateRole", want: lambdaGrant{
			"logs:CreateLogStream": {logGroup("statusUpdate")},
			"logs:PutLogEvents":    {logGroup("statusUpdate")},
			"dynamodb:UpdateItem":  {table},
			"dynamodb:GetItem":     {table},
			// Lambda's on-failure destination sends with the function's role.
			"sqs:SendMessage":       {stack.GetAttMarker("StatusUpdateDeadLetterQueue", "Arn")},
			"xray:PutTraceSegments": xray, "xray:PutTelemetryRecords": xray,
		}},
		// The authorizer reads the issuer's JWKS over HTTPS: no AWS API but its logs.
		"authorizer": {role: "AuthorizerRole", want: lambdaGrant{
			"logs:CreateLogStream":  {logGroup("authorizer")},
			"logs:PutLogEvents":     {logGroup("authorizer")},
			"xray:PutTraceSegments": xray, "xray:PutTelemetryRecords": xray,
		}},
		// The result link reads the record and signs a GET (a link acts with its signer's rights).
		"jobResult": {role: "JobResultRole", want: lambdaGrant{
			"logs:CreateLogStream":  {logGroup("jobResult")},
			"logs:PutLogEvents":     {logGroup("jobResult")},
			"dynamodb:GetItem":      {table},
			"s3:GetObject":          {stack.GetAttMarker("ResultsBucket", "Arn") + "/results/*"},
			"xray:PutTraceSegments": xray, "xray:PutTelemetryRecords": xray,
		}},
		// The notifier reads the signing secret and the callbacks queue, nothing else: no table,
		// no bucket, no send (the redrive to the dead-letter queue is SQS's own).
		"notifier": {role: "NotifierRole", want: lambdaGrant{
			"logs:CreateLogStream":          {logGroup("notifier")},
			"logs:PutLogEvents":             {logGroup("notifier")},
			"secretsmanager:GetSecretValue": {stack.RefMarker("CallbackSigningSecret")},
			// The event source mapping receives and deletes with the function's role; the
			// notifier sets a failed message's visibility (its backoff).
			"sqs:ReceiveMessage":          {stack.GetAttMarker("CallbackQueue", "Arn")},
			"sqs:DeleteMessage":           {stack.GetAttMarker("CallbackQueue", "Arn")},
			"sqs:GetQueueAttributes":      {stack.GetAttMarker("CallbackQueue", "Arn")},
			"sqs:ChangeMessageVisibility": {stack.GetAttMarker("CallbackQueue", "Arn")},
			"xray:PutTraceSegments":       xray, "xray:PutTelemetryRecords": xray,
		}},
	}
	t.Run("only the notifier reads the signing secret", func(t *testing.T) {
		for _, s := range all {
			if !s.Grants("secretsmanager") {
				continue
			}
			assert.Equal(t, "NotifierRole", s.Owner, "%s policy %s allows %v", s.Owner, s.Policy, s.Actions)
			assert.Equal(t, []string{"secretsmanager:GetSecretValue"}, s.Actions)
			assert.Equal(t, []string{stack.RefMarker("CallbackSigningSecret")}, s.Resources)
		}
	})
	for key, tc := range tests {
		t.Run(key, func(t *testing.T) {
			fn := resource(t, p, stack.FunctionLogicalID(key), "AWS::Lambda::Function")
			assert.Equal(t, stack.GetAttMarker(tc.role, "Arn"), evalString(t, p, fn.Properties["Role"]))
			assert.Equal(t, []string{"lambda.amazonaws.com"}, trustedServices(t, p, tc.role))
			assert.Equal(t, tc.want, grants(t, p, tc.role))

			// The log permission names the group the Framework creates for this function.
			lg := resource(t, p, stack.LogGroupLogicalID(key), "AWS::Logs::LogGroup")
			assert.Equal(t, "/aws/lambda/"+evalString(t, p, fn.Properties["FunctionName"]), lg.Properties["LogGroupName"])
		})
	}
}

// grants collects a role's Allow statements as action -> resources.
func grants(t *testing.T, p packaged, role string) lambdaGrant {
	t.Helper()
	statements, err := p.tmpl.RoleStatements(stackEnv, role)
	require.NoError(t, err)
	out := lambdaGrant{}
	for _, s := range statements {
		require.Equal(t, "Allow", s.Effect, "%s: unexpected %s statement", role, s.Effect)
		for _, a := range s.Actions {
			out[a] = append(out[a], s.Resources...)
		}
	}
	return out
}

func trustedServices(t *testing.T, p packaged, role string) []string {
	t.Helper()
	r := resource(t, p, role, "AWS::IAM::Role")
	statements, ok := lookup(t, r.Properties, "AssumeRolePolicyDocument", "Statement").([]any)
	require.True(t, ok, "%s trust policy has a Statement list", role)
	var out []string
	for i := range statements {
		assert.Equal(t, "sts:AssumeRole", lookup(t, statements, i, "Action"))
		out = append(out, evalString(t, p, lookup(t, statements, i, "Principal", "Service")))
	}
	return out
}

func TestStackFunctions(t *testing.T) {
	p := packageStack(t)
	var definition map[string]any
	require.NoError(t, json.Unmarshal([]byte(readProjectFile(t, p.root, stateMachineFile)), &definition))

	assert.ElementsMatch(t, []string{
		"AuthorizerLambdaFunction", "BatchSimulationLambdaFunction", "JobResultLambdaFunction",
		"StatusUpdateLambdaFunction", "TrackingLambdaFunction", "NotifierLambdaFunction",
	}, p.tmpl.OfType("AWS::Lambda::Function"), "the three task functions, the two API functions (TestStackAPIFunctions) and the callback notifier")
	for key, dir := range functionKeys {
		t.Run(key, func(t *testing.T) {
			fn := resource(t, p, stack.FunctionLogicalID(key), "AWS::Lambda::Function")
			props := fn.Properties
			assert.Equal(t, "stepjobs-"+stackStage+"-"+key, props["FunctionName"])
			assert.Equal(t, "provided.al2023", props["Runtime"])
			assert.Equal(t, []any{"arm64"}, props["Architectures"])
			assert.Equal(t, "bootstrap", props["Handler"])
			assert.True(t, strings.HasSuffix(evalString(t, p, lookup(t, props, "Code", "S3Key")), "/"+dir+".zip"),
				"%s deploys dist/%s.zip", key, dir)
			assert.Equal(t, stack.RefMarker("JobsTable"), evalString(t, p, lookup(t, props, "Environment", "Variables", "TABLE_NAME")))
			assert.Equal(t, stack.RefMarker("ResultsBucket"), evalString(t, p, lookup(t, props, "Environment", "Variables", "BUCKET_NAME")))
			assert.NotEmpty(t, evalString(t, p, lookup(t, props, "Environment", "Variables", "LOG_LEVEL")))
			assert.NotContains(t, lookup(t, props, "Environment", "Variables"), "ALLOW_SIMULATED_FAILURES",
				"simulated failures stay off on AWS")

			// Lambda must time out before the task that calls it, so the error is Lambda's own.
			timeout, ok := props["Timeout"].(float64)
			require.True(t, ok, "Timeout is a number")
			used := false
			states, ok := definition["States"].(map[string]any)
			require.True(t, ok, "the definition has States")
			for name, s := range states {
				state, _ := s.(map[string]any)
				if taskFunction(state) == key {
					used = true
					assert.Less(t, timeout, state["TimeoutSeconds"], "%s: Lambda timeout below %s's TimeoutSeconds", key, name)
				}
			}
			assert.True(t, used, "%s is called by a state", key)
		})
	}
}

// taskFunction returns the function key of a state's {"Fn::GetAtt": [key, "Arn"]} Resource,
// or "" when the state calls no function of serverless.yml.
func taskFunction(state map[string]any) string {
	resource, _ := state["Resource"].(map[string]any)
	ga, _ := resource["Fn::GetAtt"].([]any)
	if len(ga) != 2 || ga[1] != "Arn" {
		return ""
	}
	key, _ := ga[0].(string)
	return key
}

func TestStackStorage(t *testing.T) {
	p := packageStack(t)
	allTrue := map[string]any{
		"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
	}

	t.Run("jobs table", func(t *testing.T) {
		table := resource(t, p, "JobsTable", "AWS::DynamoDB::Table")
		assert.Equal(t, "Delete", table.DeletionPolicy, "sls remove takes the records with it")
		assert.Equal(t, "Delete", table.UpdateReplacePolicy)
		props := table.Properties
		assert.Equal(t, "PAY_PER_REQUEST", props["BillingMode"])
		assert.Equal(t, []any{map[string]any{"AttributeName": "jobId", "KeyType": "HASH"}}, props["KeySchema"])
		assert.ElementsMatch(t, []any{
			map[string]any{"AttributeName": "jobId", "AttributeType": "S"},
			map[string]any{"AttributeName": "owner", "AttributeType": "S"},
			map[string]any{"AttributeName": "createdAt", "AttributeType": "S"},
		}, props["AttributeDefinitions"])
		assert.Equal(t, []any{map[string]any{
			"IndexName": "byOwner",
			"KeySchema": []any{
				map[string]any{"AttributeName": "owner", "KeyType": "HASH"},
				map[string]any{"AttributeName": "createdAt", "KeyType": "RANGE"},
			},
			"Projection": map[string]any{"ProjectionType": "INCLUDE", "NonKeyAttributes": []any{
				"status", "updatedAt", "recordsGenerated", "recordsTotal", "progressAt", "expiresAt"}},
		}}, props["GlobalSecondaryIndexes"], "GET /jobs: the caller's jobs by creation time, only what the list shows")
		assert.Equal(t, map[string]any{"AttributeName": "expiresAt", "Enabled": true}, props["TimeToLiveSpecification"])
		su := resource(t, p, stack.FunctionLogicalID("statusUpdate"), "AWS::Lambda::Function")
		assert.Equal(t, "30", lookup(t, su.Properties, "Environment", "Variables", "RECORD_TTL_DAYS"),
			"records expire 30 days after their final status by default")
		assert.Equal(t, true, lookup(t, props, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"))
		assert.Equal(t, true, lookup(t, props, "SSESpecification", "SSEEnabled"))
	})

	for _, b := range []struct{ bucket, policy string }{
		{"ResultsBucket", "ResultsBucketPolicy"},
		{"ServerlessDeploymentBucket", "ServerlessDeploymentBucketPolicy"},
	} {
		t.Run(b.bucket, func(t *testing.T) {
			props := resource(t, p, b.bucket, "AWS::S3::Bucket").Properties
			assert.Equal(t, allTrue, props["PublicAccessBlockConfiguration"])
			algo := lookup(t, props, "BucketEncryption", "ServerSideEncryptionConfiguration", 0, "ServerSideEncryptionByDefault", "SSEAlgorithm")
			assert.Contains(t, []any{"AES256", "aws:kms"}, algo)

			policy := resource(t, p, b.policy, "AWS::S3::BucketPolicy")
			assert.Equal(t, stack.RefMarker(b.bucket), evalString(t, p, policy.Properties["Bucket"]))
			statements, err := p.tmpl.PolicyStatements(stackEnv)
			require.NoError(t, err)
			var denyTLS bool
			for _, s := range statements {
				if s.Owner != b.policy || s.Effect != "Deny" || s.Principal != "*" || !slices.Contains(s.Actions, "s3:*") {
					continue
				}
				cond, _ := stack.Lookup(s.Condition, "Bool", "aws:SecureTransport")
				if cond != false && cond != "false" {
					continue
				}
				// The bucket itself and every object, however the ARNs are spelled.
				var bucketARN, objectsARN bool
				for _, r := range s.Resources {
					switch r {
					case stack.GetAttMarker(b.bucket, "Arn"), "arn:aws:s3:::" + stack.RefMarker(b.bucket):
						bucketARN = true
					case stack.GetAttMarker(b.bucket, "Arn") + "/*", "arn:aws:s3:::" + stack.RefMarker(b.bucket) + "/*":
						objectsARN = true
					}
				}
				denyTLS = bucketARN && objectsARN
			}
			assert.True(t, denyTLS, "%s denies every request without TLS", b.policy)
		})
	}

	t.Run("results expire", func(t *testing.T) {
		bucket := resource(t, p, "ResultsBucket", "AWS::S3::Bucket")
		// Retained on delete (a bucket with objects cannot be deleted), so it must empty itself.
		assert.Equal(t, "Retain", bucket.DeletionPolicy)
		assert.Equal(t, "Retain", bucket.UpdateReplacePolicy)
		rules, ok := lookup(t, bucket.Properties, "LifecycleConfiguration", "Rules").([]any)
		require.True(t, ok)
		var expires bool
		for i := range rules {
			rule, _ := rules[i].(map[string]any)
			prefix := rule["Prefix"]
			if prefix == nil {
				prefix, _ = stack.Lookup(rule, "Filter", "Prefix")
			}
			days, _ := rule["ExpirationInDays"].(float64)
			if rule["Status"] == "Enabled" && prefix == "results/" && days > 0 {
				expires = true
			}
		}
		assert.True(t, expires, "a lifecycle rule expires results/")
	})

	// Versioning and server access logs stay off (serverless.yml says why); the template tells
	// the scanners that flag them so, with a reason, rather than leaving a finding unanswered.
	t.Run("results bucket decisions", func(t *testing.T) {
		bucket := resource(t, p, "ResultsBucket", "AWS::S3::Bucket")
		assert.NotContains(t, bucket.Properties, "VersioningConfiguration")
		assert.NotContains(t, bucket.Properties, "LoggingConfiguration")
		suppressed := map[string]string{}
		if rules, ok := lookup(t, bucket.Metadata, "cfn_nag", "rules_to_suppress").([]any); ok {
			for _, r := range rules {
				m, _ := r.(map[string]any)
				id, _ := m["id"].(string)
				suppressed[id], _ = m["reason"].(string)
			}
		}
		if skips, ok := lookup(t, bucket.Metadata, "checkov", "skip").([]any); ok {
			for _, r := range skips {
				m, _ := r.(map[string]any)
				id, _ := m["id"].(string)
				suppressed[id], _ = m["comment"].(string)
			}
		}
		for _, id := range []string{
			"W35",        // cfn_nag: access logging
			"CKV_AWS_18", // checkov: access logging
			"CKV_AWS_21", // checkov: versioning
		} {
			assert.NotEmpty(t, suppressed[id], "ResultsBucket answers %s with a reason", id)
		}
	})
}

func TestStackOutputs(t *testing.T) {
	p := packageStack(t)
	require.Contains(t, p.tmpl.Outputs, "ServiceEndpoint")
	require.Contains(t, p.tmpl.Outputs, "JobsStateMachineArn")
	assert.Equal(t,
		"https://"+stack.RefMarker("ApiGatewayRestApi")+".execute-api."+stackRegion+".amazonaws.com/"+stackStage,
		evalString(t, p, p.tmpl.Outputs["ServiceEndpoint"].Value))
	assert.Equal(t, stack.RefMarker(stackSM), evalString(t, p, p.tmpl.Outputs["JobsStateMachineArn"].Value))
}

// TestStackResourceFiles guards the split of serverless.yml's raw CloudFormation into
// resources/*.yml. serverless merges the files of the `resources:` list deeply, so an ID that
// two files define would be merged silently into one resource: each ID is defined once. Every
// parameter, condition and resource of the files is in the template with the file's type and
// condition, and the local runtime (slsconfig) merges the list into the same resources.
func TestStackResourceFiles(t *testing.T) {
	p := packageStack(t)
	var tmpl struct {
		Conditions map[string]any `json:"Conditions"`
	}
	require.NoError(t, json.Unmarshal(p.raw, &tmpl))

	config, err := os.ReadFile(filepath.Join(p.root, "serverless.yml"))
	require.NoError(t, err)
	var doc struct {
		Resources []string `yaml:"resources"`
	}
	require.NoError(t, yaml.Unmarshal(config, &doc), "resources: is a list of ${file(...)} items")
	item := regexp.MustCompile(`^\$\{file\((resources/[a-z-]+\.yml)\)\}$`)
	definedIn := map[string]string{} // section.ID -> file
	type fileResource struct {
		Type      string `yaml:"Type"`
		Condition string `yaml:"Condition"`
	}
	resources := map[string]fileResource{}
	for _, it := range doc.Resources {
		m := item.FindStringSubmatch(it)
		require.NotNil(t, m, "resources: item %q reads one file of resources/", it)
		var part struct {
			Parameters map[string]any          `yaml:"Parameters"`
			Conditions map[string]any          `yaml:"Conditions"`
			Resources  map[string]fileResource `yaml:"Resources"`
			Extensions map[string]any          `yaml:"extensions"`
		}
		raw := readProjectFile(t, p.root, m[1])
		require.NoError(t, yaml.Unmarshal([]byte(raw), &part), m[1])
		require.NotEmpty(t, part.Resources, "%s defines resources", m[1])
		sections := map[string][]string{"Parameters": keys(part.Parameters), "Conditions": keys(part.Conditions),
			"Resources": slices.Sorted(maps.Keys(part.Resources)), "extensions": keys(part.Extensions)}
		for section, ids := range sections {
			for _, id := range ids {
				if other, dup := definedIn[section+"."+id]; dup {
					t.Errorf("%s %s is in both %s and %s: serverless would merge them", section, id, other, m[1])
				}
				definedIn[section+"."+id] = m[1]
			}
		}
		for _, id := range keys(part.Parameters) {
			assert.Contains(t, p.tmpl.Parameters, id, "parameter of %s", m[1])
		}
		for _, id := range keys(part.Conditions) {
			assert.Contains(t, tmpl.Conditions, id, "condition of %s", m[1])
		}
		for id, r := range part.Resources {
			resources[id] = r
			got, ok := p.tmpl.Resources[id]
			if assert.True(t, ok, "resource %s of %s is in the template", id, m[1]) {
				assert.Equal(t, r.Type, got.Type, id)
				assert.Equal(t, r.Condition, got.Condition, id)
			}
		}
		for _, id := range keys(part.Extensions) {
			assert.Contains(t, p.tmpl.Resources, id, "extension of %s extends a generated resource", m[1])
		}
	}
	assert.Len(t, doc.Resources, len(slices.Compact(slices.Sorted(slices.Values(doc.Resources)))), "each file once")

	svc, err := slsconfig.Load(slsconfig.Options{Dir: p.root, Env: func(string) (string, bool) { return "", false }})
	require.NoError(t, err)
	local, _ := svc.Config["resources"].(map[string]any)
	localResources, _ := local["Resources"].(map[string]any)
	assert.ElementsMatch(t, slices.Collect(maps.Keys(resources)), keys(localResources), "the local runtime merges the same resources")
	localParams, _ := local["Parameters"].(map[string]any)
	assert.ElementsMatch(t, keys(p.tmpl.Parameters), keys(localParams), "and parameters")
}

// cfnLintIgnored lists the cfn-lint rules the test tolerates, each for a reason outside this
// project's files.
var cfnLintIgnored = map[string]string{
	// The Framework and the plugin add DependsOn on roles that a GetAtt already orders.
	"W3005": "redundant DependsOn written by serverless and serverless-step-functions",
}

func TestStackCfnLint(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint is not on PATH (pip install cfn-lint); the generated template is not linted")
	}
	p := packageStack(t)
	path := filepath.Join(t.TempDir(), stack.TemplateFile)
	require.NoError(t, os.WriteFile(path, p.raw, 0o644))

	ignored := slices.Sorted(func(yield func(string) bool) {
		for k := range cfnLintIgnored {
			if !yield(k) {
				return
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), slsTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, lint, "--regions", stackRegion, "--ignore-checks", strings.Join(ignored, ","), "--", path)
	out, err := cmd.CombinedOutput()
	t.Logf("cfn-lint (ignoring %v):\n%s", ignored, out)
	// cfn-lint's exit status is a bit set: 2 errors, 4 warnings, 8 informational.
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		assert.Zero(t, exit.ExitCode()&(2|4), "cfn-lint found errors or warnings:\n%s", out)
		return
	}
	require.NoError(t, err)
}

// retrierFields are the fields Step Functions allows in a Retry entry.
var retrierFields = []string{"Comment", "ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy"}

// TestStateMachineFile checks the definition file itself, without packaging: well-formed,
// every transition lands on a state, every task guarded, and the happy path short.
func TestStateMachineFile(t *testing.T) {
	root, err := projectRoot()
	require.NoError(t, err)
	var def struct {
		StartAt        string
		TimeoutSeconds float64
		States         map[string]map[string]any
	}
	require.NoError(t, json.Unmarshal([]byte(readProjectFile(t, root, stateMachineFile)), &def))
	require.Contains(t, def.States, def.StartAt, "StartAt names a state")
	assert.Positive(t, def.TimeoutSeconds, "the machine has a TimeoutSeconds")

	// Transitions: Next and every Catch's Next must name a state; all states are reachable.
	targets := func(s map[string]any) []string {
		var out []string
		if n, ok := s["Next"].(string); ok {
			out = append(out, n)
		}
		catches, _ := s["Catch"].([]any)
		for _, c := range catches {
			cm, _ := c.(map[string]any)
			n, _ := cm["Next"].(string)
			out = append(out, n) // "" fails the existence check below
		}
		if s["Type"] == "Choice" {
			choices, _ := s["Choices"].([]any)
			for _, c := range choices {
				cm, _ := c.(map[string]any)
				n, _ := cm["Next"].(string)
				out = append(out, n)
			}
			d, _ := s["Default"].(string)
			out = append(out, d)
		}
		return out
	}
	reached := map[string]bool{def.StartAt: true}
	queue := []string{def.StartAt}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		for _, next := range targets(def.States[name]) {
			require.Contains(t, def.States, next, "%s moves to a state that exists", name)
			if !reached[next] {
				reached[next] = true
				queue = append(queue, next)
			}
		}
	}
	for name, s := range def.States {
		assert.True(t, reached[name], "%s is reachable", name)
		switch s["Type"] {
		case "Succeed", "Fail", "Choice":
			assert.NotContains(t, s, "Next", "%s is terminal", name)
		default:
			_, hasNext := s["Next"]
			_, hasEnd := s["End"]
			assert.True(t, hasNext != hasEnd, "%s has exactly one of Next and End", name)
		}
	}

	// The happy path: follow Next from StartAt to a Succeed state or an End.
	var path []string
	for name := def.StartAt; ; {
		require.NotContains(t, path, name, "the happy path loops at %s", name)
		path = append(path, name)
		s := def.States[name]
		if s["Type"] == "Succeed" || s["End"] == true {
			break
		}
		next, ok := s["Next"].(string)
		require.True(t, ok, "%s leads on", name)
		name = next
	}
	assert.Equal(t, []string{"Track", "Simulate", "RecordSuccess", "Done"}, path)
	// Standard workflows bill every state entered: keep the happy path at 5 or fewer.
	assert.LessOrEqual(t, len(path), 5, "happy path %v", path)
	assert.Equal(t, "Succeed", def.States[path[len(path)-1]]["Type"])

	// Every task: its function, a timeout, the Lambda and TransientError retriers, a catch.
	lambdaErrors := []any{"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"}
	tasks := map[string]struct {
		function string
		catch    bool
	}{
		"Track":         {"tracking", true},
		"Simulate":      {"batchSimulation", true},
		"RecordSuccess": {"statusUpdate", true},
		"RecordFailure": {"statusUpdate", false},
	}
	for name, s := range def.States {
		if s["Type"] != "Task" {
			continue
		}
		want, ok := tasks[name]
		require.True(t, ok, "unexpected task %s", name)
		assert.Equal(t, want.function, taskFunction(s), "%s calls %s", name, want.function)
		timeout, _ := s["TimeoutSeconds"].(float64)
		assert.Positive(t, timeout, "%s has a TimeoutSeconds", name)
		assert.Less(t, timeout, def.TimeoutSeconds, "%s times out before the machine", name)

		var lambdaRetry, transientRetry bool
		retriers, _ := s["Retry"].([]any)
		for _, r := range retriers {
			retrier, _ := r.(map[string]any)
			// asl-validator 3.16 accepts any field in a retrier: catch typos here.
			for field := range retrier {
				assert.Contains(t, retrierFields, field, "%s: unknown retrier field", name)
			}
			if js, ok := retrier["JitterStrategy"]; ok {
				assert.Contains(t, []any{"FULL", "NONE"}, js, "%s: JitterStrategy", name)
			}
			if md, ok := retrier["MaxDelaySeconds"]; ok {
				assert.Positive(t, md, "%s: MaxDelaySeconds", name)
			}
			errs, _ := retrier["ErrorEquals"].([]any)
			switch {
			case slices.Equal(errs, lambdaErrors):
				lambdaRetry = retrier["JitterStrategy"] == "FULL" && retrier["MaxDelaySeconds"] != nil && retrier["BackoffRate"] != nil
			case slices.Equal(errs, []any{"TransientError"}):
				transientRetry = retrier["JitterStrategy"] == "FULL"
			}
		}
		assert.True(t, lambdaRetry, "%s retries the Lambda service errors with backoff, MaxDelaySeconds and full jitter", name)
		assert.True(t, transientRetry, "%s retries TransientError with full jitter", name)

		if want.catch {
			catches, _ := s["Catch"].([]any)
			require.Len(t, catches, 1, "%s has one catcher", name)
			catcher, _ := catches[0].(map[string]any)
			delete(catcher, "Comment")
			assert.Equal(t, map[string]any{
				"ErrorEquals": []any{"States.ALL"},
				"ResultPath":  "$",
				"Next":        "RecordFailure",
			}, catcher, "%s records any failure", name)
		}
	}
	assert.Equal(t, "Fail", def.States["JobFailed"]["Type"])
	// asl-validator checks only that these are strings.
	assert.Equal(t, "$.Error", def.States["JobFailed"]["ErrorPath"])
	assert.Equal(t, "$.Cause", def.States["JobFailed"]["CausePath"])

	// RecordSuccess may write and still fail (its answer lost): it retries a timeout, and
	// RecordFailure, told it is RecordFailure, answers a SUCCEEDED record instead of a
	// conflict; CheckRecord ends the execution SUCCEEDED with that record, the output of a
	// normal success, and anything else FAILED with the original error ($.Error, $.Cause kept).
	for _, name := range []string{"RecordSuccess", "RecordFailure"} {
		retriesTimeout := false
		retriers, _ := def.States[name]["Retry"].([]any)
		for _, r := range retriers {
			retrier, _ := r.(map[string]any)
			errs, _ := retrier["ErrorEquals"].([]any)
			retriesTimeout = retriesTimeout || (slices.Contains(errs, "States.Timeout") && slices.Contains(errs, "Sandbox.Timedout"))
		}
		assert.True(t, retriesTimeout, "%s retries States.Timeout and Sandbox.Timedout (status-update is idempotent)", name)
	}
	rf := def.States["RecordFailure"]
	params, _ := rf["Parameters"].(map[string]any)
	assert.Equal(t, job.SourceRecordFailure, params["source"], "RecordFailure names itself to status-update")
	assert.Equal(t, "FAILED", params["status"])
	assert.Equal(t, "$.Error", params["error.$"])
	assert.Equal(t, "$.Cause", params["cause.$"])
	assert.Equal(t, "$.record", rf["ResultPath"], "the answer goes aside; $.Error and $.Cause stay")
	assert.Equal(t, "CheckRecord", rf["Next"])
	catches, _ := rf["Catch"].([]any)
	require.Len(t, catches, 1)
	catcher, _ := catches[0].(map[string]any)
	assert.Equal(t, "JobFailed", catcher["Next"], "RecordFailure's own failure: FAILED with the original error")
	assert.NotEqual(t, "$", catcher["ResultPath"], "and keeps $.Error and $.Cause")
	check := def.States["CheckRecord"]
	delete(check, "Comment")
	assert.Equal(t, map[string]any{
		"Type": "Choice",
		"Choices": []any{map[string]any{
			"Variable": "$.record.status", "StringEquals": string(job.StatusSucceeded), "Next": "AlreadySucceeded",
		}},
		"Default": "JobFailed",
	}, check)
	assert.Equal(t, "Succeed", def.States["AlreadySucceeded"]["Type"])
	assert.Equal(t, "$.record", def.States["AlreadySucceeded"]["OutputPath"], "the record is the output, as RecordSuccess's answer")
	assert.NotContains(t, def.States["AlreadySucceeded"], "InputPath")
	for name, s := range def.States {
		if s["Type"] == "Succeed" {
			assert.Contains(t, []string{"Done", "AlreadySucceeded"}, name, "the only ways to succeed")
		}
	}
}

// TestMappingTemplateFiles checks the template files as text: each one is used by
// serverless.yml or the resources/ files it reads, and each $util.escapeJavaScript is
// followed by the apostrophe fix.
func TestMappingTemplateFiles(t *testing.T) {
	root, err := projectRoot()
	require.NoError(t, err)
	config := readProjectFile(t, root, "serverless.yml")
	resourceFiles, err := filepath.Glob(filepath.Join(root, "resources", "*.yml"))
	require.NoError(t, err)
	for _, f := range resourceFiles {
		config += readProjectFile(t, root, filepath.Join("resources", filepath.Base(f)))
	}
	entries, err := os.ReadDir(filepath.Join(root, "mapping-templates"))
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	escape := regexp.MustCompile(`\$util\.escapeJavaScript\(`)
	fix := `.replaceAll("\\'", "'")`
	for _, e := range entries {
		rel := "mapping-templates/" + e.Name()
		t.Run(e.Name(), func(t *testing.T) {
			assert.Contains(t, config, "${file("+rel+")}", "serverless.yml or resources/ reads %s", rel)
			text := readProjectFile(t, root, rel)
			// escapeJavaScript writes ' as \' which is not JSON; every use must undo it.
			assert.Equal(t, len(escape.FindAllString(text, -1)), strings.Count(text, fix),
				"%s: each $util.escapeJavaScript(...) is followed by %s", rel, fix)
		})
	}
}

// renderTemplate renders a project template with the local VTL engine, after the Fn::Sub that
// CloudFormation applies (the state machine ARN).
func renderTemplate(t *testing.T, root, rel string, req vtl.Request) string {
	t.Helper()
	return renderTemplateAs(t, root, rel, req, testOwner).Body
}

// renderTemplateAs renders for the caller whose authorizer context has ownerPrefix owner
// ("" for no authorizer context), and returns the status and headers it sets too.
func renderTemplateAs(t *testing.T, root, rel string, req vtl.Request, owner string) *vtl.Result {
	t.Helper()
	src := strings.ReplaceAll(readProjectFile(t, root, rel), "${StateMachineArn}", testStateMachineARN)
	src = strings.ReplaceAll(src, "${ExecutionArnPrefix}", testExecutionArnPrefix)
	src = strings.ReplaceAll(src, "${RecordTtlDays}", "30")
	tmpl, err := vtl.Parse(rel, src)
	require.NoError(t, err)
	authorizer := map[string]any{}
	if owner != "" {
		authorizer = map[string]any{"principalId": "user-1", "ownerPrefix": owner}
	}
	res, err := tmpl.Render(context.Background(), &vtl.Env{
		Request: req,
		Context: map[string]any{"requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "authorizer": authorizer},
	})
	require.NoError(t, err)
	require.True(t, json.Valid([]byte(res.Body)), "%s renders JSON:\n%s", rel, res.Body)
	return res
}

const (
	testStateMachineARN    = "arn:aws:states:eu-central-1:123456789012:stateMachine:stepjobs-ci-jobs"
	testExecutionArnPrefix = "arn:aws:states:eu-central-1:123456789012:execution:stepjobs-ci-jobs:"
	testOwner              = "0123456789abcdef"
)

// TestMappingTemplatesRender runs the template files through the local VTL engine for the
// cases the API promises: idempotency keys, empty bodies, optional describe fields, errors.
func TestMappingTemplatesRender(t *testing.T) {
	root, err := projectRoot()
	require.NoError(t, err)

	t.Run("start request", func(t *testing.T) {
		invalid := "Idempotency-Key must be 1 to 63 characters from A-Z a-z 0-9 _ -"
		noOwner := "no caller identity: is the authorizer configured"
		reqID := testOwner + "-c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
		tests := map[string]struct {
			body      string
			headers   map[string]string
			owner     string
			wantInput string
			wantName  string
		}{
			"body and key":           {body: `{"records": 5, "note": "it's"}`, headers: map[string]string{"Idempotency-Key": "order-42_a"}, wantInput: `{"records":5,"note":"it's"}`, wantName: testOwner + "-order-42_a"},
			"lower-case header name": {body: `{}`, headers: map[string]string{"idempotency-key": "k1"}, wantInput: `{}`, wantName: testOwner + "-k1"},
			"no key":                 {body: `{"a":[1,2]}`, wantInput: `{"a":[1,2]}`, wantName: reqID},
			"empty body":             {body: ``, wantInput: `{}`, wantName: reqID},
			"null body":              {body: `null`, wantInput: `{}`, wantName: reqID},
			"key of 63":              {body: `{}`, headers: map[string]string{"Idempotency-Key": strings.Repeat("a", 63)}, wantInput: `{}`, wantName: testOwner + "-" + strings.Repeat("a", 63)},
			"key of 64":              {body: `{}`, headers: map[string]string{"Idempotency-Key": strings.Repeat("a", 64)}, wantInput: `{}`, wantName: invalid},
			"key with a colon":       {body: `{}`, headers: map[string]string{"Idempotency-Key": "a:b"}, wantInput: `{}`, wantName: invalid},
			"key with quotes":        {body: `{}`, headers: map[string]string{"Idempotency-Key": `a", "name": "b`}, wantInput: `{}`, wantName: invalid},
			"empty key":              {body: `{}`, headers: map[string]string{"Idempotency-Key": ""}, wantInput: `{}`, wantName: invalid},
			"no authorizer context":  {body: `{}`, owner: "-", wantInput: `{}`, wantName: noOwner},
			"malformed owner prefix": {body: `{}`, owner: "XYZ", headers: map[string]string{"Idempotency-Key": "k"}, wantInput: `{}`, wantName: noOwner},
		}
		for name, tc := range tests {
			t.Run(name, func(t *testing.T) {
				owner := testOwner
				switch tc.owner {
				case "":
				case "-":
					owner = ""
				default:
					owner = tc.owner
				}
				out := renderTemplateAs(t, root, "mapping-templates/start-execution-request.vtl", vtl.Request{Body: []byte(tc.body), Headers: tc.headers}, owner).Body
				var got struct{ Input, Name, StateMachineArn string }
				require.NoError(t, json.Unmarshal([]byte(out), &got))
				assert.JSONEq(t, tc.wantInput, got.Input)
				assert.Equal(t, tc.wantName, got.Name)
				assert.LessOrEqual(t, len(got.Name), 80, "Step Functions' limit")
				assert.Equal(t, testStateMachineARN, got.StateMachineArn)
			})
		}
	})

	t.Run("start response", func(t *testing.T) {
		res := renderTemplateAs(t, root, "mapping-templates/start-execution-response.vtl", vtl.Request{
			Body: []byte(`{"executionArn":"arn:aws:states:eu-central-1:123456789012:execution:stepjobs-ci-jobs:job-1","startDate":1.763912345123E9}`)}, testOwner)
		assert.JSONEq(t, `{"jobId":"job-1","executionArn":"arn:aws:states:eu-central-1:123456789012:execution:stepjobs-ci-jobs:job-1","startDate":1763912345.123}`, res.Body)
		assert.Equal(t, 202, res.Status)
		assert.Equal(t, map[string]string{"Location": "jobs/job-1/result"}, res.Headers)
	})

	t.Run("stop response", func(t *testing.T) {
		out := renderTemplate(t, root, "mapping-templates/stop-execution-response.vtl", vtl.Request{Body: []byte(`{"stopDate":1.7639E9}`)})
		assert.JSONEq(t, `{"stopDate":1763900000}`, out)
	})

	t.Run("describe request", func(t *testing.T) {
		mine := testExecutionArnPrefix + testOwner + "-job-1"
		notOwned := `{"executionArn":"` + testExecutionArnPrefix + `not-owned"}`
		tests := map[string]struct {
			body, owner, want string
		}{
			"own job":                 {body: `{"executionArn":"` + mine + `"}`, want: `{"executionArn":"` + mine + `"}`},
			"another state machine":   {body: `{"executionArn":"arn:aws:states:r:1:execution:other:` + testOwner + `-job-1"}`, want: `{"executionArn":"` + mine + `"}`},
			"another caller's job":    {body: `{"executionArn":"` + testExecutionArnPrefix + `fedcba9876543210-job-1"}`, want: notOwned},
			"a prefix only":           {body: `{"executionArn":"` + testExecutionArnPrefix + testOwner + `-"}`, want: notOwned},
			"extra fields":            {body: `{"executionArn":"` + mine + `","includedData":"ALL_DATA"}`, want: `{"executionArn":"` + mine + `"}`},
			"quotes":                  {body: `{"executionArn":"a\", \"x\": \"y"}`, want: notOwned},
			"no executionArn":         {body: `{}`, want: notOwned},
			"no authorizer context":   {body: `{"executionArn":"` + mine + `"}`, owner: "-", want: notOwned},
			"owner prefix not hex 16": {body: `{"executionArn":"arn:x:.*-job-1"}`, owner: ".*", want: notOwned},
		}
		for name, tc := range tests {
			t.Run(name, func(t *testing.T) {
				owner := testOwner
				switch tc.owner {
				case "":
				case "-":
					owner = ""
				default:
					owner = tc.owner
				}
				out := renderTemplateAs(t, root, "mapping-templates/describe-execution-request.vtl", vtl.Request{Body: []byte(tc.body)}, owner).Body
				assert.JSONEq(t, tc.want, out)
			})
		}
	})

	t.Run("describe response", func(t *testing.T) {
		arn := `"executionArn":"arn:aws:states:r:1:execution:m:job-1","stateMachineArn":"arn:aws:states:r:1:stateMachine:m","name":"job-1"`
		tests := map[string]struct{ body, want string }{
			"running": {
				body: `{` + arn + `,"status":"RUNNING","input":"{\"records\":3}","inputDetails":{"included":true},"startDate":1.5E9}`,
				want: `{"jobId":"job-1","status":"RUNNING","input":{"records":3},"startDate":1.5E9}`,
			},
			"succeeded": {
				body: `{` + arn + `,"status":"SUCCEEDED","input":"{}","output":"{\"jobId\":\"job-1\",\"status\":\"SUCCEEDED\",\"result\":{\"records\":3}}","startDate":1,"stopDate":2}`,
				want: `{"jobId":"job-1","status":"SUCCEEDED","input":{},"output":{"jobId":"job-1","status":"SUCCEEDED","result":{"records":3}},"startDate":1,"stopDate":2}`,
			},
			"failed": {
				body: `{` + arn + `,"status":"FAILED","input":"{\"records\":-1}","error":"InvalidJobInput","cause":"{\"errorMessage\":\"records must be 1..100000\",\"errorType\":\"InvalidJobInput\"}","startDate":1,"stopDate":2}`,
				want: `{"jobId":"job-1","status":"FAILED","input":{"records":-1},"error":"InvalidJobInput","cause":"{\"errorMessage\":\"records must be 1..100000\",\"errorType\":\"InvalidJobInput\"}","startDate":1,"stopDate":2}`,
			},
			"input left out": {
				body: `{` + arn + `,"status":"RUNNING","startDate":1}`,
				want: `{"jobId":"job-1","status":"RUNNING","input":null,"startDate":1}`,
			},
		}
		for name, tc := range tests {
			t.Run(name, func(t *testing.T) {
				out := renderTemplate(t, root, "mapping-templates/describe-execution-response.vtl", vtl.Request{Body: []byte(tc.body)})
				assert.JSONEq(t, tc.want, out)
			})
		}
	})

	t.Run("error response", func(t *testing.T) {
		tests := map[string]struct{ body, want string }{
			"typed":        {body: `{"__type":"com.amazonaws.swf.service.v2.model#InvalidArn","message":"Invalid Arn: 'x'"}`, want: `{"message":"Invalid Arn: 'x'","code":"InvalidArn"}`},
			"bare type":    {body: `{"__type":"InvalidName","message":"Invalid Name: 'a b'"}`, want: `{"message":"Invalid Name: 'a b'","code":"InvalidName"}`},
			"Message":      {body: `{"__type":"x#ThrottlingException","Message":"Rate exceeded"}`, want: `{"message":"Rate exceeded","code":"ThrottlingException"}`},
			"no type":      {body: `{"message":"boom"}`, want: `{"message":"boom","code":"StepFunctionsError"}`},
			"quoted parts": {body: `{"__type":"a#B","message":"say \"hi\"\n"}`, want: `{"message":"say \"hi\"\n","code":"B"}`},
		}
		for name, tc := range tests {
			t.Run(name, func(t *testing.T) {
				out := renderTemplate(t, root, errorResponseFile, vtl.Request{Body: []byte(tc.body)})
				assert.JSONEq(t, tc.want, out)
			})
		}
		// Status codes that tell the truth, over the integration response's 400.
		statuses := map[string]struct {
			body, want string
			status     int
		}{
			"unknown job: 404, quoting nothing": {body: `{"__type":"com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist","message":"Execution Does Not Exist: 'arn:...:0123456789abcdef-x'"}`,
				want: `{"message":"Job not found","code":"JobNotFound"}`, status: 404},
			"key reused: 409": {body: `{"__type":"x#ExecutionAlreadyExists","message":"Execution Already Exists: 'arn'"}`,
				want: `{"message":"Execution Already Exists: 'arn'","code":"ExecutionAlreadyExists"}`, status: 409},
			"input over 256 KiB: 413": {body: `{"__type":"x#InvalidExecutionInput","message":"Invalid State Machine Execution Input: 'Input size exceeds the maximum number of bytes service limit (262144 bytes).'"}`,
				want: `{"message":"Invalid State Machine Execution Input: 'Input size exceeds the maximum number of bytes service limit (262144 bytes).'","code":"InvalidExecutionInput"}`, status: 413},
			"other bad input: 400": {body: `{"__type":"x#InvalidExecutionInput","message":"Invalid State Machine Execution Input: 'x'"}`,
				want: `{"message":"Invalid State Machine Execution Input: 'x'","code":"InvalidExecutionInput"}`},
			"throttled: 429": {body: `{"__type":"x#ThrottlingException","message":"Rate exceeded"}`,
				want: `{"message":"Rate exceeded","code":"ThrottlingException"}`, status: 429},
		}
		for name, tc := range statuses {
			t.Run(name, func(t *testing.T) {
				res := renderTemplateAs(t, root, errorResponseFile, vtl.Request{Body: []byte(tc.body)}, testOwner)
				assert.JSONEq(t, tc.want, res.Body)
				assert.Equal(t, tc.status, res.Status, "0: the integration response's status")
			})
		}
	})

	// DynamoDB's refusals of GET /jobs and GET /jobs/{jobId}. A bad parameter asks for an index
	// named after it: on AWS, IAM refuses it first (the role may Query byOwner only); where IAM is
	// not checked, DynamoDB's validation does. Both are the same 400.
	t.Run("dynamodb error response", func(t *testing.T) {
		denied := func(index string) string {
			return `{"__type":"com.amazon.coral.service#AccessDeniedException","Message":"User: arn:aws:sts::123456789012:assumed-role/stepjobs-ci-ApiGatewayJobsTableRole-X/BackplaneAssumeRoleSession is not authorized to perform: dynamodb:Query on resource: arn:aws:dynamodb:eu-central-1:123456789012:table/stepjobs-ci-jobs/index/` + index + ` because no identity-based policy allows the dynamodb:Query action"}`
		}
		tests := map[string]struct {
			body, want string
			status     int
		}{
			"bad limit, IAM":          {body: denied("InvalidLimit"), want: `{"message":"limit must be a whole number from 1 to 100","code":"InvalidLimit"}`},
			"bad status, IAM":         {body: denied("InvalidStatus"), want: `{"message":"status must be one of RUNNING, SUCCEEDED, FAILED, ABORTED, TIMED_OUT","code":"InvalidStatus"}`},
			"bad cursor, IAM":         {body: denied("InvalidCursor"), want: `{"message":"cursor is not one this API gave you: pass nextCursor of your previous page unchanged","code":"InvalidCursor"}`},
			"bad limit, validation":   {body: `{"__type":"com.amazonaws.dynamodb.v20120810#ValidationException","message":"The table does not have the specified index: InvalidLimit"}`, want: `{"message":"limit must be a whole number from 1 to 100","code":"InvalidLimit"}`},
			"no caller, validation":   {body: `{"__type":"com.amazonaws.dynamodb.v20120810#ValidationException","message":"The table does not have the specified index: NoCallerIdentity"}`, want: `{"message":"no caller identity: is the authorizer configured","code":"NoCallerIdentity"}`},
			"the stack's own refusal": {body: denied("byOwner"), want: `{"message":"the API may not read the jobs table","code":"AccessDeniedException"}`, status: 502},
			"table access denied": {body: `{"__type":"com.amazon.coral.service#AccessDeniedException","Message":"User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:eu-central-1:1:table/t"}`,
				want: `{"message":"the API may not read the jobs table","code":"AccessDeniedException"}`, status: 502},
			"other validation":      {body: `{"__type":"com.amazonaws.dynamodb.v20120810#ValidationException","message":"One or more parameter values were invalid"}`, want: `{"message":"One or more parameter values were invalid","code":"ValidationException"}`},
			"throttled":             {body: `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}`, want: `{"message":"slow down","code":"ProvisionedThroughputExceededException"}`, status: 429},
			"not a refusal of ours": {body: `{"__type":"com.amazonaws.dynamodb.v20120810#ValidationException","message":"The table does not have the specified index: byOwner"}`, want: `{"message":"The table does not have the specified index: byOwner","code":"ValidationException"}`},
		}
		for name, tc := range tests {
			t.Run(name, func(t *testing.T) {
				res := renderTemplateAs(t, root, dynamoDBErrorResponseFile, vtl.Request{Body: []byte(tc.body)}, testOwner)
				assert.JSONEq(t, tc.want, res.Body)
				assert.Equal(t, tc.status, res.Status, "0: the integration response's status")
			})
		}
	})

	t.Run("reject request", func(t *testing.T) {
		out := renderTemplate(t, root, rejectRequestFile, vtl.Request{Body: []byte("a=b")})
		assert.JSONEq(t, `{"stateMachineArn":"Content-Type must be application/json","executionArn":"Content-Type must be application/json"}`, out)
	})
}

// overrideStatuses are the statuses a response template sets with
// $context.responseOverride.status.
var overrideStatus = regexp.MustCompile(`responseOverride\.status = (\d{3})`)

// Every route requires the TOKEN authorizer; the Step Functions routes validate their body
// against the schema files; each status a template overrides to is a declared method response.
func TestStackAuthorizationAndValidation(t *testing.T) {
	p := packageStack(t)
	auth := resource(t, p, "AuthorizerApiGatewayAuthorizer", "AWS::ApiGateway::Authorizer")
	assert.Equal(t, "TOKEN", auth.Properties["Type"])
	assert.Equal(t, "method.request.header.Authorization", auth.Properties["IdentitySource"])
	assert.Contains(t, evalString(t, p, auth.Properties["AuthorizerUri"]), stack.GetAttMarker("AuthorizerLambdaFunction", "Arn"))
	for _, id := range []string{"AuthorizerLambdaFunctionLambdaPermission", "AuthorizerLambdaPermissionApiGateway"} {
		perm := resource(t, p, id, "AWS::Lambda::Permission")
		assert.Equal(t, fmt.Sprintf("arn:aws:execute-api:%s:%s:%s/authorizers/*", stackRegion, stackEnv.AccountID, stack.RefMarker("ApiGatewayRestApi")),
			evalString(t, p, perm.Properties["SourceArn"]), "%s: only this API's authorizers may invoke it", id)
	}

	methods := p.tmpl.OfType("AWS::ApiGateway::Method")
	require.Len(t, methods, 6)
	for _, id := range methods {
		m := p.tmpl.Resources[id]
		assert.Equal(t, "CUSTOM", m.Properties["AuthorizationType"], "%s requires the authorizer", id)
		assert.Equal(t, stack.RefMarker("AuthorizerApiGatewayAuthorizer"), evalString(t, p, m.Properties["AuthorizerId"]), id)
		assert.Equal(t, stack.RefMarker("ApiGatewayStepjobsRequestValidator"), evalString(t, p, m.Properties["RequestValidatorId"]), id)
	}
	validator := resource(t, p, "ApiGatewayStepjobsRequestValidator", "AWS::ApiGateway::RequestValidator")
	assert.Equal(t, true, validator.Properties["ValidateRequestBody"])

	for _, rt := range routes {
		t.Run(rt.path, func(t *testing.T) {
			m := resource(t, p, rt.methodID, "AWS::ApiGateway::Method")
			model := resource(t, p, rt.methodID+"ApplicationJsonModel", "AWS::ApiGateway::Model")
			assert.Equal(t, stack.RefMarker(rt.methodID+"ApplicationJsonModel"), evalString(t, p, lookup(t, m.Properties, "RequestModels", "application/json")))
			var want any
			require.NoError(t, json.Unmarshal([]byte(readProjectFile(t, p.root, "schemas/"+rt.path+".json")), &want))
			assert.Equal(t, want, model.Properties["Schema"], "the model is schemas/%s.json", rt.path)

			var declared []int
			list, _ := m.Properties["MethodResponses"].([]any)
			for i := range list {
				s, _ := lookup(t, list, i, "StatusCode").(float64)
				declared = append(declared, int(s))
			}
			for _, f := range []string{rt.responseFile, errorResponseFile} {
				for _, sm := range overrideStatus.FindAllStringSubmatch(readProjectFile(t, p.root, f), -1) {
					code, err := strconv.Atoi(sm[1])
					require.NoError(t, err)
					assert.Contains(t, declared, code, "%s: %s overrides to %d", rt.methodID, f, code)
				}
			}
		})
	}

	// GET /jobs/{jobId}/result: a Lambda proxy integration of the jobResult function.
	m := resource(t, p, "ApiGatewayMethodJobsJobidVarResultGet", "AWS::ApiGateway::Method")
	assert.Equal(t, "GET", m.Properties["HttpMethod"])
	assert.Equal(t, "AWS_PROXY", lookup(t, m.Properties, "Integration", "Type"))
	assert.Contains(t, evalString(t, p, lookup(t, m.Properties, "Integration", "Uri")), stack.GetAttMarker("JobResultLambdaFunction", "Arn"))
	assert.Equal(t, true, lookup(t, m.Properties, "RequestParameters", "method.request.path.jobId"))
	fn := resource(t, p, "JobResultLambdaFunction", "AWS::Lambda::Function")
	assert.Equal(t, "15m", lookup(t, fn.Properties, "Environment", "Variables", "RESULT_URL_TTL"))
	au := resource(t, p, "AuthorizerLambdaFunction", "AWS::Lambda::Function")
	vars, _ := lookup(t, au.Properties, "Environment", "Variables").(map[string]any)
	for _, k := range []string{"ISSUER", "AUDIENCE", "JWKS_URL", "TOKEN_USE", "AUTH_DISABLED"} {
		assert.Contains(t, vars, k, "the authorizer is configured from the deploying shell")
	}
	assert.Equal(t, "false", vars["AUTH_DISABLED"], "authorization is on unless said otherwise")
}

// A stopped or timed-out execution runs no Catch: the EventBridge rule hands its status
// change to statusUpdate with the payload the handler reads.
// statusChangeDLQ is the dead-letter queue of the status change rule and of status-update's
// asynchronous invocations.
const statusChangeDLQ = "StatusUpdateDeadLetterQueue"

// TestStackStatusChangeRule: every execution that does not succeed (FAILED, ABORTED,
// TIMED_OUT) reaches status-update through one rule, with the execution's error and cause;
// what EventBridge or Lambda cannot deliver ends in an encrypted dead-letter queue that only
// this rule (and the function's role) may write, watched by an alarm.
func TestStackStatusChangeRule(t *testing.T) {
	p := packageStack(t)
	r := resource(t, p, "StepjobscistatusUpdaterule1EventBridgeRule", "AWS::Events::Rule")
	ruleName := "stepjobs-" + stackStage + "-job-status-change"
	ruleARN := fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", stackRegion, stackEnv.AccountID, ruleName)
	assert.Equal(t, ruleName, r.Properties["Name"])
	assert.Equal(t, "ENABLED", r.Properties["State"])
	pattern, _ := r.Properties["EventPattern"].(map[string]any)
	assert.Equal(t, []any{"aws.states"}, pattern["source"])
	assert.Equal(t, []any{"Step Functions Execution Status Change"}, pattern["detail-type"])
	detail, _ := pattern["detail"].(map[string]any)
	assert.ElementsMatch(t, []any{"FAILED", "ABORTED", "TIMED_OUT"}, detail["status"], "every status but SUCCEEDED (and RUNNING)")
	machines, _ := detail["stateMachineArn"].([]any)
	require.Len(t, machines, 1)
	assert.Equal(t, stack.RefMarker(stackSM), evalString(t, p, machines[0]), "this state machine's executions only")

	targets, _ := r.Properties["Targets"].([]any)
	require.Len(t, targets, 1)
	assert.Equal(t, stack.GetAttMarker("StatusUpdateLambdaFunction", "Arn"), evalString(t, p, lookup(t, targets, 0, "Arn")))
	assert.Equal(t, stack.GetAttMarker(statusChangeDLQ, "Arn"), evalString(t, p, lookup(t, targets, 0, "DeadLetterConfig", "Arn")))
	assert.Equal(t, 185.0, lookup(t, targets, 0, "RetryPolicy", "MaximumRetryAttempts"))
	assert.Equal(t, 86400.0, lookup(t, targets, 0, "RetryPolicy", "MaximumEventAgeInSeconds"))

	tmpl, _ := lookup(t, targets, 0, "InputTransformer", "InputTemplate").(string)
	paths, _ := lookup(t, targets, 0, "InputTransformer", "InputPathsMap").(map[string]any)
	// Apply the transformer to recorded events: each result is a status-update input.
	tests := map[string]struct {
		detail map[string]any
		want   job.StatusInput
	}{
		"ABORTED: no error": {
			detail: map[string]any{"name": "0123456789abcdef-k", "executionArn": "arn:x:0123456789abcdef-k", "status": "ABORTED", "error": nil, "cause": nil},
			want:   job.StatusInput{JobID: "0123456789abcdef-k", ExecutionARN: "arn:x:0123456789abcdef-k", Status: job.StatusAborted},
		},
		"FAILED: the execution's error and cause": {
			detail: map[string]any{"name": "0123456789abcdef-k", "executionArn": "arn:x:0123456789abcdef-k", "status": "FAILED",
				"error": "SimulatedFailure", "cause": `{"errorMessage":"boom \"quoted\""}`},
			want: job.StatusInput{JobID: "0123456789abcdef-k", ExecutionARN: "arn:x:0123456789abcdef-k", Status: job.StatusFailed,
				Error: "SimulatedFailure", Cause: `{"errorMessage":"boom \"quoted\""}`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			event := map[string]any{"detail": tc.detail}
			out := tmpl
			for name, path := range paths {
				v, err := stack.Lookup(event, "detail", strings.TrimPrefix(path.(string), "$.detail."))
				require.NoError(t, err, path)
				b, _ := json.Marshal(v)
				out = strings.ReplaceAll(out, "<"+name+">", string(b))
			}
			var in job.StatusInput
			require.NoError(t, json.Unmarshal([]byte(out), &in), out)
			assert.Equal(t, tc.want, in)
		})
	}

	perm := resource(t, p, "StatusUpdateEventBridgeLambdaPermission1", "AWS::Lambda::Permission")
	assert.Equal(t, "events.amazonaws.com", evalString(t, p, perm.Properties["Principal"]))
	assert.Equal(t, ruleARN, evalString(t, p, perm.Properties["SourceArn"]))

	checkAsyncDeadLetters(t, p, deadLetters{function: "StatusUpdate", queue: statusChangeDLQ,
		queueName: "stepjobs-" + stackStage + "-status-update-dlq", ruleARN: ruleARN, alarm: "StatusUpdateDeadLetterAlarm"})
}

// deadLetters names what a rule-driven function's failures go to: its
// asynchronous invocation config (<function>LambdaEvConf; none when function is ""), its
// dead-letter queue and that queue's alarm.
type deadLetters struct {
	function, queue, queueName, ruleARN, alarm string
}

// checkAsyncDeadLetters: two retries, then the dead-letter queue, which is
// encrypted, keeps 14 days, may be written only by the rule, and pages.
func checkAsyncDeadLetters(t *testing.T, p packaged, d deadLetters) {
	t.Helper()
	statusChangeDLQ, ruleARN := d.queue, d.ruleARN
	t.Run("asynchronous invocations: two retries, then the dead-letter queue", func(t *testing.T) {
		if d.function == "" {
			t.Skip("no function: a queue's redrive fills this one")
		}
		c := resource(t, p, d.function+"LambdaEvConf", "AWS::Lambda::EventInvokeConfig")
		assert.Equal(t, stack.RefMarker(d.function+"LambdaFunction"), evalString(t, p, c.Properties["FunctionName"]))
		assert.Equal(t, 2.0, c.Properties["MaximumRetryAttempts"])
		assert.Equal(t, 21600.0, c.Properties["MaximumEventAgeInSeconds"])
		assert.Equal(t, stack.GetAttMarker(statusChangeDLQ, "Arn"), evalString(t, p, lookup(t, c.Properties, "DestinationConfig", "OnFailure", "Destination")))
	})

	t.Run("the dead-letter queue: encrypted, 14 days, written only by the rule", func(t *testing.T) {
		q := resource(t, p, statusChangeDLQ, "AWS::SQS::Queue")
		assert.Equal(t, true, q.Properties["SqsManagedSseEnabled"], "encrypted at rest")
		assert.Equal(t, float64(14*24*3600), q.Properties["MessageRetentionPeriod"], "the longest SQS keeps a message")
		assert.Equal(t, d.queueName, q.Properties["QueueName"])

		checkRuleOnlyQueuePolicy(t, p, statusChangeDLQ, ruleARN)
	})

	t.Run("an alarm on the queue's depth", func(t *testing.T) {
		a := resource(t, p, d.alarm, "AWS::CloudWatch::Alarm")
		assert.Equal(t, "AWS/SQS", a.Properties["Namespace"])
		assert.Equal(t, "ApproximateNumberOfMessagesVisible", a.Properties["MetricName"])
		assert.Equal(t, "QueueName", lookup(t, a.Properties, "Dimensions", 0, "Name"))
		assert.Equal(t, stack.GetAttMarker(statusChangeDLQ, "QueueName"), evalString(t, p, lookup(t, a.Properties, "Dimensions", 0, "Value")))
		assert.Equal(t, "GreaterThanThreshold", a.Properties["ComparisonOperator"])
		assert.Equal(t, 0.0, a.Properties["Threshold"], "one message is one too many")
		assert.Equal(t, stack.RefMarker("AlarmTopic"), evalString(t, p, lookup(t, a.Properties, "AlarmActions", 0)))
	})
}

// TestStackCallbackRule: every final status of the jobs' state machine whose input names a
// callbackUrl goes, the whole event (its input holds the callbackUrl), onto the callbacks queue, writable only by that rule; the
// notifier consumes it one message at a time, reporting failed items; after 20 receives (about
// 7 hours of backoff: callback.TestBackoffWindowSpansHours) SQS moves a message to the
// dead-letter queue, which pages.
func TestStackCallbackRule(t *testing.T) {
	p := packageStack(t)
	r := resource(t, p, "CallbackRule", "AWS::Events::Rule")
	assert.Equal(t, "stepjobs-"+stackStage+"-job-callback", r.Properties["Name"])
	pattern, _ := r.Properties["EventPattern"].(map[string]any)
	assert.Equal(t, []any{"aws.states"}, pattern["source"])
	assert.Equal(t, []any{"Step Functions Execution Status Change"}, pattern["detail-type"])
	assert.Equal(t, []any{"SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"}, lookup(t, pattern, "detail", "status"))
	assert.Equal(t, stack.RefMarker(stackSM), evalString(t, p, lookup(t, pattern, "detail", "stateMachineArn", 0)))
	assert.Equal(t, []any{map[string]any{"wildcard": `*"callbackUrl"*`}}, lookup(t, pattern, "detail", "input"), "only jobs that asked for a callback")
	targets, _ := r.Properties["Targets"].([]any)
	require.Len(t, targets, 1)
	target, _ := targets[0].(map[string]any)
	assert.NotContains(t, target, "InputTransformer", "the whole event: detail.input is the callbackUrl's carrier")
	assert.Equal(t, stack.GetAttMarker("CallbackQueue", "Arn"), evalString(t, p, target["Arn"]), "the queue, not the function")
	assert.Equal(t, stack.GetAttMarker("CallbackDeadLetterQueue", "Arn"), evalString(t, p, lookup(t, target, "DeadLetterConfig", "Arn")))

	fn := resource(t, p, "NotifierLambdaFunction", "AWS::Lambda::Function")
	timeout, _ := fn.Properties["Timeout"].(float64)
	assert.Equal(t, 30.0, timeout, "one attempt per invocation")
	assert.Equal(t, stack.RefMarker("CallbackSigningSecret"), evalString(t, p, lookup(t, fn.Properties, "Environment", "Variables", "CALLBACK_SECRET_ARN")))
	assert.Equal(t, stack.RefMarker("CallbackQueue"), evalString(t, p, lookup(t, fn.Properties, "Environment", "Variables", "CALLBACK_QUEUE_URL")))
	vars, _ := lookup(t, fn.Properties, "Environment", "Variables").(map[string]any)
	assert.NotContains(t, vars, "CALLBACK_ALLOW_LOOPBACK", "private targets are refused on AWS")
	assert.NotContains(t, p.tmpl.OfType("AWS::Lambda::EventInvokeConfig"), "NotifierLambdaEvConf",
		"no asynchronous invocation config (no on-failure destination): the queue retries")

	var mappings []string
	for _, id := range p.tmpl.OfType("AWS::Lambda::EventSourceMapping") {
		m := resource(t, p, id, "AWS::Lambda::EventSourceMapping")
		if evalString(t, p, m.Properties["FunctionName"]) == stack.GetAttMarker("NotifierLambdaFunction", "Arn") {
			mappings = append(mappings, id)
			assert.Equal(t, stack.GetAttMarker("CallbackQueue", "Arn"), evalString(t, p, m.Properties["EventSourceArn"]))
			assert.Equal(t, 1.0, m.Properties["BatchSize"])
			assert.Equal(t, []any{"ReportBatchItemFailures"}, m.Properties["FunctionResponseTypes"])
		}
	}
	assert.Len(t, mappings, 1, "the notifier consumes the callbacks queue")

	q := resource(t, p, "CallbackQueue", "AWS::SQS::Queue")
	assert.Equal(t, true, q.Properties["SqsManagedSseEnabled"], "encrypted at rest")
	assert.GreaterOrEqual(t, q.Properties["VisibilityTimeout"], timeout, "SQS event sources need at least the function's timeout")
	assert.Equal(t, stack.GetAttMarker("CallbackDeadLetterQueue", "Arn"), evalString(t, p, lookup(t, q.Properties, "RedrivePolicy", "deadLetterTargetArn")))
	assert.Equal(t, float64(callback.DefaultMaxReceives), lookup(t, q.Properties, "RedrivePolicy", "maxReceiveCount"),
		"the receives the backoff schedule is computed for")
	checkRuleOnlyQueuePolicy(t, p, "CallbackQueue", stack.GetAttMarker("CallbackRule", "Arn"))

	secret := resource(t, p, "CallbackSigningSecret", "AWS::SecretsManager::Secret")
	assert.Equal(t, 64.0, lookup(t, secret.Properties, "GenerateSecretString", "PasswordLength"), "generated at deploy, never in the template")
	assert.NotContains(t, secret.Properties, "SecretString")

	checkAsyncDeadLetters(t, p, deadLetters{queue: "CallbackDeadLetterQueue", queueName: "stepjobs-" + stackStage + "-callback-dlq",
		ruleARN: stack.GetAttMarker("CallbackRule", "Arn"), alarm: "CallbackDeadLetterAlarm"})
}

// X-Ray everywhere, JSON access logs kept 30 days, state machine errors logged without data.
func TestStackObservability(t *testing.T) {
	p := packageStack(t)
	sm := resource(t, p, stackSM, "AWS::StepFunctions::StateMachine")
	assert.Equal(t, true, lookup(t, sm.Properties, "TracingConfiguration", "Enabled"))
	assert.Equal(t, "ERROR", lookup(t, sm.Properties, "LoggingConfiguration", "Level"))
	assert.Equal(t, false, lookup(t, sm.Properties, "LoggingConfiguration", "IncludeExecutionData"), "execution data is the callers' data")
	assert.Equal(t, stack.GetAttMarker("JobsStateMachineLogGroup", "Arn"),
		evalString(t, p, lookup(t, sm.Properties, "LoggingConfiguration", "Destinations", 0, "CloudWatchLogsLogGroup", "LogGroupArn")))
	smLogs := resource(t, p, "JobsStateMachineLogGroup", "AWS::Logs::LogGroup")
	assert.Equal(t, 30.0, smLogs.Properties["RetentionInDays"])

	for _, id := range p.tmpl.OfType("AWS::Lambda::Function") {
		assert.Equal(t, "Active", lookup(t, p.tmpl.Resources[id].Properties, "TracingConfig", "Mode"), "%s is traced", id)
		assert.NotEmpty(t, evalString(t, p, lookup(t, p.tmpl.Resources[id].Properties, "Environment", "Variables", "METRICS_SERVICE")), "%s: EMF dimension", id)
	}
	for _, id := range p.tmpl.OfType("AWS::Logs::LogGroup") {
		assert.Equal(t, 30.0, p.tmpl.Resources[id].Properties["RetentionInDays"], "%s keeps 30 days", id)
	}
	// The stage's tracing and access logging are not in the template: `sls deploy` sets them on
	// the stage after CloudFormation (UpdateStage). serverless.yml is what asks for them.
	var cfg struct {
		Provider struct {
			Tracing struct {
				APIGateway bool `yaml:"apiGateway"`
				Lambda     bool `yaml:"lambda"`
			} `yaml:"tracing"`
			Logs struct {
				RestAPI struct {
					AccessLogging     bool   `yaml:"accessLogging"`
					ExecutionLogging  bool   `yaml:"executionLogging"`
					FullExecutionData *bool  `yaml:"fullExecutionData"`
					Format            string `yaml:"format"`
				} `yaml:"restApi"`
			} `yaml:"logs"`
		} `yaml:"provider"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(readProjectFile(t, p.root, "serverless.yml")), &cfg))
	assert.True(t, cfg.Provider.Tracing.APIGateway, "API Gateway X-Ray")
	assert.True(t, cfg.Provider.Tracing.Lambda, "Lambda X-Ray")
	assert.True(t, cfg.Provider.Logs.RestAPI.AccessLogging)
	assert.False(t, cfg.Provider.Logs.RestAPI.ExecutionLogging, "execution logs would hold request bodies")
	// Unset, the Framework sends dataTrace=true (full request and response bodies once execution
	// logging is on).
	require.NotNil(t, cfg.Provider.Logs.RestAPI.FullExecutionData, "fullExecutionData is set")
	assert.False(t, *cfg.Provider.Logs.RestAPI.FullExecutionData, "no dataTrace")
	format := cfg.Provider.Logs.RestAPI.Format
	assert.True(t, json.Valid([]byte(format)), "access log lines are JSON: %s", format)
	for _, field := range []string{"requestId", "principalId", "status", "responseLatency", "xrayTraceId"} {
		assert.Contains(t, format, `"`+field+`"`)
	}
	accessLogs := resource(t, p, "ApiGatewayLogGroup", "AWS::Logs::LogGroup")
	assert.Equal(t, "/aws/api-gateway/stepjobs-"+stackStage, accessLogs.Properties["LogGroupName"])
	account := resource(t, p, "ApiGatewayAccount", "AWS::ApiGateway::Account")
	assert.Equal(t, stack.GetAttMarker("ApiGatewayCloudWatchRole", "Arn"), evalString(t, p, account.Properties["CloudWatchRoleArn"]))

	// The logging role is one setting per account and region, shared by every stage: only a
	// stage deployed with ManageApiGatewayAccount=true sets it, and its role outlives the stack,
	// so removing that stage does not break the other stages' access logs.
	role := resource(t, p, "ApiGatewayCloudWatchRole", "AWS::IAM::Role")
	assert.Equal(t, "ManagesApiGatewayAccount", account.Condition)
	assert.Equal(t, "ManagesApiGatewayAccount", role.Condition)
	assert.Equal(t, "Retain", role.DeletionPolicy, "the other stages' access logs need the role")
	assert.Equal(t, "Retain", role.UpdateReplacePolicy)
	var raw struct {
		Parameters map[string]struct {
			Default       string
			AllowedValues []string
		}
		Conditions map[string]any
	}
	require.NoError(t, json.Unmarshal(p.raw, &raw))
	param, ok := raw.Parameters["ManageApiGatewayAccount"]
	require.True(t, ok, "a parameter decides which stage sets the account's logging role")
	assert.Equal(t, "true", param.Default, "the first stage in an account sets it")
	assert.ElementsMatch(t, []string{"true", "false"}, param.AllowedValues)
	assert.Equal(t, map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "ManageApiGatewayAccount"}, "true"}},
		raw.Conditions["ManagesApiGatewayAccount"])
	for id, r := range p.tmpl.Resources {
		if id == "ApiGatewayAccount" || r.Condition == "ManagesApiGatewayAccount" {
			continue
		}
		refs, err := json.Marshal(r)
		require.NoError(t, err)
		assert.NotContains(t, string(refs), `"ApiGatewayCloudWatchRole"`, "%s would fail where the stage does not set the account", id)
	}
}

// Alarms on Lambda errors and throttles, the state machine's failures, timeouts and
// throttles, API 5XX and p99 latency, all to a KMS-encrypted SNS topic with an optional email
// subscriber; a dashboard of the same metrics.
func TestStackAlarmsAndDashboard(t *testing.T) {
	p := packageStack(t)
	var raw struct {
		Parameters map[string]map[string]any
		Conditions map[string]any
	}
	require.NoError(t, json.Unmarshal(p.raw, &raw))
	require.Contains(t, raw.Parameters, "AlarmEmail")
	assert.Equal(t, "String", raw.Parameters["AlarmEmail"]["Type"])
	assert.Contains(t, raw.Conditions, "HasAlarmEmail")
	sub := resource(t, p, "AlarmEmailSubscription", "AWS::SNS::Subscription")
	assert.Equal(t, "email", sub.Properties["Protocol"])
	assert.Equal(t, stack.RefMarker("AlarmTopic"), evalString(t, p, sub.Properties["TopicArn"]))
	var withConditions struct {
		Resources map[string]struct{ Condition string }
	}
	require.NoError(t, json.Unmarshal(p.raw, &withConditions))
	assert.Equal(t, "HasAlarmEmail", withConditions.Resources["AlarmEmailSubscription"].Condition, "no subscription without an address")

	topic := resource(t, p, "AlarmTopic", "AWS::SNS::Topic")
	assert.Equal(t, stack.RefMarker("AlarmKey"), evalString(t, p, topic.Properties["KmsMasterKeyId"]), "a customer managed key CloudWatch may use")
	key := resource(t, p, "AlarmKey", "AWS::KMS::Key")
	assert.Equal(t, true, key.Properties["EnableKeyRotation"])
	keyPolicy, err := json.Marshal(key.Properties["KeyPolicy"])
	require.NoError(t, err)
	assert.Contains(t, string(keyPolicy), "cloudwatch.amazonaws.com")

	type alarm struct{ namespace, metric string }
	var got []alarm
	dims := map[string]bool{}
	for _, id := range p.tmpl.OfType("AWS::CloudWatch::Alarm") {
		props := p.tmpl.Resources[id].Properties
		got = append(got, alarm{evalString(t, p, props["Namespace"]), evalString(t, p, props["MetricName"])})
		actions, _ := props["AlarmActions"].([]any)
		require.NotEmpty(t, actions, "%s notifies", id)
		for _, a := range actions {
			assert.Equal(t, stack.RefMarker("AlarmTopic"), evalString(t, p, a), "%s notifies the alarm topic", id)
		}
		if d, ok := props["Dimensions"].([]any); ok && evalString(t, p, props["Namespace"]) == "AWS/Lambda" {
			dims[evalString(t, p, lookup(t, d, 0, "Value"))] = true
		}
	}
	for _, want := range []alarm{
		{"AWS/States", "ExecutionsFailed"}, {"AWS/States", "ExecutionsTimedOut"}, {"AWS/States", "ExecutionThrottled"},
		{"AWS/ApiGateway", "5XXError"}, {"AWS/ApiGateway", "Latency"},
		{"AWS/SQS", "ApproximateNumberOfMessagesVisible"},
	} {
		assert.Contains(t, got, want)
	}
	for _, fn := range []string{"TrackingLambdaFunction", "BatchSimulationLambdaFunction", "StatusUpdateLambdaFunction", "AuthorizerLambdaFunction", "JobResultLambdaFunction"} {
		assert.True(t, dims[stack.RefMarker(fn)], "%s has Lambda alarms", fn)
	}
	// The notifier has no errors alarm: its errors are receivers that are down, which it
	// retries; what it gives up on fills the callback dead-letter queue, whose alarm pages.
	assert.Equal(t, 2*5+5+2, len(got), "errors and throttles of 5 functions, 3 state machine alarms, 2 API alarms, the two dead-letter queues")

	dash := resource(t, p, "Dashboard", "AWS::CloudWatch::Dashboard")
	body := evalString(t, p, dash.Properties["DashboardBody"])
	var parsed struct {
		Widgets []map[string]any `json:"widgets"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &parsed), "the dashboard body is JSON")
	assert.GreaterOrEqual(t, len(parsed.Widgets), 6)
	for _, m := range []string{"5XXError", "Latency", "ExecutionsFailed", "JobsStarted", "JobDuration", "RecordsGenerated", "Throttles"} {
		assert.Contains(t, body, `"`+m+`"`)
	}
}

// tableRoute is one REST route API Gateway answers from the jobs table (a raw method of
// resources/api.yml).
type tableRoute struct {
	methodID, apiResource, action string
	requestFile, responseFile     string
	params                        map[string]any
}

var tableRoutes = []tableRoute{
	{
		methodID: "ApiGatewayMethodJobsGet", apiResource: "ApiGatewayResourceJobs", action: "Query",
		requestFile: "mapping-templates/list-jobs-request.vtl", responseFile: "mapping-templates/list-jobs-response.vtl",
		params: map[string]any{"method.request.querystring.status": false, "method.request.querystring.limit": false,
			"method.request.querystring.cursor": false},
	},
	{
		methodID: "ApiGatewayMethodJobsJobidVarGet", apiResource: "ApiGatewayResourceJobsJobidVar", action: "GetItem",
		requestFile: "mapping-templates/get-job-request.vtl", responseFile: "mapping-templates/get-job-response.vtl",
		params: map[string]any{"method.request.path.jobId": true},
	},
}

const dynamoDBErrorResponseFile = "mapping-templates/dynamodb-error-response.vtl"

// TestStackTableRoutes: GET /jobs and GET /jobs/{jobId} are API Gateway -> DynamoDB
// integrations with the project's templates, the jobs table role, and the authorizer; the
// deployment includes them.
func TestStackTableRoutes(t *testing.T) {
	p := packageStack(t)
	for _, rt := range tableRoutes {
		t.Run(rt.methodID, func(t *testing.T) {
			m := resource(t, p, rt.methodID, "AWS::ApiGateway::Method")
			assert.Equal(t, "GET", m.Properties["HttpMethod"])
			assert.Equal(t, stack.RefMarker(rt.apiResource), evalString(t, p, m.Properties["ResourceId"]))
			assert.Equal(t, rt.params, m.Properties["RequestParameters"])
			integ := lookup(t, m.Properties, "Integration")
			assert.Equal(t, "AWS", lookup(t, integ, "Type"))
			assert.Equal(t, "POST", lookup(t, integ, "IntegrationHttpMethod"))
			assert.Equal(t, "arn:aws:apigateway:"+stackRegion+":dynamodb:action/"+rt.action, evalString(t, p, lookup(t, integ, "Uri")))
			assert.Equal(t, stack.GetAttMarker(jobsTableRole, "Arn"), evalString(t, p, lookup(t, integ, "Credentials")))
			assert.Equal(t, "NEVER", lookup(t, integ, "PassthroughBehavior"), "another content type is 415, never passed to DynamoDB")

			templates, ok := lookup(t, integ, "RequestTemplates").(map[string]any)
			require.True(t, ok, "RequestTemplates is an object")
			assert.Equal(t, []string{"application/json"}, keys(templates))
			want := readProjectFile(t, p.root, rt.requestFile)
			assert.Equal(t, 1, strings.Count(want, "${TableName}"), "%s writes the table name once", rt.requestFile)
			assert.Equal(t, 1, strings.Count(want, "${"), "%s holds no other Fn::Sub variable", rt.requestFile)
			want = strings.ReplaceAll(want, "${TableName}", stack.RefMarker("JobsTable"))
			assert.Equal(t, want, evalString(t, p, templates["application/json"]), "request template = %s", rt.requestFile)

			list, ok := lookup(t, integ, "IntegrationResponses").([]any)
			require.True(t, ok, "IntegrationResponses is a list")
			errorTemplate := readProjectFile(t, p.root, dynamoDBErrorResponseFile)
			var got [][3]string
			for i := range list {
				status, _ := lookup(t, list, i, "StatusCode").(float64)
				pattern, _ := lookup(t, list, i, "SelectionPattern").(string)
				got = append(got, [3]string{strconv.Itoa(int(status)), pattern, evalString(t, p, lookup(t, list, i, "ResponseTemplates", "application/json"))})
			}
			assert.ElementsMatch(t, [][3]string{
				{"200", "", readProjectFile(t, p.root, rt.responseFile)},
				{"400", `4\d{2}`, errorTemplate},
				{"502", `5\d{2}`, errorTemplate},
			}, got)

			// Every status an integration response selects or a template overrides to has a
			// method response.
			var declared []int
			mrs, _ := m.Properties["MethodResponses"].([]any)
			for i := range mrs {
				s, _ := lookup(t, mrs, i, "StatusCode").(float64)
				declared = append(declared, int(s))
			}
			for _, r := range got {
				code, err := strconv.Atoi(r[0])
				require.NoError(t, err)
				assert.Contains(t, declared, code)
				for _, sm := range overrideStatus.FindAllStringSubmatch(r[2], -1) {
					n, err := strconv.Atoi(sm[1])
					require.NoError(t, err)
					assert.Contains(t, declared, n, "%s overrides to %d", rt.methodID, n)
				}
			}
		})
	}

	// The Framework's deployment waits for its own methods only; the result method depends on
	// the raw ones, so the stage deployed first includes them.
	result := resource(t, p, "ApiGatewayMethodJobsJobidVarResultGet", "AWS::ApiGateway::Method")
	assert.Subset(t, result.DependsOn, []any{"ApiGatewayMethodJobsGet", "ApiGatewayMethodJobsJobidVarGet"})
	deployments := p.tmpl.OfType("AWS::ApiGateway::Deployment")
	require.Len(t, deployments, 1)
	assert.Contains(t, p.tmpl.Resources[deployments[0]].DependsOn, "ApiGatewayMethodJobsJobidVarResultGet")
}

// checkRuleOnlyQueuePolicy: queue's policy (<queue>Policy) lets EventBridge send to it from the
// rule ruleARN only, and refuses plain HTTP.
func checkRuleOnlyQueuePolicy(t *testing.T, p packaged, queue, ruleARN string) {
	t.Helper()
	policy := queue + "Policy"
	qp := resource(t, p, policy, "AWS::SQS::QueuePolicy")
	queues, _ := qp.Properties["Queues"].([]any)
	require.Len(t, queues, 1)
	assert.Equal(t, stack.RefMarker(queue), evalString(t, p, queues[0]))
	all, err := p.tmpl.PolicyStatements(stackEnv)
	require.NoError(t, err)
	var allows, denies int
	for _, s := range all {
		if s.Owner != policy {
			continue
		}
		assert.Equal(t, []string{stack.GetAttMarker(queue, "Arn")}, s.Resources)
		switch s.Effect {
		case "Allow":
			allows++
			assert.Equal(t, map[string]any{"Service": "events.amazonaws.com"}, s.Principal, "EventBridge only")
			assert.Equal(t, []string{"sqs:SendMessage"}, s.Actions)
			arnEquals, _ := s.Condition["ArnEquals"].(map[string]any)
			require.NotNil(t, arnEquals, "a condition on the source: %v", s.Condition)
			assert.Equal(t, ruleARN, evalString(t, p, arnEquals["aws:SourceArn"]), "only its rule")
		case "Deny":
			denies++
			assert.Equal(t, map[string]any{"Bool": map[string]any{"aws:SecureTransport": false}}, s.Condition)
		}
	}
	assert.Equal(t, 1, allows, "one Allow statement")
	assert.Equal(t, 1, denies, "plain HTTP is refused")
}
