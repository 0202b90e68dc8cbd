// Command stepjobs-local runs the whole stepjobs API on this machine (`make
// run`): the API Gateway routes of serverless.yml with their mapping
// templates, the state machine in the local Step Functions engine with the
// Lambda handlers called in-process, DynamoDB (dynalite) and S3 (gofakes3),
// all on loopback. See internal/offline.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/asyncjobs/stepjobs/internal/faults"
	"github.com/asyncjobs/stepjobs/internal/offline"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "stepjobs-local:", err)
		os.Exit(1)
	}
}

// options are the command line, after the environment gave the defaults.
type options struct {
	cfg       offline.Config
	logLevel  slog.Level
	logFormat string
}

// parseFlags reads the flags; each has an environment variable
// (STEPJOBS_<NAME>) giving its default.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	o := options{cfg: offline.DefaultConfig()}
	fs := flag.NewFlagSet("stepjobs-local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv("STEPJOBS_" + name); v != "" {
			return v
		}
		return def
	}
	envInt := func(name string, def int) int {
		if v, err := strconv.Atoi(getenv("STEPJOBS_" + name)); err == nil {
			return v
		}
		return def
	}
	envDuration := func(name string, def time.Duration) time.Duration {
		if v, err := time.ParseDuration(getenv("STEPJOBS_" + name)); err == nil {
			return v
		}
		return def
	}
	c := &o.cfg
	fs.IntVar(&c.APIPort, "port", envInt("PORT", c.APIPort), "API port (env STEPJOBS_PORT)")
	fs.IntVar(&c.SFNPort, "sfn-port", envInt("SFN_PORT", c.SFNPort), "Step Functions API port (env STEPJOBS_SFN_PORT)")
	fs.IntVar(&c.S3Port, "s3-port", envInt("S3_PORT", c.S3Port), "embedded S3 port (env STEPJOBS_S3_PORT)")
	fs.IntVar(&c.DynamoDBPort, "dynamodb-port", envInt("DYNAMODB_PORT", c.DynamoDBPort), "dynalite port (env STEPJOBS_DYNAMODB_PORT)")
	fs.IntVar(&c.SQSPort, "sqs-port", envInt("SQS_PORT", c.SQSPort), "local SQS port, AWS JSON 1.0 protocol (env STEPJOBS_SQS_PORT)")
	fs.IntVar(&c.SNSPort, "sns-port", envInt("SNS_PORT", c.SNSPort), "local SNS port, query protocol (env STEPJOBS_SNS_PORT)")
	fs.StringVar(&c.Host, "host", env("HOST", c.Host), "address to bind; keep it loopback (env STEPJOBS_HOST)")
	fs.StringVar(&c.DataDir, "data", env("DATA", ""), "directory keeping DynamoDB and S3 data across restarts; empty: in memory (env STEPJOBS_DATA)")
	fs.StringVar(&c.Stage, "stage", env("STAGE", ""), "serverless stage (default: serverless.yml's, else dev) (env STEPJOBS_STAGE)")
	fs.StringVar(&c.Region, "region", env("REGION", ""), "region (default: serverless.yml's, else us-east-1) (env STEPJOBS_REGION)")
	fs.StringVar(&c.Dir, "dir", env("DIR", ""), "project directory with serverless.yml (default: the enclosing Go module) (env STEPJOBS_DIR)")
	fs.StringVar(&c.DynamoDBEndpoint, "dynamodb-endpoint", env("DYNAMODB_ENDPOINT", ""), "use this DynamoDB instead of starting dynalite (env STEPJOBS_DYNAMODB_ENDPOINT)")
	fs.StringVar(&c.S3Endpoint, "s3-endpoint", env("S3_ENDPOINT", ""), "use this S3 instead of the embedded one (env STEPJOBS_S3_ENDPOINT)")
	fs.IntVar(&c.RetainClosed, "keep-executions", envInt("KEEP_EXECUTIONS", 0), "closed executions kept readable, oldest forgotten first; 0: all (env STEPJOBS_KEEP_EXECUTIONS)")
	fs.StringVar(&c.LambdaMode, "lambda-mode", env("LAMBDA_MODE", offline.LambdaInProcess), "in-process, or process: each function's real bootstrap under the Lambda Runtime API (env STEPJOBS_LAMBDA_MODE)")
	fs.IntVar(&c.TaskConcurrency, "task-concurrency", envInt("TASK_CONCURRENCY", 0), "in-process Lambda tasks of the state machines running at once, across functions; more wait for a slot; 0: 32 per CPU (env STEPJOBS_TASK_CONCURRENCY)")
	fs.IntVar(&c.TaskCPUs, "task-cpus", envInt("TASK_CPUS", 0), "in-process functions run in the background (tasks, event rules, queues) using the CPU at once (one waiting on a store does not count), so the API's requests come first; 0: half the CPUs, -1: no bound (env STEPJOBS_TASK_CPUS)")
	taskFaults := fs.String("fault", env("FAULT", ""), "inject task faults into functions or service integrations (error=RATE[:NAME], latency=DURATION, timeout=RATE, lost=RATE: the handler runs, its answer is lost), e.g. 'batchSimulation:error=0.2:Lambda.ServiceException,latency=50ms;statusUpdate:lost=0.05;dynamodb.putItem:error=0.1:DynamoDB.InternalServerError' (env STEPJOBS_FAULT)")
	storeFaults := fs.String("fault-store", env("FAULT_STORE", ""), "inject store faults, e.g. 's3:error=0.1;dynamodb:error=0.05:reset' (env STEPJOBS_FAULT_STORE)")
	faultSeed := fs.Uint64("fault-seed", uint64(envInt("FAULT_SEED", 1)), "seed of the fault decisions (env STEPJOBS_FAULT_SEED)")
	authOn := fs.Bool("auth", env("AUTH", "true") == "true", "require a bearer token (a dev token, see "+offline.DevTokenPath+"); false lets every request through as anonymous, like STEPJOBS_AUTH_DISABLED=true on a private dev stage (env STEPJOBS_AUTH)")
	allow := fs.Bool("simulated-failures", env("SIMULATED_FAILURES", "true") == "true", "honour simulateFailure in job input (env STEPJOBS_SIMULATED_FAILURES)")
	fs.StringVar(&c.MockConfig, "mock-config", getenv("SFN_MOCK_CONFIG"), "Step Functions Local mock configuration file: StartExecution with stateMachineArn#TestCase runs that test case's mocked responses (env SFN_MOCK_CONFIG, Step Functions Local's name)")
	fs.StringVar(&c.Profile, "pprof", env("PPROF", ""), "serve Go's profiles (net/http/pprof, block and mutex profiling on) at this loopback address, e.g. 127.0.0.1:6060; empty: off (env STEPJOBS_PPROF)")
	fs.DurationVar(&c.SweepInterval, "sweep-interval", envDuration("SWEEP_INTERVAL", offline.DefaultSweepInterval), "how often expired job records are deleted (DynamoDB's TTL, which dynalite lacks); negative: never (env STEPJOBS_SWEEP_INTERVAL)")
	callbackRetry := fs.Duration("callback-retry", envDuration("CALLBACK_RETRY", offline.LocalCallbackRetryMax), "the longest pause between a callback's attempts, from 1s doubling (AWS: 30s doubling to 30m); after 20 attempts the callback goes to the dead-letter queue (env STEPJOBS_CALLBACK_RETRY)")
	level := fs.String("log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error (env STEPJOBS_LOG_LEVEL)")
	fs.StringVar(&o.logFormat, "log-format", env("LOG_FORMAT", "json"), "json or text (env STEPJOBS_LOG_FORMAT)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if err := o.logLevel.UnmarshalText([]byte(*level)); err != nil {
		return o, fmt.Errorf("--log-level %q: want debug, info, warn or error", *level)
	}
	if o.logFormat != "json" && o.logFormat != "text" {
		return o, fmt.Errorf("--log-format %q: want json or text", o.logFormat)
	}
	c.FunctionEnv = map[string]string{"ALLOW_SIMULATED_FAILURES": strconv.FormatBool(*allow),
		"CALLBACK_RETRY_MAX": callbackRetry.String()}
	c.AuthDisabled = !*authOn
	var err error
	if c.Faults.Tasks, err = faults.ParseTaskFaults(*taskFaults); err != nil {
		return o, fmt.Errorf("--fault: %w", err)
	}
	if c.Faults.Stores, err = faults.ParseStoreFaults(*storeFaults); err != nil {
		return o, fmt.Errorf("--fault-store: %w", err)
	}
	c.Faults.Seed = *faultSeed
	return o, nil
}

