package test

// kill -9 end to end: the real command with --data, jobs in flight, killed
// without warning, started again on the same directory. Every job ends
// SUCCEEDED, none is lost or stuck, the job table agrees, and the histories
// are readable through the Step Functions API with their ids unbroken.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/dynamo"
	"github.com/asyncjobs/stepjobs/internal/job"
)

// localProcess is the command running as a child process.
type localProcess struct {
	cmd    *exec.Cmd
	api    string
	sfn    *awssfn.Client
	stderr *syncBuffer
}

// startLocal runs bin with args and returns once it printed its URLs.
func startLocal(t *testing.T, bin string, args ...string) *localProcess {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	p := &localProcess{cmd: cmd, stderr: &syncBuffer{}}
	cmd.Stderr = p.stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }) // the process this test started, by its pid
	var printed strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		printed.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "Ctrl-C") {
			break
		}
	}
	go func() { _, _ = bufio.NewReader(stdout).WriteTo(discard{}) }()
	out := printed.String()
	api := regexp.MustCompile(`API\s+(http://\S+)`).FindStringSubmatch(out)
	sfnURL := regexp.MustCompile(`Step Functions API\s+(http://\S+)`).FindStringSubmatch(out)
	require.Len(t, api, 2, "stdout:\n%s\nstderr:\n%s", out, p.stderr.String())
	require.Len(t, sfnURL, 2, out)
	p.api = api[1]
	p.sfn = awssfn.New(awssfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(sfnURL[1]),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	return p
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// syncBuffer collects a child's stderr, safe for the copying goroutine.
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

// rt is a client of the process's API (the runtime helpers' HTTP part).
func (p *localProcess) rt() *localRuntime {
	return &localRuntime{api: p.api, http: &http.Client{Timeout: 30 * time.Second}}
}

func TestE2EKillAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the command")
	}
	// DynamoDB outside the process (a dynalite on disk), so the kill hits
	// the runtime alone; the engine's and S3's data are under --data.
	bin, args, ddb, data := durableSetup(t, "--log-level", "info",
		// Slow work keeps jobs in flight at the kill; errors put some in a retry backoff.
		"--fault", "batchSimulation:error=0.1:Lambda.ServiceException,latency=300ms", "--fault-seed", "7")
	first := startLocal(t, bin, args...)
	rt := first.rt()

	const waveA, waveB = 20, 30
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // a guard against a hang
	defer cancel()
	var arns []string
	start := func(i int) {
		resp, err := rt.tryPost(ctx, "/start-execution", []byte(fmt.Sprintf(`{"records": 3, "seed": %d}`, i)),
			"Idempotency-Key", fmt.Sprintf("durable-%02d", i))
		require.NoError(t, err)
		require.Equal(t, http.StatusAccepted, resp.Status, resp.String())
		arns = append(arns, resp.Body["executionArn"].(string))
	}
	for i := range waveA {
		start(i)
	}
	for _, arn := range arns {
		require.Equal(t, "SUCCEEDED", rt.wait(t, arn).Body["status"])
	}
	before := map[string][]string{}
	for _, arn := range arns {
		before[arn] = historyTypes(t, ctx, first.sfn, arn)
	}
	for i := waveA; i < waveA+waveB; i++ {
		start(i)
	}
	// Every job of the second wave was answered, so it is on disk; most are
	// in Track or Simulate now.
	require.NoError(t, first.cmd.Process.Signal(syscall.SIGKILL))
	_ = first.cmd.Wait()

	began := time.Now()
	select {
	case <-ddb.srv.Exited():
		require.FailNow(t, "dynalite exited", "%s", ddb.log.String())
	default:
	}
	second := startLocal(t, bin, args...)
	t.Logf("restart to ready: %s (includes dynalite-free start-up and loading the engine file)", time.Since(began))
	rt2 := second.rt()
	reinvoked := 0
	for i, arn := range arns {
		done := rt2.wait(t, arn)
		require.Equal(t, "SUCCEEDED", done.Body["status"], "job %d: %s", i, done)
		types := historyTypes(t, ctx, second.sfn, arn)
		if i < waveA {
			assert.Equal(t, before[arn], types, "a finished job's history is unchanged")
		}
		scheduled, failed := 0, 0
		for _, typ := range types {
			switch typ {
			case "LambdaFunctionScheduled":
				scheduled++
			case "LambdaFunctionFailed":
				failed++
			}
		}
		if scheduled > 3+failed {
			reinvoked++
		}
	}
	t.Logf("jobs with a task invoked again after the kill: %d of %d in flight", reinvoked, waveB)
	assert.Contains(t, second.stderr.String(), `"msg":"resumed running executions"`)

	// None lost: the Step Functions API lists exactly these executions.
	sms, err := second.sfn.ListStateMachines(ctx, &awssfn.ListStateMachinesInput{})
	require.NoError(t, err)
	require.Len(t, sms.StateMachines, 1)
	list, err := second.sfn.ListExecutions(ctx, &awssfn.ListExecutionsInput{StateMachineArn: sms.StateMachines[0].StateMachineArn, MaxResults: 1000})
	require.NoError(t, err)
	var listed []string
	for _, ex := range list.Executions {
		listed = append(listed, aws.ToString(ex.ExecutionArn))
		assert.Equal(t, "SUCCEEDED", string(ex.Status))
	}
	assert.ElementsMatch(t, arns, listed)

	// The job table agrees with every execution.
	store := ddb.jobs()
	for _, arn := range arns {
		rec, err := store.Get(ctx, arn[strings.LastIndex(arn, ":")+1:])
		require.NoError(t, err)
		assert.Equal(t, job.StatusSucceeded, rec.Status, arn)
		assert.Equal(t, arn, rec.ExecutionARN)
		assert.NotNil(t, rec.Result)
	}

	require.NoError(t, second.cmd.Process.Signal(syscall.SIGTERM))
	assert.NoError(t, second.cmd.Wait(), "a clean stop after the restart; stderr:\n%s", tail(second.stderr.String(), 2000))
	_, err = os.Stat(filepath.Join(data, "stepfunctions.bolt"))
	assert.NoError(t, err)
}

