// Package offline is the local runtime: it runs the whole stack that
// serverless.yml deploys on one machine, on loopback. It reads serverless.yml
// (routes, templates, state machines, functions, table and bucket), starts
// dynalite and gofakes3 for DynamoDB and S3, creates every state machine in
// the local Step Functions engine with its Lambda tasks bound in-process to
// the very handlers the cmd/* mains start, and serves the local API Gateway,
// the Step Functions JSON 1.0 API, and the local SQS and SNS (messaging.go).
// Nothing here is a second copy of the definition, the templates or the
// handlers.
//
// cmd/stepjobs-local is its command; the end-to-end tests start the same
// Server on port 0 with a temporary directory.
//
// Local names: the account is 000000000000, the table and the state machine
// keep serverless.yml's names (stepjobs-<stage>-jobs), a bucket without a
// BucketName is <service>-<stage>-<logical id, lower case>, functions are
// <service>-<stage>-<key>. The functions get serverless.yml's environment
// with these names, plus Config.FunctionEnv (ALLOW_SIMULATED_FAILURES=true
// by default).
//
// Not emulated: IAM (roles are named but not enforced, so describing another
// state machine's execution answers ExecutionDoesNotExist where AWS answers
// AccessDeniedException); request signatures (any credentials work);
// Lambda's own limits (function timeout and memory, concurrency, cold starts,
// Lambda.* service errors; the Task TimeoutSeconds of the definition do
// apply); Step Functions and API Gateway throttling; S3 encryption, bucket
// policy, public access block and lifecycle expiry, and DynamoDB's PITR and
// encryption settings (accepted, not applied). With DataDir, executions
// and their histories survive a restart too (stepfunctions.bolt), and
// running ones resume (see sfn.Open); without it they live in memory, and
// Close waits (within its context) for running executions so that no job is
// left RUNNING in the table. Faults (internal/faults) injects task and store
// failures for tests and demos; the EventBridge rules (internal/eventbridge), with
// Lambda's retries and a dead-letter queue that redrives, record the end of
// every execution the state machine itself could not record.
package offline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/asyncjobs/stepjobs/internal/apigw"
	"github.com/asyncjobs/stepjobs/internal/console"
	"github.com/asyncjobs/stepjobs/internal/cpushare"
	"github.com/asyncjobs/stepjobs/internal/dynalite"
	"github.com/asyncjobs/stepjobs/internal/eventbridge"
	"github.com/asyncjobs/stepjobs/internal/eventsource"
	"github.com/asyncjobs/stepjobs/internal/faults"
	"github.com/asyncjobs/stepjobs/internal/secretstore"
	"github.com/asyncjobs/stepjobs/internal/sfn"
	"github.com/asyncjobs/stepjobs/internal/sfn/mockconfig"
	"github.com/asyncjobs/stepjobs/internal/sfnapi"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
	"github.com/asyncjobs/stepjobs/internal/sns"
	"github.com/asyncjobs/stepjobs/internal/sqs"
)

// ConsolePath is where the API port serves the web console.
const ConsolePath = "/console/"

// ReadyPath is the readiness endpoint on the API port: 200 once every part
// is up, 503 before (and while shutting down).
const ReadyPath = "/__ready"

