// Package cli is the stepjobs command: submit jobs to the stepjobs API, follow
// them, cancel them and download their results, with the public client
// package. cmd/stepjobs only wires it to the process; tests call Run.
package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/asyncjobs/stepjobs/client"
)

// Exit codes of the stepjobs command.
const (
	// ExitOK: success (for submit --wait and wait: the job SUCCEEDED).
	ExitOK = 0
	// ExitFailure: the job FAILED, or a call failed (network, auth, 4xx, 5xx).
	ExitFailure = 1
	// ExitUsage: bad command line.
	ExitUsage = 2
	// ExitNotFound: no such job (or not the caller's).
	ExitNotFound = 3
	// ExitIncomplete: the job TIMED_OUT or was ABORTED, or --timeout ran out
	// while it was still running.
	ExitIncomplete = 4
	// ExitInterrupted: stopped by Ctrl-C (SIGINT) or SIGTERM.
	ExitInterrupted = 130
)

// DefaultURL is the API the command talks to without --url or STEPJOBS_URL:
// the local runtime.
const DefaultURL = "http://localhost:8080"

// Usage is the command's help text.
const Usage = `stepjobs: submit and follow jobs of the stepjobs API.

Usage:
  stepjobs submit [--records N] [--seed S] [--input JSON|@file] [--key K] [--wait] [--timeout D]
  stepjobs status <jobId|arn>
  stepjobs wait   <jobId|arn> [--timeout D]
  stepjobs cancel <jobId|arn>
  stepjobs result <jobId|arn> [-o file]
  stepjobs list   [--status S] [--limit N] [--cursor C] [--all]

Commands:
  submit   start a job; --input is the job's JSON object (or @file), --records and --seed
           set its fields; --key sends an Idempotency-Key; --wait waits for the end
  status   print a job's status once
  wait     wait until a job ends: a live status line on a terminal, plain lines otherwise
  cancel   stop a running job (it ends ABORTED)
  result   print a succeeded job's download link, or with -o save the result (- for stdout)
  list     your jobs, newest first, with their progress: one page of --limit (default 20,
           at most 100), --status keeps one status (RUNNING, SUCCEEDED, FAILED, ABORTED,
           TIMED_OUT), --cursor continues after a page, --all follows every page

Global flags (before or after the command):
  --url URL          the API (default $STEPJOBS_URL, else http://localhost:8080);
                     for a deployed stage, the URL sls deploy prints, with the stage
  --token-file FILE  read the bearer token from FILE (default: $STEPJOBS_TOKEN)
  --json             machine-readable output: one JSON document on stdout

A job is named by its jobId or by its executionArn; the API reads only the name.
Locally, get a token with: export STEPJOBS_TOKEN=$(curl -s localhost:8080/__dev/token)

Exit codes:
  0    success (for submit --wait and wait: the job SUCCEEDED)
  1    the job FAILED (error and cause on stderr), or the API or network failed
  2    usage error
  3    job not found (or not yours)
  4    the job TIMED_OUT or was ABORTED, or --timeout ran out while it ran
  130  interrupted
`

// Main is the command with its environment; the zero value of a field
// takes the process's own.
type Main struct {
	// Stdout receives results; Stderr receives progress and errors.
	Stdout, Stderr io.Writer
	// Getenv reads STEPJOBS_URL and STEPJOBS_TOKEN (default os.Getenv).
	Getenv func(string) string
	// Terminal reports whether Stderr is a terminal (live status line);
	// default: Stderr is an *os.File on a character device.
	Terminal func() bool
	// Now is the clock of elapsed times (default time.Now).
	Now func() time.Time
	// ClientOptions are added to the client's (tests: a faster backoff).
	ClientOptions []client.Option
	// RefreshEvery is how often the live status line is redrawn between
	// polls (default 200ms).
	RefreshEvery time.Duration
	// HeartbeatEvery is how often a plain progress line is repeated while
	// the status does not change (default 30s).
	HeartbeatEvery time.Duration
}

// Run runs the command with args (without the program name) and returns its
// exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return (&Main{Stdout: stdout, Stderr: stderr}).Run(ctx, args)
}