// TestE2EKillDuringStarts: kill -9 while a hundred starts are in flight.
// After the restart, a job record exists exactly for the executions that
// exist, and every one of them ends SUCCEEDED in both. A start that runs
// its first task (Track writes the record) before the start is on disk
// leaves a record RUNNING for an execution the restart does not know
// (issue 12); every start that was answered 202 is there.
func TestE2EKillDuringStarts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the command")
	}
	bin, args, ddb, _ := durableSetup(t, "--log-level", "warn")
	first := startLocal(t, bin, args...)
	rt := first.rt()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // a guard against a hang
	defer cancel()

	const n = 100
	keys := make([]string, n)
	answered := make([]bool, n)
	var mu sync.Mutex
	got := 0
	enough := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		keys[i] = fmt.Sprintf("kill-start-%03d", i)
		wg.Go(func() {
			resp, err := rt.tryPost(ctx, "/start-execution", []byte(`{"records": 3}`), "Idempotency-Key", keys[i])
			if err != nil || resp.Status != http.StatusAccepted {
				return // cut off by the kill
			}
			mu.Lock()
			defer mu.Unlock()
			answered[i] = true
			if got++; got == 10 {
				close(enough)
			}
		})
	}
	// Killed with some starts answered and most in flight, whatever the
	// machine's speed.
	select {
	case <-enough:
	case <-time.After(30 * time.Second):
		require.FailNow(t, "ten starts were not answered in 30 s")
	}
	require.NoError(t, first.cmd.Process.Signal(syscall.SIGKILL))
	_ = first.cmd.Wait()
	wg.Wait()

	second := startLocal(t, bin, args...)
	rt2 := second.rt()
	sms, err := second.sfn.ListStateMachines(ctx, &awssfn.ListStateMachinesInput{})
	require.NoError(t, err)
	require.Len(t, sms.StateMachines, 1)
	execPrefix := strings.Replace(aws.ToString(sms.StateMachines[0].StateMachineArn), ":stateMachine:", ":execution:", 1) + ":"
	store := ddb.jobs()
	exist := 0
	for i, key := range keys {
		id := rt2.ownerPrefix() + "-" + key
		arn := execPrefix + id
		_, derr := second.sfn.DescribeExecution(ctx, &awssfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		var missing *sfntypes.ExecutionDoesNotExist
		if errors.As(derr, &missing) {
			assert.False(t, answered[i], "%s was answered 202 and is lost", key)
			_, gerr := store.Get(ctx, id)
			assert.ErrorIs(t, gerr, job.ErrNotFound, "%s: a job record for an execution that does not exist", key)
			continue
		}
		require.NoError(t, derr, key)
		exist++
		assert.Equal(t, "SUCCEEDED", rt2.wait(t, arn).Body["status"], key)
		rec, gerr := store.Get(ctx, id)
		if assert.NoError(t, gerr, key) {
			assert.Equal(t, job.StatusSucceeded, rec.Status, key)
			assert.Equal(t, arn, rec.ExecutionARN)
		}
	}
	t.Logf("executions after the kill: %d of %d starts (answered before it: at least 10)", exist, n)
	require.NoError(t, second.cmd.Process.Signal(syscall.SIGTERM))
	assert.NoError(t, second.cmd.Wait(), "stderr:\n%s", tail(second.stderr.String(), 2000))
}