// Config configures the local runtime. The zero value of every field but
// Dir has a usable default (see DefaultConfig for the command's defaults).
type Config struct {
	// Dir is the project directory holding serverless.yml and node_modules.
	// Empty: the nearest directory at or above the working directory with a
	// go.mod.
	Dir string
	// Stage and Region are sls's --stage and --region (empty: what
	// serverless.yml says, else dev and us-east-1).
	Stage, Region string

	// Host is the loopback address every server binds (default 127.0.0.1).
	Host string
	// APIPort, SFNPort and S3Port are the ports of the local API Gateway,
	// the Step Functions API and the embedded S3; 0 picks a free port.
	APIPort, SFNPort, S3Port int
	// DynamoDBPort is dynalite's port; 0 picks a free port.
	DynamoDBPort int
	// SQSPort and SNSPort are the ports of the local SQS and SNS; 0 picks
	// a free port.
	SQSPort, SNSPort int

	// DataDir keeps DynamoDB (dynalite's LevelDB) and S3 (a bbolt file)
	// data across restarts. Empty: everything lives in memory.
	DataDir string
	// DynamoDBEndpoint and S3Endpoint point the functions at another
	// DynamoDB or S3 (a region, LocalStack, another dynalite); the embedded
	// one is then not started. The table and bucket are created there when
	// missing.
	DynamoDBEndpoint, S3Endpoint string

	// FunctionEnv is added to every function's environment, over what
	// serverless.yml declares (e.g. ALLOW_SIMULATED_FAILURES=true).
	FunctionEnv map[string]string
	// Functions maps cmd/ directories to handlers; nil means Functions.
	Functions map[string]FunctionFactory

	// Clock is the Step Functions engine's clock (waits, retry backoffs,
	// timeouts); nil means the wall clock. Tests pass an sfn.FakeClock to
	// hold an execution in a retry until they move time on.
	Clock sfn.Clock

	// Now is the clock of record expiry (the sweeper, and the API's
	// $context.requestTimeEpoch); nil means the wall clock. Tests move it
	// past a record's expiresAt instead of waiting for days.
	Now func() time.Time
	// SweepInterval is how often expired job records are deleted (dynalite
	// has no TTL); 0 means DefaultSweepInterval, a negative value never.
	SweepInterval time.Duration

	// Logger receives the runtime's JSON logs; nil discards them.
	Logger *slog.Logger
	// DynaliteLog receives dynalite's own output; nil discards it.
	DynaliteLog io.Writer
	// RetainClosed bounds how many closed executions the engine keeps
	// readable (oldest forgotten first); 0 keeps them all.
	RetainClosed int
	// StartTimeout bounds the start-up (dynalite, table creation); default 60s.
	StartTimeout time.Duration

	// LambdaMode is LambdaInProcess (empty: the default) or LambdaProcess
	// (the real bootstraps under the Lambda Runtime API; see process.go).
	LambdaMode string
	// LambdaProcesses bounds the processes per function in process mode;
	// default 8.
	LambdaProcesses int
	// TaskConcurrency bounds the state machines' in-process Lambda tasks
	// running at once, across functions (sfn.Config.TaskConcurrency, set
	// in taskslots.go); a task beyond it waits in the engine's queue for a
	// slot. 0: 32 per CPU. The API's own calls (the authorizer) are not
	// bounded.
	TaskConcurrency int
	// TaskCPUs bounds the in-process functions run in the background
	// (tasks, event rules, queues) using the CPU at once (cpushare, set in
	// taskslots.go), so that the API's requests do not wait behind a
	// backlog of jobs. 0: half the CPUs, at least 1; negative: no bound.
	TaskCPUs int

	// AuthDisabled lets every request through as the caller "anonymous"
	// (the authorizer's AUTH_DISABLED=true, for a private dev stage);
	// otherwise a dev token is required (auth.go).
	AuthDisabled bool

	// Faults injects task and store failures (internal/faults); zero: none.
	Faults faults.Faults

	// MockConfig is a Step Functions Local mock configuration file
	// (SFN_MOCK_CONFIG): StartExecution with stateMachineArn#TestCase runs
	// that test case's mocked responses. Empty: none. A mistake in it stops
	// the start, naming the file, the key and the line.
	MockConfig string

	// Profile, when set, is the address (keep it loopback) of Go's
	// profiles (net/http/pprof: CPU, heap, goroutines, block, mutex, and
	// the execution trace), for finding where the runtime's time goes
	// under load; block and mutex profiling are switched on with it.
	Profile string
}

// The local runtime's callback backoff (docs/callbacks.md): the notifier's
// CALLBACK_RETRY_FIRST and CALLBACK_RETRY_MAX unless Config.FunctionEnv
// sets them. With the callbacks queue's 20 receives, a receiver that stays
// down is dead-lettered after about 7½ minutes rather than AWS's 7 hours.
const (
	LocalCallbackRetryFirst = time.Second
	LocalCallbackRetryMax   = 30 * time.Second
)

