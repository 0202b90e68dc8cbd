// Package dynalite runs dynalite, the DynamoDB emulator from npm, as a
// child process on a loopback port. The DynamoDB adapter's tests start one
// per package run, and the local runtime starts one to hold its jobs.
//
// dynalite comes from the project's node_modules (package.json pins it), so
// `npm ci` must have run; Start says so when it has not.
package dynalite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/asyncjobs/stepjobs/internal/localaws"
	"github.com/asyncjobs/stepjobs/internal/syncbuf"
)

// Options configure Start. The zero value runs an in-memory dynalite on a
// free port, found from the working directory.
type Options struct {
	// Root is the project root, the directory holding node_modules. Empty:
	// the nearest directory at or above the working directory with a go.mod.
	Root string
	// Path is a directory where dynalite keeps its data (LevelDB). Empty:
	// data lives in memory and is gone when the server stops.
	Path string
	// Port to listen on at 127.0.0.1. Zero: a free port.
	Port int
	// Log receives dynalite's own output (stdout and stderr, written from
	// other goroutines, so it must be safe for concurrent use). Nil: discarded.
	Log io.Writer
}

// Server is a running dynalite.
type Server struct {
	endpoint string
	cmd      *exec.Cmd
	// lifeline is dynalite's stdin, held open for its life: node exits when
	// it closes, which the OS does when this process dies, even by SIGKILL,
	// so no orphan keeps the port and the LevelDB lock.
	lifeline io.WriteCloser
	done     chan struct{} // closed when the process has exited
	waitErr  error         // set before done is closed
	stopOnce sync.Once
	stopErr  error
}

// startTimeout bounds startup when the caller's context has no deadline.
const startTimeout = 30 * time.Second

// Start runs dynalite and returns once it accepts requests. Stop it with
// Stop. ctx bounds the startup only, not the server's life.
func Start(ctx context.Context, opts Options) (*Server, error) {
	root := opts.Root
	if root == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("dynalite: %w", err)
		}
		if root, err = FindRoot(wd); err != nil {
			return nil, fmt.Errorf("dynalite: %w", err)
		}
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("dynalite: node not found in PATH (install Node.js 20 or later, then run npm ci): %w", err)
	}
	cli := filepath.Join(root, "node_modules", "dynalite", "cli.js")
	if _, err := os.Stat(cli); err != nil {
		return nil, fmt.Errorf("dynalite: %s is missing: run npm ci in %s: %w", cli, root, err)
	}
	if opts.Path != "" {
		// Absolute, because dynalite runs in the project root, not here.
		if opts.Path, err = filepath.Abs(opts.Path); err != nil {
			return nil, fmt.Errorf("dynalite: data directory: %w", err)
		}
		if err := os.MkdirAll(opts.Path, 0o755); err != nil {
			return nil, fmt.Errorf("dynalite: data directory: %w", err)
		}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}
	if opts.Path != "" {
		return startOnPath(ctx, opts, func() (*Server, error) { return startOnPort(ctx, node, cli, root, opts) })
	}
	return startOnPort(ctx, node, cli, root, opts)
}

// pathAttempts is how many times Start tries a data directory whose
// previous holder is still letting go of it.
const pathAttempts = 3

// startOnPath starts dynalite on a data directory: once no other process
// holds its lock, and then only as served when a first request succeeds. A
// dynalite that opens the directory while another still holds it listens,
// then dies at its first request ("Database is not open"); the holder is
// usually the dynalite of a runtime killed a moment ago, which exits as
// soon as it sees its lifeline close.
func startOnPath(ctx context.Context, opts Options, start func() (*Server, error)) (*Server, error) {
	var last error
	for range pathAttempts {
		if err := waitUnlocked(ctx, opts.Path); err != nil {
			return nil, err
		}
		s, err := start()
		if err != nil {
			return nil, err
		}
		probe, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err = s.Client().ListTables(probe, &dynamodb.ListTablesInput{Limit: aws.Int32(1)})
		cancel()
		if err == nil {
			return s, nil
		}
		last = fmt.Errorf("dynalite: first request on %s: %w", opts.Path, err)
		_ = s.Stop()
		select {
		case <-ctx.Done():
			return nil, last
		case <-time.After(lockPoll):
		}
	}
	return nil, last
}

// startOnPort starts dynalite on opts.Port, or on a free port.
func startOnPort(ctx context.Context, node, cli, root string, opts Options) (*Server, error) {
	// A free port can be taken by someone else before dynalite binds it:
	// try a few when the port is ours to choose.
	attempts := 1
	if opts.Port == 0 {
		attempts = 5
	}
	for i := 0; ; i++ {
		port := opts.Port
		if port == 0 {
			var err error
			if port, err = freePort(); err != nil {
				return nil, fmt.Errorf("dynalite: %w", err)
			}
		}
		s, err := start(ctx, node, cli, root, port, opts)
		if err == nil || !errors.Is(err, errAddrInUse) || i+1 >= attempts {
			return s, err
		}
	}
}

