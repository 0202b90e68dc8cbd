package lambdart

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/asyncjobs/stepjobs/internal/localaws"
)

// Config describes one function and how many processes may run it.
type Config struct {
	// Name is the function name (AWS_LAMBDA_FUNCTION_NAME).
	Name string
	// Binary is the function's bootstrap, built for this machine (Build).
	Binary string
	// Env is the function's environment (serverless.yml's, plus the
	// endpoints and credentials of the local stores); the Lambda reserved
	// variables are added to it.
	Env map[string]string
	// Timeout is the function's timeout; default 3s, Lambda's.
	Timeout time.Duration
	// MemoryMB is reported as AWS_LAMBDA_FUNCTION_MEMORY_SIZE; default 128.
	MemoryMB int
	// MaxProcesses bounds the processes running at once (Lambda's
	// concurrency); default 4. Idle processes are kept warm.
	MaxProcesses int
	// InitTimeout bounds a process's start-up; default 10s, Lambda's.
	InitTimeout time.Duration
	// Region and AccountID form the invoked function ARN.
	Region, AccountID string
	// Output receives the processes' stdout and stderr; nil discards it.
	Output io.Writer
}

// Pool runs a function's bootstrap as child processes, each with its own
// Runtime API on loopback. It implements the engine's Invoker shape
// (Invoke(ctx, payload)) and is safe for concurrent use.
type Pool struct {
	cfg   Config
	arn   string
	slots chan struct{} // one per process allowed to run an invocation

	mu      sync.Mutex
	idle    []*process
	all     map[*process]struct{}
	closed  bool
	started int // processes started, for Stats
	killed  int // processes killed on timeout or cancellation
}

// NewPool returns a pool; processes start on the first invocations.
func NewPool(cfg Config) (*Pool, error) {
	if cfg.Name == "" || cfg.Binary == "" {
		return nil, errors.New("lambdart: a function needs a Name and a Binary")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.MemoryMB <= 0 {
		cfg.MemoryMB = 128
	}
	if cfg.MaxProcesses <= 0 {
		cfg.MaxProcesses = 4
	}
	if cfg.InitTimeout <= 0 {
		cfg.InitTimeout = 10 * time.Second
	}
	if cfg.Region == "" {
		cfg.Region = localaws.DefaultRegion
	}
	if cfg.AccountID == "" {
		cfg.AccountID = localaws.DefaultAccountID
	}
	if cfg.Output == nil {
		cfg.Output = io.Discard
	}
	return &Pool{cfg: cfg, arn: fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", cfg.Region, cfg.AccountID, cfg.Name),
		slots: make(chan struct{}, cfg.MaxProcesses), all: map[*process]struct{}{}}, nil
}

// Stats counts the pool's processes.
type Stats struct {
	Started, Killed, Running, Idle int
}

// Stats returns the pool's counters.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{Started: p.started, Killed: p.killed, Running: len(p.all), Idle: len(p.idle)}
}

// ErrClosed is returned by Invoke after Close.
var ErrClosed = errors.New("lambdart: pool closed")

// Invoke runs one invocation on a warm process, or a new one when none is
// idle and fewer than MaxProcesses run. A function error is returned as
// messages.InvokeResponse_Error; ctx ending kills the process running it.
func (p *Pool) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.slots }()
	// A warm process may have exited since its last answer (aws-lambda-go
	// exits after reporting a panic); the event was not handed over then,
	// so it goes to a fresh process.
	for attempt := 0; ; attempt++ {
		proc, cold, err := p.acquire()
		if err != nil {
			return nil, err
		}
		if cold {
			if err := p.awaitInit(ctx, proc); err != nil {
				p.discard(proc, false)
				return nil, err
			}
		}
		out, keep, err := p.run(ctx, proc, payload)
		if keep {
			p.release(proc)
		} else {
			p.discard(proc, !errors.Is(err, errNotTaken))
		}
		if errors.Is(err, errNotTaken) && attempt < 2 {
			continue
		}
		if errors.Is(err, errNotTaken) {
			return nil, exitError("", proc.err)
		}
		return out, err
	}
}

// errNotTaken: the process exited before it took the event.
var errNotTaken = errors.New("lambdart: process exited before taking the event")

// ColdStart is the start-up of one process: from exec to its first
// invocation/next (init), and to the answer of its first invocation.
type ColdStart struct {
	Init, FirstInvoke time.Duration
}

// MeasureColdStart starts a fresh process of cfg's function, invokes it once
// with payload (its answer, error or not, ends the measure) and stops it.
func MeasureColdStart(ctx context.Context, cfg Config, payload []byte) (ColdStart, error) {
	cfg.MaxProcesses = 1
	p, err := NewPool(cfg)
	if err != nil {
		return ColdStart{}, err
	}
	defer p.Close()
	proc, _, err := p.acquire()
	if err != nil {
		return ColdStart{}, err
	}
	if err := p.awaitInit(ctx, proc); err != nil {
		p.discard(proc, false)
		return ColdStart{}, err
	}
	_, _, err = p.run(ctx, proc, payload)
	end := time.Now()
	if errors.Is(err, errNotTaken) {
		err = exitError("", proc.err)
	}
	p.discard(proc, false)
	var fnErr messages.InvokeResponse_Error
	if err != nil && !errors.As(err, &fnErr) {
		return ColdStart{}, err
	}
	return ColdStart{Init: proc.api.FirstNext().Sub(proc.start), FirstInvoke: end.Sub(proc.start)}, nil
}