// DefaultConfig is the configuration of `make run`: the API on 8080, Step
// Functions on 8083 (the port of AWS's Step Functions Local), S3 on 8084,
// DynamoDB on 8000 (DynamoDB Local's), SQS on 9324 (ElasticMQ's), SNS on
// 9911, and simulated failures allowed so the failure paths can be tried.
func DefaultConfig() Config {
	return Config{
		Host: "127.0.0.1", APIPort: 8080, SFNPort: 8083, S3Port: 8084, DynamoDBPort: 8000, SQSPort: 9324, SNSPort: 9911,
		FunctionEnv: map[string]string{"ALLOW_SIMULATED_FAILURES": "true"},
	}
}

// URLs are the addresses the runtime serves.
type URLs struct {
	// API is the local API Gateway, at the root (…/start-execution); the
	// same routes are also served under /<stage>/ as in an execute-api URL.
	API string
	// StageAPI is API + "/" + stage.
	StageAPI string
	// Ready is the readiness endpoint.
	Ready string
	// Console is the local web console: state machines, executions, their
	// graphs and histories.
	Console string
	// StepFunctions is the Step Functions JSON 1.0 API (--endpoint-url).
	StepFunctions string
	// S3 and DynamoDB are the stores' endpoints (embedded or external).
	S3, DynamoDB string
	// SQS and SNS are the local SQS (AWS JSON 1.0) and SNS (query
	// protocol) endpoints (--endpoint-url).
	SQS, SNS string
	// SecretsManager is the local Secrets Manager's endpoint
	// (GetSecretValue only).
	SecretsManager string
	// Objects is the URL pattern of a job's result object.
	Objects string
	// Profile is Go's profiles (/debug/pprof/), when Config.Profile is set.
	Profile string
}

// Resources are the local names of the stack's resources.
type Resources struct {
	Stage, Region, AccountID string
	// Tables and Buckets map logical ids to local names.
	Tables, Buckets map[string]string
	// StateMachines maps state machine keys to ARNs.
	StateMachines map[string]string
	// Functions maps function keys to local function names.
	Functions map[string]string
}

// Server is a running local runtime.
type Server struct {
	cfg   Config
	log   *slog.Logger
	svc   *slsconfig.Service
	urls  URLs
	res   Resources
	ready chan struct{}
	isUp  atomic.Bool

	engine   *sfn.Engine
	mocks    *mockconfig.Config // Config.MockConfig, read
	dynamo   *dynamodb.Client
	s3       *s3.Client
	dynalite *dynalite.Server
	fakeS3   *fakeS3
	servers  []*http.Server // the API and Step Functions servers
	s3Server *http.Server   // stopped after the executions, which write to it
	api      switchHandler  // the API port's handler: notReady, then the gateway
	lookup   slsconfig.Lookup
	failed   chan error        // a server or dynalite stopped on its own
	procs    *processFunctions // LambdaProcess mode's pools
	unsub    func()
	// life ends with Close: what the functions keep running in the
	// background (the authorizer's key set refresh) stops with it.
	life     context.Context
	endLife  context.CancelFunc
	invokers *functionInvokers // for authorizers, proxy routes, event rules (auth.go)
	taskCPU  *cpushare.Limit   // the functions' CPU shares as background work (taskslots.go)

	closeOnce sync.Once
	closeErr  error
	// eventRules emulates serverless.yml's EventBridge rules, subscribed to
	// the engine until unsubscribeRules (durable.go).
	eventRules       *eventbridge.Rules
	unsubscribeRules func()
	// sqs and sns are the local SQS and SNS (messaging.go).
	sqs *sqs.Service
	sns *sns.Service
	// secrets is the local Secrets Manager (secrets.go); secretsClient the
	// functions' client of it.
	secrets       *secretstore.Store
	secretsClient *secretsmanager.Client
	// pollers run the functions' sqs event source mappings
	// (eventsources.go); nil without any.
	pollers *eventsource.Pollers
}