// usageError is a bad command line (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// globals are the flags every command takes.
type globals struct {
	url       string
	tokenFile string
	json      bool
}

func (m *Main) defaults() {
	if m.Stdout == nil {
		m.Stdout = os.Stdout
	}
	if m.Stderr == nil {
		m.Stderr = os.Stderr
	}
	if m.Getenv == nil {
		m.Getenv = os.Getenv
	}
	if m.Now == nil {
		m.Now = time.Now
	}
	if m.Terminal == nil {
		m.Terminal = func() bool { return isTerminal(m.Stderr) }
	}
	if m.RefreshEvery <= 0 {
		m.RefreshEvery = 200 * time.Millisecond
	}
	if m.HeartbeatEvery <= 0 {
		m.HeartbeatEvery = 30 * time.Second
	}
}

// isTerminal reports whether w is a character device (a terminal), without
// a dependency on golang.org/x/term.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (m *Main) addGlobals(fs *flag.FlagSet, g *globals) {
	fs.StringVar(&g.url, "url", g.url, "the API's base URL")
	fs.StringVar(&g.tokenFile, "token-file", g.tokenFile, "file holding the bearer token")
	fs.BoolVar(&g.json, "json", g.json, "JSON output")
}

// Run runs the command with args and returns its exit code.
func (m *Main) Run(ctx context.Context, args []string) int {
	m.defaults()
	g := globals{url: m.Getenv("STEPJOBS_URL")}
	if g.url == "" {
		g.url = DefaultURL
	}
	top := flag.NewFlagSet("stepjobs", flag.ContinueOnError)
	top.SetOutput(io.Discard)
	m.addGlobals(top, &g)
	if err := top.Parse(args); err != nil {
		return m.fail(usageOrHelp(err))
	}
	if top.NArg() == 0 {
		return m.fail(usagef("no command"))
	}
	cmd, rest := top.Arg(0), top.Args()[1:]
	var run func(context.Context, *flag.FlagSet, *globals, []string) error
	switch cmd {
	case "submit":
		run = m.submit
	case "status":
		run = m.status
	case "wait":
		run = m.wait
	case "cancel":
		run = m.cancel
	case "result":
		run = m.result
	case "list":
		run = m.list
	case "help":
		fmt.Fprint(m.Stdout, Usage)
		return ExitOK
	default:
		return m.fail(usagef("unknown command %q", cmd))
	}
	fs := flag.NewFlagSet("stepjobs "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	m.addGlobals(fs, &g)
	return m.fail(run(ctx, fs, &g, rest))
}

func usageOrHelp(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return flag.ErrHelp
	}
	return &usageError{err.Error()}
}

// parse parses args with flags and positionals in any order (the standard
// flag package stops at the first positional) and checks their count.
func parse(fs *flag.FlagSet, args []string, positionals ...string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageOrHelp(err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...) // after "--" everything is positional
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) != len(positionals) {
		if len(positionals) == 0 {
			return nil, usagef("%s: unexpected argument %q", fs.Name(), pos[0])
		}
		return nil, usagef("%s: want %s", fs.Name(), "<"+strings.Join(positionals, "> <")+">")
	}
	return pos, nil
}

// jobIDPattern is a job id as the API names jobs: the caller's 16 hex digit
// owner prefix, a dash, and the Idempotency-Key or request id
// (docs/openapi.yaml, docs/ownership.md).
var jobIDPattern = regexp.MustCompile(`^[0-9a-f]{16}-[A-Za-z0-9_-]{1,63}$`)

// checkRef refuses what can name no job, before any request.
func checkRef(ref string) error {
	if strings.HasPrefix(ref, "arn:") || jobIDPattern.MatchString(ref) {
		return nil
	}
	return usagef("%q is neither a job id (<16 hex digits>-<1 to 63 of A-Z a-z 0-9 _ ->) nor an execution ARN", ref)
}

