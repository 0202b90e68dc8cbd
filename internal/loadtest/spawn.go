package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runtimeTarget is where a runtime answers.
type runtimeTarget struct {
	api, sfn, dynamodb string
	pid                int
}

// spawned is a runtime Command.Run started.
type spawned struct {
	target runtimeTarget
	cmd    *exec.Cmd
	exited chan struct{}
}

// spawn builds (unless c.Binary) and starts the local runtime on free
// loopback ports, and waits until it is ready.
func spawn(ctx context.Context, c Command, stderr io.Writer) (*spawned, error) {
	dir, err := filepath.Abs(c.Dir)
	if err != nil {
		return nil, fmt.Errorf("project directory: %w", err)
	}
	bin := c.Binary
	if bin == "" {
		bin = filepath.Join(dir, "bin", "stepjobs-local")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/stepjobs-local")
		build.Dir, build.Stdout, build.Stderr = dir, stderr, stderr
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("build the runtime: %w", err)
		}
	}
	ports, err := freePorts(4)
	if err != nil {
		return nil, err
	}
	args := []string{"--dir", dir, "--port", ports[0], "--sfn-port", ports[1], "--s3-port", ports[2],
		"--dynamodb-port", ports[3], "--sqs-port", "0", "--sns-port", "0", "--log-level", "warn"}
	args = append(args, strings.Fields(c.RuntimeFlags)...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = io.Discard, stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &spawned{cmd: cmd, exited: make(chan struct{}), target: runtimeTarget{
		api: "http://127.0.0.1:" + ports[0], sfn: "http://127.0.0.1:" + ports[1],
		dynamodb: "http://127.0.0.1:" + ports[3], pid: cmd.Process.Pid}}
	go func() { _ = cmd.Wait(); close(s.exited) }()
	if err := s.awaitReady(ctx); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *spawned) awaitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.target.api+"/__ready", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return errors.New("the runtime exited before it was ready")
		case <-ctx.Done():
			return fmt.Errorf("wait for the runtime: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// stop asks the runtime to shut down, and kills it if it has not within 20s.
func (s *spawned) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// freePorts asks the kernel for n free loopback ports. They are released
// before the runtime binds them: another process could take one in
// between, which the runtime then reports.
func freePorts(n int) ([]string, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}()
	var ports []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	return ports, nil
}