func (p *Pool) acquire() (*process, bool, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, false, ErrClosed
	}
	if n := len(p.idle); n > 0 {
		proc := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return proc, false, nil
	}
	p.started++
	p.mu.Unlock()
	proc, err := p.spawn()
	if err != nil {
		return nil, false, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		proc.kill()
		return nil, false, ErrClosed
	}
	p.all[proc] = struct{}{}
	return proc, true, nil
}

func (p *Pool) release(proc *process) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		proc.kill()
		return
	}
	p.idle = append(p.idle, proc)
}

func (p *Pool) discard(proc *process, killed bool) {
	proc.kill()
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.all, proc)
	if killed {
		p.killed++
	}
}

// Close kills every process. Invocations in flight fail.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	procs := slices.Collect(maps.Keys(p.all))
	p.all = map[*process]struct{}{}
	p.idle = nil
	p.mu.Unlock()
	for _, proc := range procs {
		proc.kill()
	}
	return nil
}

// process is one running bootstrap with its Runtime API.
type process struct {
	api    *API
	srv    *http.Server
	cmd    *exec.Cmd
	start  time.Time
	exited chan struct{} // closed when the process has exited
	err    error         // the exit error, once exited is closed
	once   sync.Once
}

func (p *Pool) spawn() (*process, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lambdart: %s: runtime API listener: %w", p.cfg.Name, err)
	}
	api := NewAPI()
	srv := &http.Server{Handler: api.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	cmd := exec.Command(p.cfg.Binary)
	cmd.Env = Environment(p.cfg, ln.Addr().String())
	cmd.Stdout, cmd.Stderr = p.cfg.Output, p.cfg.Output
	proc := &process{api: api, srv: srv, cmd: cmd, exited: make(chan struct{})}
	proc.start = time.Now()
	if err := cmd.Start(); err != nil {
		_ = srv.Close()
		return nil, fmt.Errorf("lambdart: %s: start %s: %w", p.cfg.Name, p.cfg.Binary, err)
	}
	go func() {
		proc.err = cmd.Wait()
		close(proc.exited)
		api.Close()
	}()
	return proc, nil
}

func (proc *process) kill() {
	proc.once.Do(func() {
		proc.api.Close()
		if proc.cmd.Process != nil {
			_ = proc.cmd.Process.Kill()
		}
		<-proc.exited
		_ = proc.srv.Close()
	})
}

// awaitInit waits for a new process to ask for its first event.
func (p *Pool) awaitInit(ctx context.Context, proc *process) error {
	t := time.NewTimer(p.cfg.InitTimeout)
	defer t.Stop()
	select {
	case <-proc.api.InitDone():
		if e := proc.api.InitError(); e != nil {
			return *e
		}
		return nil
	case <-proc.exited:
		return messages.InvokeResponse_Error{Type: "Runtime.ExitError",
			Message: fmt.Sprintf("Error: Runtime exited with error: %v", exitText(proc.err))}
	case <-t.C:
		return messages.InvokeResponse_Error{Type: "Sandbox.Timedout",
			Message: fmt.Sprintf("Error: Init timed out after %.2f seconds", p.cfg.InitTimeout.Seconds())}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run hands one invocation to proc and waits for its answer. keep says
// whether proc may serve again.
func (p *Pool) run(ctx context.Context, proc *process, payload []byte) (out []byte, keep bool, err error) {
	id := requestID()
	inv := NewInvocation(id, payload, p.arn, "Root=1-"+id[:8]+"-"+id[9:13]+id[14:18]+id[19:23]+id[24:]+";Sampled=0", p.cfg.Timeout)
	stop := make(chan struct{})
	taken := make(chan bool, 1)
	go func() { taken <- proc.api.Offer(inv, stop) }()
	select {
	case ok := <-taken:
		if !ok {
			<-proc.exited
			return nil, false, errNotTaken
		}
	case <-proc.exited:
		close(stop)
		if <-taken {
			return nil, false, exitError(id, proc.err)
		}
		return nil, false, errNotTaken
	case <-ctx.Done():
		close(stop)
		return nil, false, ctx.Err()
	}
	// The runtime has the event: the function's timeout runs from here.
	timer := time.NewTimer(p.cfg.Timeout)
	defer timer.Stop()
	select {
	case o := <-inv.Done():
		return o.Payload, true, o.Err
	case <-proc.exited:
		return nil, false, exitError(id, proc.err)
	case <-timer.C:
		return nil, false, messages.InvokeResponse_Error{Type: "Sandbox.Timedout",
			Message: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", id, p.cfg.Timeout.Seconds())}
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
}

func exitError(id string, err error) error {
	return messages.InvokeResponse_Error{Type: "Runtime.ExitError",
		Message: fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", id, exitText(err))}
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// requestID is a random UUID, as Lambda's request ids are.
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Environment is a process's environment: Lambda's reserved variables for
// the function, then cfg.Env, and nothing of this process's own
// environment but PATH (a function sees only what Lambda gives it).
func Environment(cfg Config, runtimeAPI string) []string {
	env := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          runtimeAPI,
		"AWS_LAMBDA_FUNCTION_NAME":        cfg.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(cfg.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + cfg.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[$LATEST]local",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"AWS_REGION":                      cfg.Region,
		"AWS_DEFAULT_REGION":              cfg.Region,
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                "/var/task",
		"LAMBDA_RUNTIME_DIR":              "/var/runtime",
		"TZ":                              ":UTC",
		"LANG":                            "en_US.UTF-8",
		"PATH":                            "/usr/local/bin:/usr/bin:/bin:/opt/bin",
	}
	maps.Copy(env, cfg.Env)
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}