// newClient builds the API client from the global flags and environment.
func (m *Main) newClient(g *globals) (*client.Client, error) {
	token := m.Getenv("STEPJOBS_TOKEN")
	if g.tokenFile != "" {
		b, err := os.ReadFile(g.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("read token: %w", err)
		}
		token = string(b)
	}
	opts := append([]client.Option{client.WithToken(strings.TrimSpace(token)), client.WithUserAgent("stepjobs-cli/1"),
		client.WithBackoff(pollBackoff)}, m.ClientOptions...)
	c, err := client.New(g.url, opts...)
	if err != nil {
		return nil, usagef("--url: %v", err)
	}
	return c, nil
}

// fail reports err (if any) on Stderr and returns its exit code.
func (m *Main) fail(err error) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(m.Stdout, Usage)
		return ExitOK
	}
	code := exitCode(err)
	var ue *usageError
	var jf *client.JobFailedError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(m.Stderr, "stepjobs: %s\nRun 'stepjobs help' for usage.\n", ue.msg)
	case errors.As(err, &jf):
		fmt.Fprintf(m.Stderr, "stepjobs: job %s %s\n  error: %s\n  cause: %s\n", jf.JobID, jf.Status, orNone(jf.ErrorName), orNone(jf.Cause))
	default:
		fmt.Fprintf(m.Stderr, "stepjobs: %v\n", err)
	}
	return code
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// exitCode maps an error to the documented exit codes.
func exitCode(err error) int {
	var ue *usageError
	var jf *client.JobFailedError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		return ExitUsage
	case errors.As(err, &jf):
		return ExitFailure
	case errors.Is(err, client.ErrNotFound):
		return ExitNotFound
	case errors.Is(err, client.ErrAborted), errors.Is(err, client.ErrTimedOut), errors.Is(err, errGaveUp):
		return ExitIncomplete
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	}
	return ExitFailure
}

// pollBackoff is the CLI's: one person waiting on one job is far below
// DescribeExecution's rate, and a wait should not overshoot the job's end by
// much, so polls are at most 5s apart (the library's default is 20s).
var pollBackoff = client.Backoff{Initial: 250 * time.Millisecond, Max: 5 * time.Second, Multiplier: 2}

// errGaveUp: --timeout ran out while the job was still running.
var errGaveUp = errors.New("gave up waiting")

func (m *Main) submit(ctx context.Context, fs *flag.FlagSet, g *globals, args []string) error {
	records := fs.Int("records", 0, "how many observations to generate")
	seed := fs.Int64("seed", 0, "the data's seed")
	input := fs.String("input", "", "the job's input: a JSON object, or @file")
	key := fs.String("key", "", "Idempotency-Key")
	wait := fs.Bool("wait", false, "wait until the job ends")
	timeout := fs.Duration("timeout", 0, "with --wait: give up after this long (0: never)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	body, err := buildInput(*input, readFile)
	if err != nil {
		return err
	}
	if set["records"] {
		body["records"] = *records
	}
	if set["seed"] {
		body["seed"] = *seed
	}
	if set["timeout"] && !*wait {
		return usagef("submit: --timeout needs --wait")
	}
	c, err := m.newClient(g)
	if err != nil {
		return err
	}
	var opts []client.StartOption
	if *key != "" {
		opts = append(opts, client.WithIdempotencyKey(*key))
	}
	job, err := c.Start(ctx, body, opts...)
	if err != nil {
		return err
	}
	if !*wait {
		if g.json {
			return writeJSON(m.Stdout, job)
		}
		fmt.Fprintf(m.Stdout, "job %s started\nexecutionArn: %s\n", job.JobID, job.ExecutionARN)
		return nil
	}
	fmt.Fprintf(m.Stderr, "job %s started\n", job.JobID)
	return m.follow(ctx, c, g, job.ExecutionARN, *timeout)
}

// jobCommand reads the one job reference a command takes, checks its form
// before any request, and builds the client.
func (m *Main) jobCommand(fs *flag.FlagSet, g *globals, args []string) (string, *client.Client, error) {
	pos, err := parse(fs, args, "jobId|arn")
	if err != nil {
		return "", nil, err
	}
	if err := checkRef(pos[0]); err != nil {
		return "", nil, err
	}
	c, err := m.newClient(g)
	if err != nil {
		return "", nil, err
	}
	return pos[0], c, nil
}

func (m *Main) status(ctx context.Context, fs *flag.FlagSet, g *globals, args []string) error {
	ref, c, err := m.jobCommand(fs, g, args)
	if err != nil {
		return err
	}
	st, err := c.Describe(ctx, ref)
	if err != nil {
		return err
	}
	return m.printStatus(g, st)
}

func (m *Main) wait(ctx context.Context, fs *flag.FlagSet, g *globals, args []string) error {
	timeout := fs.Duration("timeout", 0, "give up after this long (0: never)")
	ref, c, err := m.jobCommand(fs, g, args)
	if err != nil {
		return err
	}
	return m.follow(ctx, c, g, ref, *timeout)
}

// follow waits for the job with progress on Stderr, prints the final
// status, and returns the job's outcome.
func (m *Main) follow(ctx context.Context, c *client.Client, g *globals, ref string, timeout time.Duration) error {
	if timeout < 0 {
		return usagef("--timeout must not be negative")
	}
	wctx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeoutCause(ctx, timeout, errGaveUp)
		defer cancel()
	}
	p := newProgress(m, ref)
	defer p.stop()
	// While the job runs, its record says how far it got: one GET
	// /jobs/{jobId} a poll. An error there (the record not written yet, an
	// older API without the route) only leaves the bar out.
	onStatus := func(st *client.Status) {
		var records *client.Progress
		if st.Status == client.StatusRunning {
			if rec, err := c.Get(wctx, ref); err == nil {
				records = rec.Progress
			}
		}
		p.update(st, records)
	}
	st, err := c.Wait(wctx, ref, client.OnStatus(onStatus))
	p.stop()
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(wctx), errGaveUp) {
		id := jobIDOf(ref, st)
		if st == nil {
			return fmt.Errorf("%w after %s, before reading job %s's status", errGaveUp, timeout, id)
		}
		return fmt.Errorf("%w after %s: job %s is still %s (it runs on; 'stepjobs cancel %s' stops it)",
			errGaveUp, timeout, id, st.Status, id)
	}
	if st != nil && st.Status.Terminal() {
		if perr := m.printStatus(g, st); perr != nil {
			return perr
		}
	}
	return err
}