// run starts the runtime, prints its URLs and serves until ctx is done or a
// part fails.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	hopts := &slog.HandlerOptions{Level: o.logLevel}
	var h slog.Handler = slog.NewJSONHandler(stderr, hopts)
	if o.logFormat == "text" {
		h = slog.NewTextHandler(stderr, hopts)
	}
	o.cfg.Logger = slog.New(h)
	if o.logLevel <= slog.LevelDebug {
		o.cfg.DynaliteLog = stderr
	}

	srv, err := offline.Start(ctx, o.cfg)
	if err != nil {
		return err
	}
	printURLs(stdout, srv)

	select {
	case <-ctx.Done():
		o.cfg.Logger.Info("shutting down")
	case err = <-srv.Failed():
		o.cfg.Logger.Error("a part stopped, shutting down", "err", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if cerr := srv.Close(sctx); cerr != nil {
		err = errors.Join(err, cerr)
	}
	return err
}

func printURLs(w io.Writer, srv *offline.Server) {
	u, r := srv.URLs(), srv.Resources()
	fmt.Fprintf(w, "stepjobs local runtime (stage %s, region %s)\n", r.Stage, r.Region)
	fmt.Fprintf(w, "  API                  %s  (also under %s)\n", u.API, u.StageAPI)
	fmt.Fprintf(w, "    POST %s/start-execution\n", u.API)
	fmt.Fprintf(w, "    POST %s/describe-execution\n", u.API)
	fmt.Fprintf(w, "    POST %s/stop-execution\n", u.API)
	fmt.Fprintf(w, "    GET  %s/jobs/{jobId}/result\n", u.API)
	printAuth(w, srv)
	fmt.Fprintf(w, "  ready                %s\n", u.Ready)
	fmt.Fprintf(w, "  console              %s\n", u.Console)
	if u.Profile != "" {
		fmt.Fprintf(w, "  Go profiles          %s  (go tool pprof %sprofile?seconds=20)\n", u.Profile, u.Profile)
	}
	fmt.Fprintf(w, "  Step Functions API   %s  (aws stepfunctions --endpoint-url %s ...)\n", u.StepFunctions, u.StepFunctions)
	for _, k := range sorted(r.StateMachines) {
		fmt.Fprintf(w, "    state machine %-6s %s\n", k, r.StateMachines[k])
	}
	fmt.Fprintf(w, "  DynamoDB             %s\n", u.DynamoDB)
	for _, k := range sorted(r.Tables) {
		fmt.Fprintf(w, "    table %s\n", r.Tables[k])
	}
	fmt.Fprintf(w, "  S3                   %s\n", u.S3)
	for _, k := range sorted(r.Buckets) {
		fmt.Fprintf(w, "    bucket %s\n", r.Buckets[k])
	}
	if u.Objects != "" {
		fmt.Fprintf(w, "    results            %s\n", u.Objects)
	}
	fmt.Fprintf(w, "  SQS                  %s  (aws sqs --endpoint-url %s ...)\n", u.SQS, u.SQS)
	fmt.Fprintf(w, "  SNS                  %s  (aws sns --endpoint-url %s ...)\n", u.SNS, u.SNS)
	if secret, ok := srv.Secret("CallbackSigningSecret"); ok {
		fmt.Fprintf(w, "  Secrets Manager      %s  (callback signing secret: %s)\n", u.SecretsManager, secret)
	}
	fmt.Fprintln(w, "Ctrl-C stops it.")
}

// printAuth prints a dev token and how to get another.
func printAuth(w io.Writer, srv *offline.Server) {
	u := srv.URLs()
	if srv.AuthDisabled() {
		fmt.Fprintln(w, "  auth                 off (--auth=false): any Authorization header passes, as \"anonymous\"")
		return
	}
	tok, err := srv.DevToken(offline.DefaultDevSubject, offline.DefaultDevTokenTTL, nil)
	if err != nil {
		fmt.Fprintf(w, "  dev token            unavailable: %v\n", err)
		return
	}
	fmt.Fprintf(w, "  dev token            (subject %s, valid %s; send it as Authorization: Bearer <token>)\n", offline.DefaultDevSubject, offline.DefaultDevTokenTTL)
	fmt.Fprintf(w, "    %s\n", tok)
	fmt.Fprintf(w, "    another one:       TOKEN=$(curl -s %s%s)   (?sub=alice&ttl=1h for another caller)\n", u.API, offline.DevTokenPath)
}

func sorted(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