// historyTypes reads a whole history through the SDK, checking that its
// ids run 1..n.
func historyTypes(t *testing.T, ctx context.Context, c *awssfn.Client, arn string) []string {
	t.Helper()
	var types []string
	p := awssfn.NewGetExecutionHistoryPaginator(c, &awssfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 100})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		require.NoError(t, err)
		for _, ev := range page.Events {
			require.Equal(t, int64(len(types)+1), ev.Id, "event ids run 1..n")
			types = append(types, string(ev.Type))
		}
	}
	return types
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// TestE2ERestartDeliversWhatWasCutShort: the one scan left. A job fails
// while DynamoDB is down, so neither Track nor RecordFailure can write and
// the status change rule's delivery ends in the dead-letter queue; the
// runtime is killed before a redrive succeeds. After a restart with the
// same data (and DynamoDB back), the delivery the ledger does not list is
// made again, and the record says FAILED with the execution's error.
func TestE2ERestartDeliversWhatWasCutShort(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the command")
	}
	bin, args, ddb, data := durableSetup(t, "--log-level", "info")
	first := startLocal(t, bin, args...)
	rt := first.rt()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // a guard against a hang
	defer cancel()

	ddb.stop(t)
	resp, err := rt.tryPost(ctx, "/start-execution", []byte(`{"records": 3}`), "Idempotency-Key", "cut-short")
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, resp.Status, resp.String())
	arn := resp.Body["executionArn"].(string)
	done := rt.wait(t, arn)
	require.Equal(t, "FAILED", done.Body["status"], "Track and RecordFailure could not write: %s", done)
	require.Eventually(t, func() bool {
		return strings.Contains(first.stderr.String(), "sent to the dead-letter queue")
	}, time.Minute, 50*time.Millisecond, "the delivery failed its retries")
	require.NoError(t, first.cmd.Process.Signal(syscall.SIGKILL))
	_ = first.cmd.Wait()

	ddb.restart(t)
	second := startLocal(t, bin, args...)
	store := ddb.jobs()
	id := arn[strings.LastIndex(arn, ":")+1:]
	var rec job.Job
	require.Eventually(t, func() bool {
		rec, err = store.Get(ctx, id)
		return err == nil && rec.Status == job.StatusFailed
	}, time.Minute, 100*time.Millisecond, "the record ends FAILED (last: %+v, %v)", rec, err)
	assert.Equal(t, arn, rec.ExecutionARN)
	assert.Equal(t, done.Body["error"], rec.Error, "the execution's error")
	assert.Contains(t, second.stderr.String(), `"msg":"delivering the status changes a stop cut short","count":1`)

	// A clean stop, then a third start: nothing is delivered again.
	require.NoError(t, second.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, second.cmd.Wait(), "stderr:\n%s", tail(second.stderr.String(), 2000))
	ledger, err := os.ReadFile(filepath.Join(data, "eventbridge.log"))
	require.NoError(t, err)
	// The job has no callbackUrl, so the callback rule does not take it.
	assert.Equal(t, []string{"statusUpdate " + arn + " FAILED"}, strings.Split(strings.TrimSpace(string(ledger)), "\n"))
	third := startLocal(t, bin, args...)
	require.NoError(t, third.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, third.cmd.Wait())
	assert.NotContains(t, third.stderr.String(), "delivering the status changes a stop cut short")
}

// durableSetup builds the command and starts a dynalite outside it; args
// run the command on a data directory (data) and that dynalite, with
// extra flags, so a kill -9 hits the runtime alone.
func durableSetup(t *testing.T, extra ...string) (bin string, args []string, ddb *outageDynamoDB, data string) {
	t.Helper()
	root, bin := buildLocal(t)
	ddb = startOutageDynamoDB(t)
	data = t.TempDir()
	args = append([]string{"--port", "0", "--sfn-port", "0", "--s3-port", "0", "--sqs-port", "0", "--sns-port", "0", "--dir", root, "--data", data,
		"--dynamodb-endpoint", ddb.endpoint}, extra...)
	return bin, args, ddb, data
}

// jobs is the job table in the dynalite.
func (d *outageDynamoDB) jobs() *dynamo.Store {
	return dynamo.New(dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(d.endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}), "stepjobs-dev-jobs")
}

// buildLocal builds the local runtime's command; it returns the project
// root and the binary.
func buildLocal(t *testing.T) (root, bin string) {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	bin = filepath.Join(t.TempDir(), "stepjobs-local")
	build := exec.Command("go", "build", "-o", bin, "./cmd/stepjobs-local")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return root, bin
}
