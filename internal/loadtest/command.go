package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// Command is one run of cmd/stepjobs-load: its flags, read by its main.
type Command struct {
	// Dir is the project directory (serverless.yml, cmd/).
	Dir string
	// Binary is the runtime to spawn; empty: build bin/stepjobs-local.
	Binary string
	// RuntimeFlags are extra flags for the spawned runtime.
	RuntimeFlags string
	// URL drives this running runtime's API instead of spawning one; then
	// SFNURL (for WaitMachine), DynamoDBURL (for the job table check) and
	// PID (for its memory) say where the rest of it is.
	URL, SFNURL, DynamoDBURL string
	PID                      int
	// Table is the job table; Region the region of the local endpoints.
	Table, Region string
	// Headers are added to every API request.
	Headers map[string]string

	// Jobs are submitted with Body, Concurrency requests in flight.
	Jobs, Concurrency int
	Body              string

	// WaitMachine measures open executions instead: Waits executions that
	// wait Wait, the runtime's RSS against BudgetMB.
	WaitMachine bool
	Waits       int
	Wait        time.Duration
	BudgetMB    int

	// ColdStart prints the functions' start-to-first-invoke times and
	// sizes instead, the median of ColdRuns starts each.
	ColdStart bool
	ColdRuns  int
}

// Run runs c: the cold-start table, the wait machine or the job run, against
// a runtime it spawns unless c.URL names one. It prints the report on stdout
// and fails when a job is lost or the memory budget is exceeded.
func (c Command) Run(ctx context.Context, stdout, stderr io.Writer) error {
	ThisMachine().Print(stdout)
	if c.ColdStart {
		return coldStart(ctx, c, stdout)
	}
	target := runtimeTarget{api: c.URL, sfn: c.SFNURL, dynamodb: c.DynamoDBURL, pid: c.PID}
	if c.URL == "" {
		rt, err := spawn(ctx, c, stderr)
		if err != nil {
			return err
		}
		defer rt.stop()
		target = rt.target
		fmt.Fprintf(stdout, "runtime            pid %d, API %s\n", target.pid, target.api)
	}
	if c.WaitMachine {
		return c.runWaits(ctx, target, stdout)
	}
	return c.runJobs(ctx, target, stdout)
}

func (c Command) credentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider("local", "local", "")
}

// runWaits holds c.Waits executions in a Wait state and checks the
// runtime's memory against the budget.
func (c Command) runWaits(ctx context.Context, target runtimeTarget, stdout io.Writer) error {
	if target.sfn == "" {
		return errors.New("--wait-machine needs the Step Functions API (--sfn-url)")
	}
	api := sfn.New(sfn.Options{Region: c.Region, BaseEndpoint: aws.String(target.sfn), Credentials: c.credentials()})
	r, err := RunWaits(ctx, WaitOptions{SFN: api, Executions: c.Waits, Concurrency: c.Concurrency,
		Wait: c.Wait, PID: target.pid})
	if err != nil {
		return err
	}
	r.Print(stdout)
	printChildren(stdout, target.pid)
	if r.Running != c.Waits {
		return fmt.Errorf("%d of %d executions are waiting", r.Running, c.Waits)
	}
	if budget := int64(c.BudgetMB) * 1_000_000; target.pid > 0 && r.After.RSS > budget {
		return fmt.Errorf("runtime RSS %s is over the %d MB budget", MB(r.After.RSS), c.BudgetMB)
	}
	if target.pid > 0 {
		fmt.Fprintf(stdout, "budget             RSS %s within %d MB\n", MB(r.After.RSS), c.BudgetMB)
	}
	return nil
}

// runJobs runs c.Jobs jobs to their end and checks that none was lost.
func (c Command) runJobs(ctx context.Context, target runtimeTarget, stdout io.Writer) error {
	headers := make(map[string]string, len(c.Headers)+1)
	for k, v := range c.Headers {
		headers[k] = v
	}
	if _, ok := headers["Authorization"]; !ok {
		// A local runtime mints dev tokens; a deployed stage needs --header.
		if token, err := devToken(ctx, target.api); err == nil {
			headers["Authorization"] = "Bearer " + token
		}
	}
	jo := JobOptions{API: target.api, Headers: headers, Jobs: c.Jobs, Concurrency: c.Concurrency, Body: c.Body}
	if target.dynamodb != "" {
		api := dynamodb.New(dynamodb.Options{Region: c.Region, BaseEndpoint: aws.String(target.dynamodb), Credentials: c.credentials()})
		jo.Records = Table{API: api, Name: c.Table}
	}
	var cpuBefore cpuSample
	if target.pid > 0 {
		cpuBefore = sampleCPU(target.pid)
	}
	r, err := RunJobs(ctx, jo)
	if err != nil {
		return err
	}
	r.Print(stdout)
	if target.pid > 0 {
		printCPUPerJob(stdout, cpuBefore, sampleCPU(target.pid), r.Jobs)
		m, err := ReadMemory(target.pid)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "runtime memory     peak %s (VmHWM), now %s\n", MB(m.Peak), MB(m.RSS))
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
	for _, c := range Children(pid) {
		m, err := ReadMemory(c)
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
		fmt.Fprintf(w, "  children %-9s %d process(es): peak %s, now %s\n", name, s.n, MB(s.peak), MB(s.rss))
	}
}

// devToken asks a local runtime for a dev token (GET /__dev/token).
func devToken(ctx context.Context, api string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api+"/__dev/token", nil) // offline.DevTokenPath; not imported, to keep the runtime out of the command's binary
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
