package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/faults"
)

// runMainEnv marks this test binary started again as the command.
const runMainEnv = "STEPJOBS_LOCAL_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(t *testing.T, o options)
		wantErr string
	}{
		{name: "defaults", check: func(t *testing.T, o options) {
			assert.Equal(t, 8080, o.cfg.APIPort)
			assert.Equal(t, 8083, o.cfg.SFNPort)
			assert.Equal(t, 8084, o.cfg.S3Port)
			assert.Equal(t, 8000, o.cfg.DynamoDBPort)
			assert.Equal(t, 9324, o.cfg.SQSPort)
			assert.Equal(t, 9911, o.cfg.SNSPort)
			assert.Equal(t, "127.0.0.1", o.cfg.Host)
			assert.Empty(t, o.cfg.DataDir)
			assert.Equal(t, "true", o.cfg.FunctionEnv["ALLOW_SIMULATED_FAILURES"])
			assert.Equal(t, "json", o.logFormat)
			assert.False(t, o.cfg.AuthDisabled, "tokens required by default")
		}},
		{name: "auth off", args: []string{"--auth=false"},
			check: func(t *testing.T, o options) { assert.True(t, o.cfg.AuthDisabled) }},
		{name: "auth off from the environment", env: map[string]string{"STEPJOBS_AUTH": "false"},
			check: func(t *testing.T, o options) { assert.True(t, o.cfg.AuthDisabled) }},
		{name: "flags", args: []string{"--port", "9000", "--sfn-port=9001", "--s3-port", "9002", "--sqs-port", "9003", "--sns-port=9004", "--data", "/tmp/x",
			"--stage", "prod", "--log-level", "debug", "--log-format", "text", "--simulated-failures=false", "--callback-retry", "5s",
			"--dynamodb-endpoint", "http://127.0.0.1:4566", "--s3-endpoint", "http://127.0.0.1:4567"},
			check: func(t *testing.T, o options) {
				assert.Equal(t, 9000, o.cfg.APIPort)
				assert.Equal(t, 9001, o.cfg.SFNPort)
				assert.Equal(t, 9002, o.cfg.S3Port)
				assert.Equal(t, 9003, o.cfg.SQSPort)
				assert.Equal(t, 9004, o.cfg.SNSPort)
				assert.Equal(t, "/tmp/x", o.cfg.DataDir)
				assert.Equal(t, "prod", o.cfg.Stage)
				assert.Equal(t, "DEBUG", o.logLevel.String())
				assert.Equal(t, "text", o.logFormat)
				assert.Equal(t, "false", o.cfg.FunctionEnv["ALLOW_SIMULATED_FAILURES"])
				assert.Equal(t, "5s", o.cfg.FunctionEnv["CALLBACK_RETRY_MAX"])
				assert.Equal(t, "http://127.0.0.1:4566", o.cfg.DynamoDBEndpoint)
				assert.Equal(t, "http://127.0.0.1:4567", o.cfg.S3Endpoint)
			}},
		{name: "environment", env: map[string]string{"STEPJOBS_PORT": "7000", "STEPJOBS_DATA": ".data", "STEPJOBS_LOG_LEVEL": "warn", "STEPJOBS_CALLBACK_RETRY": "1m"},
			check: func(t *testing.T, o options) {
				assert.Equal(t, "1m0s", o.cfg.FunctionEnv["CALLBACK_RETRY_MAX"])
				assert.Equal(t, 7000, o.cfg.APIPort)
				assert.Equal(t, ".data", o.cfg.DataDir)
				assert.Equal(t, "WARN", o.logLevel.String())
			}},
		{name: "flag over environment", args: []string{"--port", "7001"}, env: map[string]string{"STEPJOBS_PORT": "7000"},
			check: func(t *testing.T, o options) { assert.Equal(t, 7001, o.cfg.APIPort) }},
		{name: "faults", args: []string{"--fault", "batchSimulation:error=0.2:TransientError,latency=5ms", "--fault-store", "s3:error=0.1", "--fault-seed", "7"},
			check: func(t *testing.T, o options) {
				assert.Equal(t, faults.TaskFault{ErrorRate: 0.2, ErrorType: "TransientError", Latency: 5 * time.Millisecond}, o.cfg.Faults.Tasks["batchSimulation"])
				assert.Equal(t, faults.StoreFault{ErrorRate: 0.1, Status: 503}, o.cfg.Faults.Stores["s3"])
				assert.Equal(t, uint64(7), o.cfg.Faults.Seed)
			}},
		{name: "faults from the environment", env: map[string]string{"STEPJOBS_FAULT": "tracking:timeout=0.5"},
			check: func(t *testing.T, o options) {
				assert.Equal(t, faults.TaskFault{TimeoutRate: 0.5}, o.cfg.Faults.Tasks["tracking"])
				assert.False(t, o.cfg.Faults.Enabled() && len(o.cfg.Faults.Stores) > 0)
			}},
		{name: "mock config", args: []string{"--mock-config", "mocks.json"},
			check: func(t *testing.T, o options) { assert.Equal(t, "mocks.json", o.cfg.MockConfig) }},
		{name: "mock config from Step Functions Local's variable", env: map[string]string{"SFN_MOCK_CONFIG": "/home/MockConfigFile.json"},
			check: func(t *testing.T, o options) { assert.Equal(t, "/home/MockConfigFile.json", o.cfg.MockConfig) }},
		{name: "bad fault", args: []string{"--fault", "tracking:error=2"}, wantErr: `--fault: fault "tracking:error=2"`},
		{name: "bad store fault", args: []string{"--fault-store", "sqs:error=0.1"}, wantErr: `--fault-store: fault "sqs:error=0.1"`},
		{name: "bad level", args: []string{"--log-level", "loud"}, wantErr: `--log-level "loud"`},
		{name: "bad format", args: []string{"--log-format", "xml"}, wantErr: `--log-format "xml"`},
		{name: "bad port", args: []string{"--port", "eighty"}, wantErr: "invalid value"},
		{name: "extra argument", args: []string{"serve"}, wantErr: "unexpected arguments: serve"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseFlags(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.check(t, o)
		})
	}
	_, err := parseFlags([]string{"-h"}, func(string) string { return "" }, io.Discard)
	assert.ErrorIs(t, err, flag.ErrHelp)
}