var errAddrInUse = errors.New("address in use")

// ErrDataInUse is a data directory another dynalite still holds.
var ErrDataInUse = errors.New("dynalite: the data directory is held by another dynalite")

// lockPoll is how often Start looks whether the data directory is free.
const lockPoll = 20 * time.Millisecond

// waitUnlocked waits until no other process holds the data directory's
// LevelDB lock. A second dynalite on a held directory listens, then dies
// at its first request ("Database is not open"); the one holding it is
// usually the dynalite of a runtime killed a moment ago, which exits as
// soon as it sees its lifeline close.
func waitUnlocked(ctx context.Context, dir string) error {
	for {
		held, err := lockHeld(dir)
		if err != nil {
			return fmt.Errorf("dynalite: data directory lock: %w", err)
		}
		if !held {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (%s): %w", ErrDataInUse, dir, ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}

// preload is loaded by node before dynalite. It ends the process when its
// stdin (Server.lifeline) closes. And it keeps a request that its client
// gave up on (a task timeout, a stopping runtime) from ending the process:
// dynalite rethrows the request's socket error (ECONNRESET, "aborted"),
// which, uncaught, would stop Node and lose every table in memory.
const preload = `data:text/javascript,process.stdin.on("end",()=>process.exit(0));process.stdin.resume();` +
	`process.on("uncaughtException",e=>{if(e&&e.code==="ECONNRESET")return;console.error(e);process.exit(1)});`

func start(ctx context.Context, node, cli, root string, port int, opts Options) (*Server, error) {
	args := []string{"--import", preload, cli, "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		// Tables are usable at once: nothing here models the delays of AWS.
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"}
	if opts.Path != "" {
		args = append(args, "--path", opts.Path)
	}
	cmd := exec.Command(node, args...)
	cmd.Dir = root
	setProcessGroup(cmd)
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	var stderr syncbuf.Buffer // written by exec's copier goroutine
	cmd.Stderr = io.MultiWriter(&stderr, logw)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("dynalite: %w", err)
	}
	lifeline, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("dynalite: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("dynalite: start node: %w", err)
	}
	s := &Server{endpoint: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, lifeline: lifeline, done: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		// dynalite prints one line once it listens; the rest goes to the log.
		sc := bufio.NewScanner(stdout)
		signalled := false
		for sc.Scan() {
			fmt.Fprintln(logw, sc.Text())
			if !signalled && strings.Contains(sc.Text(), "listening at") {
				close(ready)
				signalled = true
			}
		}
		_, _ = io.Copy(logw, stdout) // drain if the scanner stopped on a long line
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	select {
	case <-ready:
		return s, nil
	case <-s.done:
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "EADDRINUSE") {
			return nil, fmt.Errorf("dynalite: port %d: %w", port, errAddrInUse)
		}
		return nil, fmt.Errorf("dynalite exited before listening (%v): %s", s.waitErr, msg)
	case <-ctx.Done():
		_ = s.Stop()
		return nil, fmt.Errorf("dynalite: waiting for it to listen: %w", ctx.Err())
	}
}

// Endpoint is the server's base URL, for a DynamoDB client's BaseEndpoint.
func (s *Server) Endpoint() string { return s.endpoint }

// stopGrace is how long dynalite gets to exit after SIGTERM.
const stopGrace = 5 * time.Second

// Stop ends the server (its whole process group) and waits for it to exit.
// It is safe to call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		select {
		case <-s.done:
			s.stopErr = fmt.Errorf("dynalite had already exited: %v", s.waitErr)
			return
		default:
		}
		if err := terminate(s.cmd); err != nil {
			s.stopErr = fmt.Errorf("dynalite: stop: %w", err)
		}
		_ = s.lifeline.Close()
		select {
		case <-s.done:
		case <-time.After(stopGrace):
			_ = kill(s.cmd)
			<-s.done
		}
	})
	return s.stopErr
}

// Exited is closed once the dynalite process has exited.
func (s *Server) Exited() <-chan struct{} { return s.done }

// NewClient returns a DynamoDB client for a dynalite endpoint, with the
// local runtime's loopback options (localaws.LoopbackDynamoDB). dynalite
// does not check signatures, but the SDK needs credentials and a region.
func NewClient(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	}, localaws.LoopbackDynamoDB)
}

// Client returns a DynamoDB client for this server.
func (s *Server) Client() *dynamodb.Client { return NewClient(s.endpoint) }

// FindRoot returns the nearest directory at or above dir holding a go.mod.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("find project root: %w", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("find project root: no go.mod at or above %s", dir)
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
