package offline

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/asyncjobs/stepjobs/internal/function/catalog"
	"github.com/asyncjobs/stepjobs/internal/lambdart"
	"github.com/asyncjobs/stepjobs/internal/sfn"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
)

// Lambda modes (Config.LambdaMode).
const (
	// LambdaInProcess calls the handlers in-process (Functions): the default.
	LambdaInProcess = "in-process"
	// LambdaProcess runs each function's real bootstrap, built from its
	// cmd/ directory for this machine, under the Lambda Runtime API
	// (internal/lambdart), with a warm pool of processes per function and
	// the function's timeout from serverless.yml.
	LambdaProcess = "process"
)

// processFunctions are the built bootstraps and their pools.
type processFunctions struct {
	dir   string // the build directory
	pools []*lambdart.Pool
}

func checkLambdaMode(mode string) error {
	switch mode {
	case "", LambdaInProcess, LambdaProcess:
		return nil
	}
	return fmt.Errorf("offline: lambda mode %q: want %s or %s", mode, LambdaInProcess, LambdaProcess)
}

// processInvoker builds fn's bootstrap (once per runtime) and returns a pool
// running it with env plus the local stores' endpoints and credentials.
func (s *Server) processInvoker(ctx context.Context, fn slsconfig.Function, env map[string]string) (sfn.Invoker, error) {
	dir, err := catalog.Dir(fn)
	if err != nil {
		return nil, err
	}
	if s.procs == nil {
		tmp, err := os.MkdirTemp("", "stepjobs-lambda-")
		if err != nil {
			return nil, fmt.Errorf("build directory: %w", err)
		}
		s.procs = &processFunctions{dir: tmp}
	}
	bin := filepath.Join(s.procs.dir, dir, "bootstrap")
	if err := lambdart.Build(ctx, s.cfg.Dir, "./cmd/"+dir, bin); err != nil {
		return nil, err
	}
	fenv := map[string]string{
		// The SDK reads service endpoints from these (aws-sdk-go-v2 config);
		// S3 on a loopback IP is addressed path-style by the SDK's rules.
		"AWS_ENDPOINT_URL_DYNAMODB":        s.urls.DynamoDB,
		"AWS_ENDPOINT_URL_S3":              s.urls.S3,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": s.urls.SecretsManager,
		"AWS_ENDPOINT_URL_SQS":             s.urls.SQS,
		// The SDK has no path-style setting of its own in the environment;
		// mains that read this one can reach an S3 on a host name too.
		"S3_FORCE_PATH_STYLE":         "true",
		"AWS_ACCESS_KEY_ID":           "local",
		"AWS_SECRET_ACCESS_KEY":       "local",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	}
	for k, v := range env {
		fenv[k] = v
	}
	procs := s.cfg.LambdaProcesses
	if procs <= 0 {
		procs = 8
	}
	pool, err := lambdart.NewPool(lambdart.Config{
		Name: fn.Name, Binary: bin, Env: fenv, Region: s.svc.Region, AccountID: s.svc.AccountID,
		Timeout:  time.Duration(s.functionSetting(fn.Key, "timeout", 6)) * time.Second,
		MemoryMB: s.functionSetting(fn.Key, "memorySize", 1024), MaxProcesses: procs,
		Output: &lineLogger{log: s.log.With("function", fn.Key)},
	})
	if err != nil {
		return nil, err
	}
	s.procs.pools = append(s.procs.pools, pool)
	return pool, nil
}

// functionSetting is a function's numeric setting, else the provider's, else
// the Serverless Framework's default.
func (s *Server) functionSetting(key, name string, def int) int {
	fns, _ := s.svc.Config["functions"].(map[string]any)
	fn, _ := fns[key].(map[string]any)
	provider, _ := s.svc.Config["provider"].(map[string]any)
	for _, m := range []map[string]any{fn, provider} {
		switch v := m[name].(type) {
		case int:
			return v
		case float64:
			return int(v)
		}
	}
	return def
}

// closeProcesses stops every function process and removes the binaries.
func (s *Server) closeProcesses() error {
	if s.procs == nil {
		return nil
	}
	for _, p := range s.procs.pools {
		_ = p.Close()
	}
	if err := os.RemoveAll(s.procs.dir); err != nil {
		return fmt.Errorf("remove function binaries: %w", err)
	}
	return nil
}

// lineLogger logs a function's output line by line at debug level (its
// own JSON logs and EMF metrics), as CloudWatch Logs would keep them.
type lineLogger struct {
	mu  sync.Mutex
	log *slog.Logger
	buf []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.log.Debug("function output", "line", string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
	return len(p), nil
}