func jobIDOf(ref string, st *client.Status) string {
	if st != nil && st.JobID != "" {
		return st.JobID
	}
	return ref[strings.LastIndexByte(ref, ':')+1:]
}

func (m *Main) cancel(ctx context.Context, fs *flag.FlagSet, g *globals, args []string) error {
	ref, c, err := m.jobCommand(fs, g, args)
	if err != nil {
		return err
	}
	if err := c.Stop(ctx, ref); err != nil {
		return err
	}
	id := jobIDOf(ref, nil)
	if g.json {
		return writeJSON(m.Stdout, map[string]any{"jobId": id, "stopped": true})
	}
	fmt.Fprintf(m.Stdout, "job %s stopped (a running job ends ABORTED)\n", id)
	return nil
}

func (m *Main) result(ctx context.Context, fs *flag.FlagSet, g *globals, args []string) error {
	out := fs.String("o", "", "save the result to this file (- for stdout)")
	ref, c, err := m.jobCommand(fs, g, args)
	if err != nil {
		return err
	}
	link, err := c.Result(ctx, ref)
	if err != nil {
		return err
	}
	switch *out {
	case "":
		if g.json {
			return writeJSON(m.Stdout, link)
		}
		fmt.Fprintf(m.Stdout, "%s\n(valid until %s)\n", link.URL, link.ExpiresAt.Format(time.RFC3339))
		return nil
	case "-":
		_, err := c.Download(ctx, link, m.Stdout)
		return err
	}
	n, err := saveFile(*out, func(w io.Writer) (int64, error) { return c.Download(ctx, link, w) })
	if err != nil {
		return err
	}
	if g.json {
		return writeJSON(m.Stdout, map[string]any{"jobId": link.JobID, "file": *out, "bytes": n})
	}
	fmt.Fprintf(m.Stdout, "wrote %d bytes to %s\n", n, *out)
	return nil
}

// saveFile writes through a temporary file in the same directory, renamed
// into place once complete, so a failed download leaves no partial file.
func saveFile(path string, write func(io.Writer) (int64, error)) (int64, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return 0, fmt.Errorf("save result: %w", err)
	}
	n, err := write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return 0, fmt.Errorf("save result to %s: %w", path, err)
	}
	return n, nil
}