// Start starts every part and returns once all are up (Ready is then
// closed). On error, whatever was started is stopped again. ctx bounds the
// start-up only.
func Start(ctx context.Context, cfg Config) (_ *Server, err error) {
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	if cfg.Functions == nil {
		cfg.Functions = Functions
	}
	if err := checkLambdaMode(cfg.LambdaMode); err != nil {
		return nil, err
	}
	// Read before anything starts, so that a mistake shows at once.
	var mocks *mockconfig.Config
	if cfg.MockConfig != "" {
		var err error
		if mocks, err = mockconfig.Load(cfg.MockConfig); err != nil {
			return nil, fmt.Errorf("offline: %w", err)
		}
	}
	if cfg.Dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("offline: %w", err)
		}
		if cfg.Dir, err = dynalite.FindRoot(wd); err != nil {
			return nil, fmt.Errorf("offline: project directory: %w", err)
		}
	}
	// Absolute, because dynalite runs in that directory.
	abs, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("offline: project directory: %w", err)
	}
	cfg.Dir = abs
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: log, mocks: mocks, ready: make(chan struct{}), failed: make(chan error, 4)}
	s.life, s.endLife = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			_ = s.Close(context.Background())
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, cfg.StartTimeout)
	defer cancel()

	s.svc, err = slsconfig.Load(slsconfig.Options{Dir: cfg.Dir, Stage: cfg.Stage, Region: cfg.Region})
	if err != nil {
		return nil, fmt.Errorf("offline: load serverless.yml: %w", err)
	}

	if err := s.checkFaults(); err != nil {
		return nil, err
	}
	// A function without a local handler fails before anything starts.
	for _, fn := range s.svc.Functions {
		if _, err := functionFactory(fn, cfg.Functions); err != nil {
			return nil, fmt.Errorf("offline: %w", err)
		}
	}

	// Bind every port first: a port in use fails before anything starts,
	// and the URLs are known (port 0) before the functions are configured.
	ln, err := s.listen(cfg.APIPort, "API")
	if err != nil {
		return nil, err
	}
	apiLn := &refusalListener{Listener: ln}
	s.api.set(http.HandlerFunc(s.notReady))
	s.servers = append(s.servers, s.serve(apiLn, "api", &s.api))
	if err := s.startAuth(apiLn.Addr().String()); err != nil {
		return nil, err
	}
	sfnLn, err := s.listen(cfg.SFNPort, "Step Functions")
	if err != nil {
		return nil, err
	}
	if err := s.startProfile(); err != nil {
		return nil, err
	}
	if err := s.startMessaging(); err != nil {
		return nil, err
	}
	var s3Ln net.Listener
	if cfg.S3Endpoint == "" {
		if s3Ln, err = s.listen(cfg.S3Port, "S3"); err != nil {
			return nil, err
		}
	}

	if err := s.startStores(ctx, s3Ln); err != nil {
		return nil, err
	}
	s.applyStoreFaults()
	if err := s.startEngine(ctx); err != nil {
		return nil, err
	}
	api := "http://" + apiLn.Addr().String()
	s.urls.API = api
	s.urls.StageAPI = api + "/" + s.svc.Stage
	s.urls.Ready = api + ReadyPath
	s.urls.Console = api + ConsolePath
	s.urls.StepFunctions = "http://" + sfnLn.Addr().String()

	gw, root, err := s.gateways()
	if err != nil {
		return nil, err
	}
	apiLn.setRender(root.Refusal)
	s.servers = append(s.servers, s.serve(sfnLn, "stepfunctions", logRequests(log, "stepfunctions", slog.LevelInfo, sfnapi.Handler(s.engine))))
	// From here on the API port answers the API.
	s.api.set(gw)
	if interval := cmp.Or(cfg.SweepInterval, DefaultSweepInterval); interval > 0 {
		go s.sweep(interval)
	}
	s.isUp.Store(true)
	close(s.ready)
	log.Info("ready", "api", s.urls.API, "stepFunctions", s.urls.StepFunctions, "s3", s.urls.S3, "dynamodb", s.urls.DynamoDB,
		"sqs", s.urls.SQS, "sns", s.urls.SNS)
	return s, nil
}