// The command, started as a process, prints its URLs, serves the API,
// and on SIGTERM drains, stops dynalite and exits 0.
func TestCommandSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0],
				"--port", "0", "--sfn-port", "0", "--s3-port", "0", "--dynamodb-port", "0", "--sqs-port", "0", "--sns-port", "0", "--dir", "../..")
			cmd.Env = append(os.Environ(), runMainEnv+"=1")
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			var stderr syncBuffer
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())
			t.Cleanup(func() { _ = cmd.Process.Kill() }) // the process this test started, by its pid

			var printed strings.Builder
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				printed.WriteString(sc.Text() + "\n")
				if strings.HasPrefix(sc.Text(), "Ctrl-C") {
					break
				}
			}
			out := printed.String()
			api := regexp.MustCompile(`API\s+(http://\S+)`).FindStringSubmatch(out)
			ddb := regexp.MustCompile(`DynamoDB\s+http://(\S+)`).FindStringSubmatch(out)
			require.Len(t, api, 2, "stdout:\n%s\nstderr:\n%s", out, stderr.String())
			require.Len(t, ddb, 2, out)
			for _, want := range []string{"/start-execution", "/describe-execution", "/stop-execution", "/jobs/{jobId}/result",
				"dev token", "/__dev/token", "/__ready", "Step Functions API",
				"stateMachine:stepjobs-dev-jobs", "table stepjobs-dev-jobs", "bucket stepjobs-dev-resultsbucket", "results/<jobId>.json"} {
				assert.Contains(t, out, want)
			}

			res, err := http.Get(api[1] + "/__ready")
			require.NoError(t, err)
			require.NoError(t, res.Body.Close())
			assert.Equal(t, http.StatusOK, res.StatusCode)

			require.NoError(t, cmd.Process.Signal(sig))
			drained := make(chan struct{})
			go func() { _, _ = io.Copy(io.Discard, stdout); close(drained) }()
			<-drained // Wait must come after the last read
			err = cmd.Wait()
			require.NoError(t, err, "exit status 0 after %s; stderr:\n%s", sig, stderr.String())
			assert.Contains(t, stderr.String(), `"msg":"stopped"`)

			// dynalite went with it: its port no longer answers.
			conn, err := net.DialTimeout("tcp", ddb[1], time.Second)
			if err == nil {
				_ = conn.Close()
			}
			var opErr *net.OpError
			assert.True(t, errors.As(err, &opErr), "dynalite at %s is stopped", ddb[1])
		})
	}
}

// syncBuffer is a strings.Builder safe for the writer goroutine of exec.Cmd
// and the test reading it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