func (m *Main) printStatus(g *globals, st *client.Status) error {
	if g.json {
		return writeJSON(m.Stdout, st)
	}
	w := m.Stdout
	fmt.Fprintf(w, "job      %s\nstatus   %s\n", st.JobID, st.Status)
	if !st.StartDate.IsZero() {
		fmt.Fprintf(w, "started  %s\n", st.StartDate.Format(time.RFC3339Nano))
	}
	if !st.StopDate.IsZero() {
		fmt.Fprintf(w, "stopped  %s\n", st.StopDate.Format(time.RFC3339Nano))
	}
	fmt.Fprintf(w, "elapsed  %s\n", formatElapsed(st.Elapsed(m.Now())))
	if st.Error != "" || st.Cause != "" {
		fmt.Fprintf(w, "error    %s\ncause    %s\n", orNone(st.Error), orNone(st.Cause))
	}
	if len(st.Output) > 0 {
		fmt.Fprintf(w, "output   %s\n", compact(st.Output))
	}
	return nil
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }

// buildInput parses --input: a JSON object, @file holding one, or empty.
// Numbers keep their precision (a seed is an int64).
func buildInput(arg string, read func(string) ([]byte, error)) (map[string]any, error) {
	body := map[string]any{}
	if arg == "" {
		return body, nil
	}
	raw := []byte(arg)
	if name, ok := strings.CutPrefix(arg, "@"); ok {
		b, err := read(name)
		if err != nil {
			return nil, usagef("--input: %v", err)
		}
		raw = b
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		return nil, usagef("--input: want a JSON object: %v", err)
	}
	if body == nil {
		body = map[string]any{} // "null"
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, usagef("--input: want one JSON object, found more after it")
	}
	return body, nil
}

// list prints the caller's jobs: a table (or with --json one page, or with
// --all every job, as JSON).
func (m *Main) list(ctx context.Context, fs *flag.FlagSet, g *globals, args []string) error {
	status := fs.String("status", "", "only jobs in this status")
	limit := fs.Int("limit", 0, "jobs per page, 1 to 100 (default 20)")
	cursor := fs.String("cursor", "", "continue after the page that printed it")
	all := fs.Bool("all", false, "follow every page")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *limit < 0 || *limit > client.MaxListLimit {
		return usagef("--limit must be 1 to %d", client.MaxListLimit)
	}
	c, err := m.newClient(g)
	if err != nil {
		return err
	}
	opts := client.ListOptions{Status: client.JobStatus(*status), Limit: *limit, Cursor: *cursor}
	page, err := c.List(ctx, opts)
	if err != nil {
		return err
	}
	jobs := page.Jobs
	for *all && page.NextCursor != "" {
		opts.Cursor = page.NextCursor
		if page, err = c.List(ctx, opts); err != nil {
			return err
		}
		jobs = append(jobs, page.Jobs...)
	}
	if g.json {
		return writeJSON(m.Stdout, client.JobPage{Jobs: jobs, NextCursor: page.NextCursor})
	}
	w := m.Stdout
	fmt.Fprintf(w, "%-40s  %-9s  %-24s  %s\n", "JOB", "STATUS", "CREATED", "PROGRESS")
	for _, j := range jobs {
		progress := "-"
		if p := j.Progress; p != nil {
			progress = fmt.Sprintf("%s %3d%% %d/%d", progressBar(p.Percent, 10), p.Percent, p.RecordsGenerated, p.RecordsTotal)
		}
		fmt.Fprintf(w, "%-40s  %-9s  %-24s  %s\n", j.JobID, j.Status, j.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z"), progress)
	}
	if page.NextCursor != "" {
		fmt.Fprintf(w, "more: stepjobs list --cursor %s", page.NextCursor)
		if *status != "" {
			fmt.Fprintf(w, " --status %s", *status)
		}
		if *limit > 0 {
			fmt.Fprintf(w, " --limit %d", *limit)
		}
		fmt.Fprintln(w)
	}
	return nil
}