func (s *Server) listen(port int, what string) (net.Listener, error) {
	addr := net.JoinHostPort(s.cfg.Host, fmt.Sprint(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("offline: %s port: %w", what, err)
	}
	return ln, nil
}

// serve serves h on ln until Close.
func (s *Server) serve(ln net.Listener, name string, h http.Handler) *http.Server {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("server stopped", "server", name, "err", err)
			s.failed <- fmt.Errorf("%s server: %w", name, err)
		}
	}()
	return srv
}

// notReady answers the API port while the runtime is starting.
func (s *Server) notReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = io.WriteString(w, `{"status":"starting"}`)
}

func (s *Server) startStores(ctx context.Context, s3Ln net.Listener) error {
	cfg := s.cfg
	region := s.svc.Region
	s.res = Resources{Stage: s.svc.Stage, Region: region, AccountID: s.svc.AccountID,
		Tables: map[string]string{}, Buckets: map[string]string{}, StateMachines: map[string]string{}, Functions: map[string]string{}}
	var buckets []string
	for _, b := range s.svc.Buckets {
		name := bucketName(s.svc, b)
		s.res.Buckets[b.LogicalID] = name
		buckets = append(buckets, name)
	}

	// DynamoDB: dynalite (memory, or LevelDB under DataDir), or an endpoint.
	if cfg.DynamoDBEndpoint != "" {
		s.urls.DynamoDB = cfg.DynamoDBEndpoint
	} else {
		opts := dynalite.Options{Root: cfg.Dir, Port: cfg.DynamoDBPort, Log: cfg.DynaliteLog}
		if cfg.DataDir != "" {
			opts.Path = filepath.Join(cfg.DataDir, "dynamodb")
		}
		d, err := dynalite.Start(ctx, opts)
		if err != nil {
			return fmt.Errorf("offline: start DynamoDB: %w", err)
		}
		s.dynalite = d
		s.urls.DynamoDB = d.Endpoint()
		go func() {
			<-d.Exited()
			if s.isUp.Load() {
				s.failed <- errors.New("dynalite exited")
			}
		}()
	}
	s.dynamo = newDynamoDBClient(s.urls.DynamoDB, region, s.dynalite != nil)
	for _, t := range s.svc.Tables {
		if err := createTable(ctx, s.dynamo, t); err != nil {
			return fmt.Errorf("offline: %w", err)
		}
		s.res.Tables[t.LogicalID] = t.TableName
	}

	// S3: gofakes3 in-process (memory, or bbolt under DataDir), or an endpoint.
	if cfg.S3Endpoint != "" {
		s.urls.S3 = cfg.S3Endpoint
		s.s3 = newS3Client(s.urls.S3, region, false)
		for _, b := range buckets {
			if err := ensureBucket(ctx, s.s3, b); err != nil {
				return fmt.Errorf("offline: %w", err)
			}
		}
	} else {
		dir := ""
		if cfg.DataDir != "" {
			dir = filepath.Join(cfg.DataDir, "s3")
		}
		f, err := newFakeS3(dir, buckets)
		if err != nil {
			return fmt.Errorf("offline: start S3: %w", err)
		}
		s.fakeS3 = f
		s.urls.S3 = "http://" + s3Ln.Addr().String()
		s.s3Server = s.serve(s3Ln, "s3", logRequests(s.log, "s3", slog.LevelDebug, f.server.Server()))
		s.s3 = newS3Client(s.urls.S3, region, true)
	}
	if len(buckets) > 0 {
		s.urls.Objects = s.urls.S3 + "/" + buckets[0] + "/results/<jobId>.json"
	}
	return nil
}

