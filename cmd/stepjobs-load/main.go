// Command stepjobs-load puts the local runtime under load (`make load`).
//
// By default it builds and starts bin/stepjobs-local on free ports
// (--spawn), submits --jobs jobs through the local HTTP API at
// --concurrency, polls each to its end, and prints jobs/s, start and
// describe latency percentiles, the runtime's peak memory and the
// invariant check (final statuses, the job table against the executions,
// lost jobs). --wait-machine instead starts --waits executions that sit in
// a Wait state and reports the runtime's memory against --budget-mb.
// --cold-start prints each function's start-to-first-invoke time under the
// Lambda Runtime API against a hello-world aws-lambda-go binary, with the
// binary and zip sizes. --url (with --pid, --sfn-url, --dynamodb-url)
// drives a runtime that is already running instead.
//
// It exits 1 when a job is lost or the memory budget is exceeded. The run
// itself is loadtest.Command; this main reads its flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/asyncjobs/stepjobs/internal/loadtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "stepjobs-load:", err)
		os.Exit(1)
	}
}

// options are the command line: the run, and the bound on it.
type options struct {
	loadtest.Command
	headers headerFlags
	timeout time.Duration
}

type headerFlags map[string]string

func (h headerFlags) String() string { return fmt.Sprint(map[string]string(h)) }
func (h headerFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("header %q: want \"Name: value\"", v)
	}
	h[strings.TrimSpace(k)] = strings.TrimSpace(val)
	return nil
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := options{headers: headerFlags{}}
	c := &o.Command
	fs := flag.NewFlagSet("stepjobs-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Dir, "dir", ".", "project directory (serverless.yml, cmd/)")
	fs.StringVar(&c.Binary, "binary", "", "the runtime to spawn; empty: build bin/stepjobs-local")
	fs.StringVar(&c.RuntimeFlags, "runtime-flags", "", "extra flags for the spawned runtime, e.g. \"--lambda-mode process\"")
	fs.StringVar(&c.URL, "url", "", "drive this running runtime's API instead of spawning one")
	fs.StringVar(&c.SFNURL, "sfn-url", "", "with --url: its Step Functions API (for --wait-machine)")
	fs.StringVar(&c.DynamoDBURL, "dynamodb-url", "", "with --url: its DynamoDB (for the job table check)")
	fs.IntVar(&c.PID, "pid", 0, "with --url: the runtime's process id, for its memory")
	fs.StringVar(&c.Table, "table", "stepjobs-dev-jobs", "the job table")
	fs.StringVar(&c.Region, "region", "us-east-1", "region of the local endpoints")
	fs.Var(o.headers, "header", "\"Name: value\" added to every API request (repeatable)")
	fs.IntVar(&c.Jobs, "jobs", 10000, "jobs to submit")
	fs.IntVar(&c.Concurrency, "concurrency", 64, "requests in flight (starts and describes each)")
	fs.StringVar(&c.Body, "body", `{"records": 10}`, "start-execution body")
	fs.BoolVar(&c.WaitMachine, "wait-machine", false, "measure open executions: start --waits executions that wait --wait")
	fs.IntVar(&c.Waits, "waits", 10000, "with --wait-machine: executions to hold")
	fs.DurationVar(&c.Wait, "wait", time.Hour, "with --wait-machine: how long each waits")
	fs.IntVar(&c.BudgetMB, "budget-mb", 500, "with --wait-machine: the runtime's RSS budget")
	fs.BoolVar(&c.ColdStart, "cold-start", false, "print the functions' start-to-first-invoke times and sizes")
	fs.IntVar(&c.ColdRuns, "cold-runs", 15, "with --cold-start: starts per function (the median is shown)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Minute, "bound on the whole run")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	c.Headers = o.headers
	if c.WaitMachine && c.ColdStart {
		return o, errors.New("--wait-machine and --cold-start are separate runs")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	return o.Run(ctx, stdout, stderr)
}
