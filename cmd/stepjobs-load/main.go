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
// It exits 1 when a job is lost or the memory budget is exceeded.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

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

type options struct {
	dir, binary, runtimeFlags string
	url, sfnURL, ddbURL       string
	table, region             string
	pid                       int
	headers                   headerFlags

	jobs, concurrency int
	body              string

	waitMachine bool
	waits       int
	wait        time.Duration
	budgetMB    int

	coldStart bool
	coldRuns  int

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
	fs := flag.NewFlagSet("stepjobs-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.dir, "dir", ".", "project directory (serverless.yml, cmd/)")
	fs.StringVar(&o.binary, "binary", "", "the runtime to spawn; empty: build bin/stepjobs-local")
	fs.StringVar(&o.runtimeFlags, "runtime-flags", "", "extra flags for the spawned runtime, e.g. \"--lambda-mode process\"")
	fs.StringVar(&o.url, "url", "", "drive this running runtime's API instead of spawning one")
	fs.StringVar(&o.sfnURL, "sfn-url", "", "with --url: its Step Functions API (for --wait-machine)")
	fs.StringVar(&o.ddbURL, "dynamodb-url", "", "with --url: its DynamoDB (for the job table check)")
	fs.IntVar(&o.pid, "pid", 0, "with --url: the runtime's process id, for its memory")
	fs.StringVar(&o.table, "table", "stepjobs-dev-jobs", "the job table")
	fs.StringVar(&o.region, "region", "us-east-1", "region of the local endpoints")
	fs.Var(o.headers, "header", "\"Name: value\" added to every API request (repeatable)")
	fs.IntVar(&o.jobs, "jobs", 10000, "jobs to submit")
	fs.IntVar(&o.concurrency, "concurrency", 64, "requests in flight (starts and describes each)")
	fs.StringVar(&o.body, "body", `{"records": 10}`, "start-execution body")
	fs.BoolVar(&o.waitMachine, "wait-machine", false, "measure open executions: start --waits executions that wait --wait")
	fs.IntVar(&o.waits, "waits", 10000, "with --wait-machine: executions to hold")
	fs.DurationVar(&o.wait, "wait", time.Hour, "with --wait-machine: how long each waits")
	fs.IntVar(&o.budgetMB, "budget-mb", 500, "with --wait-machine: the runtime's RSS budget")
	fs.BoolVar(&o.coldStart, "cold-start", false, "print the functions' start-to-first-invoke times and sizes")
	fs.IntVar(&o.coldRuns, "cold-runs", 15, "with --cold-start: starts per function (the median is shown)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Minute, "bound on the whole run")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if o.waitMachine && o.coldStart {
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
	if o.coldStart {
		return coldStart(ctx, o, stdout)
	}

	target := runtimeTarget{api: o.url, sfn: o.sfnURL, dynamodb: o.ddbURL, pid: o.pid}
	if o.url == "" {
		rt, err := spawn(ctx, o, stderr)
		if err != nil {
			return err
		}
		defer rt.stop()
		target = rt.target
		fmt.Fprintf(stdout, "runtime            pid %d, API %s\n", target.pid, target.api)
	}
	creds := credentials.NewStaticCredentialsProvider("local", "local", "")
	if o.waitMachine {
		if target.sfn == "" {
			return errors.New("--wait-machine needs the Step Functions API (--sfn-url)")
		}
		c := sfn.New(sfn.Options{Region: o.region, BaseEndpoint: aws.String(target.sfn), Credentials: creds})
		r, err := loadtest.RunWaits(ctx, loadtest.WaitOptions{SFN: c, Executions: o.waits, Concurrency: o.concurrency,
			Wait: o.wait, PID: target.pid})
		if err != nil {
			return err
		}
		r.Print(stdout)
		printChildren(stdout, target.pid)
		if r.Running != o.waits {
			return fmt.Errorf("%d of %d executions are waiting", r.Running, o.waits)
		}
		if budget := int64(o.budgetMB) * 1_000_000; target.pid > 0 && r.After.RSS > budget {
			return fmt.Errorf("runtime RSS %s is over the %d MB budget", loadtest.MB(r.After.RSS), o.budgetMB)
		}
		if target.pid > 0 {
			fmt.Fprintf(stdout, "budget             RSS %s within %d MB\n", loadtest.MB(r.After.RSS), o.budgetMB)
		}
		return nil
	}

	if _, ok := o.headers["Authorization"]; !ok {
		// A local runtime mints dev tokens; a deployed stage needs --header.
		if token, err := devToken(ctx, target.api); err == nil {
			o.headers["Authorization"] = "Bearer " + token
		}
	}
	jo := loadtest.JobOptions{API: target.api, Headers: o.headers, Jobs: o.jobs, Concurrency: o.concurrency, Body: o.body}
	if target.dynamodb != "" {
		c := dynamodb.New(dynamodb.Options{Region: o.region, BaseEndpoint: aws.String(target.dynamodb), Credentials: creds})
		jo.Records = loadtest.Table{API: c, Name: o.table}
	}
	r, err := loadtest.RunJobs(ctx, jo)
	if err != nil {
		return err
	}
	r.Print(stdout)
	if target.pid > 0 {
		m, err := loadtest.ReadMemory(target.pid)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "runtime memory     peak %s (VmHWM), now %s\n", loadtest.MB(m.Peak), loadtest.MB(m.RSS))
		printChildren(stdout, target.pid)
	}
	if !r.Checked {
		fmt.Fprintln(stdout, "job table          not checked (no --dynamodb-url)")
	}
	if r.Lost() > 0 || r.StartErrors > 0 {
		return fmt.Errorf("%d jobs lost, %d start errors", r.Lost(), r.StartErrors)
	}
	return nil
}

// printChildren shows the memory of the runtime's child processes
// (dynalite; the functions' bootstraps in process mode), summed by name.
func printChildren(w io.Writer, pid int) {
	if pid <= 0 {
		return
	}
	type sum struct {
		n         int
		peak, rss int64
	}
	byName := map[string]*sum{}
	var names []string
	for _, c := range loadtest.Children(pid) {
		m, err := loadtest.ReadMemory(c)
		if err != nil {
			continue
		}
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", c))
		name := strings.TrimSpace(string(comm))
		if byName[name] == nil {
			byName[name] = &sum{}
			names = append(names, name)
		}
		s := byName[name]
		s.n++
		s.peak += m.Peak
		s.rss += m.RSS
	}
	for _, name := range names {
		s := byName[name]
		fmt.Fprintf(w, "  children %-9s %d process(es): peak %s, now %s\n", name, s.n, loadtest.MB(s.peak), loadtest.MB(s.rss))
	}
}

// devToken asks a local runtime for a dev token (GET /__dev/token).
func devToken(ctx context.Context, api string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api+"/__dev/token", nil) // offline.DevTokenPath; not imported, to keep the runtime out of this binary
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("dev token: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("dev token: HTTP %d: %w", resp.StatusCode, err)
	}
	return strings.TrimSpace(string(b)), nil
}