func (s *Server) startEngine(ctx context.Context) error {
	const partition = "aws"
	names := newStackNames(s.svc, partition, s.res.Buckets)
	names.withSQS(s.svc, s.urls.SQS)
	lookup := s.svc.PseudoLookup(names)
	if err := s.createStackMessaging(ctx, lookup); err != nil {
		return err
	}
	if err := s.startSecrets(names); err != nil {
		return err
	}
	registry := sfn.NewRegistry()
	if s.cfg.LambdaMode != LambdaProcess {
		s.taskCPU = taskCPU(s.cfg.TaskCPUs)
	}
	sqsClient := s.newSQSClient()
	for _, fn := range s.svc.Functions {
		factory, err := functionFactory(fn, s.cfg.Functions)
		if err != nil {
			return fmt.Errorf("offline: %w", err)
		}
		env, err := s.svc.FunctionEnv(fn.Key, lookup)
		if err != nil {
			return fmt.Errorf("offline: function %s: environment: %w", fn.Key, err)
		}
		// Callback receivers are processes on this machine (docs/callbacks.md);
		// every other private range stays refused. A callback's backoff is
		// seconds here, not AWS's 30 s to 30 min (FunctionEnv overrides).
		env["CALLBACK_ALLOW_LOOPBACK"] = "true"
		env["CALLBACK_RETRY_FIRST"] = LocalCallbackRetryFirst.String()
		env["CALLBACK_RETRY_MAX"] = LocalCallbackRetryMax.String()
		for k, v := range s.cfg.FunctionEnv {
			env[k] = v
		}
		s.authEnv(fn.Key, env)
		var inv sfn.Invoker
		if s.cfg.LambdaMode == LambdaProcess {
			inv, err = s.processInvoker(ctx, fn, env)
		} else {
			inv, err = factory(FunctionDeps{Ctx: s.life, Env: env, DynamoDB: s.dynamo, S3: s.s3, SecretsManager: s.secretsClient,
				SQS: sqsClient, Logger: s.log.With("function", fn.Key)})
		}
		if err != nil {
			return fmt.Errorf("offline: function %s: %w", fn.Key, err)
		}
		s.keep(fn.Key, inv)
		registry.RegisterFunction(fn.Name, s.function(fn.Key, s.background(inv)))
		s.res.Functions[fn.Key] = fn.Name
	}
	late, err := s.startIntegrations(registry, lookup, partition)
	if err != nil {
		return err
	}
	if err := s.connectQueues(lookup); err != nil {
		return err
	}
	s.engine, err = s.newEngine(sfn.Config{Region: s.svc.Region, AccountID: s.svc.AccountID, Partition: partition,
		Invokers: registry, Logger: s.log, Clock: s.cfg.Clock, RetainClosed: s.cfg.RetainClosed, Mocks: s.mocks,
		TaskConcurrency: taskConcurrency(s.cfg.LambdaMode, s.cfg.TaskConcurrency)})
	if err != nil {
		return err
	}
	late.Set(s.engine)
	s.unsub = s.engine.Subscribe(s.logStatus)
	// Before the machines run: a definition may name them, and an
	// execution the data file kept may be waiting on one.
	for _, a := range s.svc.Activities {
		info, err := s.engine.CreateActivity(ctx, a.Name)
		if err != nil {
			return fmt.Errorf("offline: activity %s: %w", a.Name, err)
		}
		if want := names.activityARN(a.Name); info.ARN != want {
			return fmt.Errorf("offline: activity %s: engine ARN %s, templates expect %s", a.Name, info.ARN, want)
		}
	}
	for _, sm := range s.svc.StateMachines {
		def, err := s.svc.Definition(sm.Key, lookup)
		if err != nil {
			return fmt.Errorf("offline: state machine %s: %w", sm.Key, err)
		}
		typ := "STANDARD"
		if raw, ok := s.stateMachineConfig(sm.Key)["type"].(string); ok && raw != "" {
			typ = strings.ToUpper(raw)
		}
		role, _ := names.GetAtt(sm.LogicalID+"Role", "Arn")
		if role == "" {
			role = fmt.Sprintf("arn:%s:iam::%s:role/%s-role", partition, s.svc.AccountID, stateMachineName(sm))
		}
		info, err := s.createStateMachine(ctx, sfn.CreateStateMachineInput{
			Name: stateMachineName(sm), Definition: string(def), RoleARN: role, Type: typ}, names.stateMachineARN(stateMachineName(sm)))
		if err != nil {
			return fmt.Errorf("offline: state machine %s: %w", sm.Key, err)
		}
		if want := names.stateMachineARN(stateMachineName(sm)); info.ARN != want {
			return fmt.Errorf("offline: state machine %s: engine ARN %s, templates expect %s", sm.Key, info.ARN, want)
		}
		s.res.StateMachines[sm.Key] = info.ARN
	}
	s.lookup = lookup
	return s.resume(ctx)
}

// stateMachineConfig is the raw settings of a state machine in serverless.yml.
func (s *Server) stateMachineConfig(key string) map[string]any {
	sf, _ := s.svc.Config["stepFunctions"].(map[string]any)
	sms, _ := sf["stateMachines"].(map[string]any)
	m, _ := sms[key].(map[string]any)
	return m
}

func (s *Server) logStatus(c sfn.StatusChange) {
	attrs := []any{"executionArn", c.ExecutionARN, "name", c.Name, "status", c.Status}
	if c.Error != nil {
		attrs = append(attrs, "error", *c.Error)
	}
	if c.Cause != nil {
		attrs = append(attrs, "cause", *c.Cause)
	}
	s.log.Info("execution", attrs...)
}

// gateways builds the local API Gateway from serverless.yml's http events,
// served at the root and under /<stage>, with the Step Functions API
// called in-process as the integration. It also returns the gateway at the
// root, whose Refusal answers what the HTTP server refuses.
func (s *Server) gateways() (http.Handler, *apigw.Gateway, error) {
	svcRoutes, err := s.svc.Routes(s.lookup)
	if err != nil {
		return nil, nil, fmt.Errorf("offline: routes: %w", err)
	}
	svcGwResp, err := s.svc.GatewayResponses(s.lookup)
	if err != nil {
		return nil, nil, fmt.Errorf("offline: gateway responses: %w", err)
	}
	routes, gwResp := GatewayRoutes(svcRoutes, svcGwResp)
	// API Gateway posts the rendered request to the Step Functions API, here
	// in-process (X-Amz-Target AWSStepFunctions.<Action>).
	integ := apigw.HandlerIntegration{Handler: sfnapi.Handler(s.engine)}
	// DynamoDB routes (GET /jobs, GET /jobs/{jobId}) post to the runtime's
	// DynamoDB as API Gateway posts to the regional endpoint.
	ddb := apigw.EndpointIntegration{URL: s.urls.DynamoDB, TargetPrefix: apigw.DynamoDBTargetPrefix,
		Client: &http.Client{Transport: storeTransport()}}
	cfg := apigw.Config{Stage: s.svc.Stage, Routes: routes, GatewayResponses: gwResp, Integration: integ,
		DynamoDB: ddb, AccountID: s.svc.AccountID, Logger: s.log.With("server", "api"), Now: s.now}
	mux := http.NewServeMux()
	if err := s.connectGateway(&cfg, mux); err != nil {
		return nil, nil, err
	}
	staged, err := apigw.New(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("offline: API Gateway: %w", err)
	}
	cfg.PathPrefix = "/"
	root, err := apigw.New(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("offline: API Gateway: %w", err)
	}
	stagePrefix := "/" + s.svc.Stage + "/"
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// "//dev/x" is the stage too: API Gateway drops the slashes before
		// the stage (see apigw's splitRequestPath).
		if strings.HasPrefix("/"+strings.TrimLeft(r.URL.Path, "/"), stagePrefix) {
			staged.ServeHTTP(w, r)
			return
		}
		root.ServeHTTP(w, r)
	})
	mux.HandleFunc(ReadyPath, s.serveReady)
	mux.Handle(ConsolePath, s.console())
	mux.Handle("/", api)
	return uncleanToAPI(mux, api), root, nil
}

// console reads executions through the Step Functions API, as it would on
// AWS, and links each job to its DynamoDB record and result object.
func (s *Server) console() http.Handler {
	cfg := console.Config{
		StepFunctions: awssfn.New(awssfn.Options{Region: s.res.Region, BaseEndpoint: aws.String(s.urls.StepFunctions), Credentials: credentialsFor()}, sfnapi.NoHostPrefix),
		ResultURL:     func(bucket, key string) string { return s.urls.S3 + "/" + bucket + "/" + key },
		Logger:        s.log.With("server", "console"),
	}
	// The job record is the execution's only when the stack has one table.
	if len(s.res.Tables) == 1 {
		for _, name := range s.res.Tables {
			cfg.Jobs, cfg.JobsTable = s.dynamo, name
		}
	}
	return console.New(cfg)
}

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if !s.isUp.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"status":"stopping"}`)
		return
	}
	_, _ = io.WriteString(w, `{"status":"ready"}`)
}

// drainExecutions lets running executions finish within ctx, so that no
// job is cut off between its tasks (a job takes milliseconds; a transient
// retry waits about a second). What is still running at the deadline stays
// RUNNING in the job table.
func (s *Server) drainExecutions(ctx context.Context) {
	if s.engine == nil {
		return
	}
	var running []string
	for _, arn := range s.res.StateMachines {
		execs, err := s.engine.ListExecutions(ctx, arn, sfn.StatusRunning)
		if err != nil {
			continue
		}
		for _, ex := range execs {
			running = append(running, ex.ExecutionARN)
		}
	}
	if len(running) == 0 {
		return
	}
	s.log.Info("waiting for running executions", "count", len(running))
	for _, arn := range running {
		if _, err := s.engine.Wait(ctx, arn); err != nil {
			s.log.Warn("executions still running at shutdown", "err", err)
			return
		}
	}
}

// URLs returns the addresses the runtime serves.
func (s *Server) URLs() URLs { return s.urls }

// Resources returns the local names of the stack's resources.
func (s *Server) Resources() Resources { return s.res }

// Ready is closed once every part is up.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Failed delivers an error when a part stops on its own (a server fails,
// dynalite exits); the command then shuts down.
func (s *Server) Failed() <-chan error { return s.failed }

// Engine returns the Step Functions engine (tests wait on executions).
func (s *Server) Engine() *sfn.Engine { return s.engine }

// Close stops accepting requests, drains the servers and lets running
// executions finish within ctx, and the sqs event sources handle what is
// visible in their queues, then stops dynalite and closes the S3 store. It is safe to call more than once.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.isUp.Store(false)
		var errs []error
		if s.pollers != nil {
			s.pollers.Drain() // short polls from now: the queue stops answering long ones
		}
		if s.sqs != nil {
			s.sqs.Stop() // its long polls would hold the shutdown up to 20 s
		}
		for _, srv := range s.servers {
			if err := srv.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("shut down server: %w", err))
				_ = srv.Close()
			}
		}
		s.drainExecutions(ctx)
		s.endLife()
		if err := s.closeEngine(ctx); err != nil {
			errs = append(errs, err)
		}
		if s.pollers != nil {
			// After the rules' last deliveries: the callbacks they queued are
			// handled within ctx (those waiting for a backoff are not).
			s.pollers.Stop(ctx)
		}
		if err := s.closeProcesses(); err != nil {
			errs = append(errs, err)
		}
		if s.unsub != nil {
			s.unsub()
		}
		if s.s3Server != nil {
			if err := s.s3Server.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("shut down s3 server: %w", err))
				_ = s.s3Server.Close()
			}
		}
		if s.dynalite != nil {
			if err := s.dynalite.Stop(); err != nil {
				errs = append(errs, fmt.Errorf("stop dynalite: %w", err))
			}
		}
		if s.fakeS3 != nil {
			if err := s.fakeS3.close(); err != nil {
				errs = append(errs, fmt.Errorf("close s3 store: %w", err))
			}
		}
		s.closeErr = errors.Join(errs...)
		s.log.Info("stopped")
	})
	return s.closeErr
}
