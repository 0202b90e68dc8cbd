package loadtest

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/offline"
)

// startRuntime starts the local runtime in this process on free ports.
func startRuntime(t *testing.T) *offline.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the local runtime (dynalite)")
	}
	cfg := offline.DefaultConfig()
	cfg.Dir = "../.."
	cfg.APIPort, cfg.SFNPort, cfg.S3Port, cfg.DynamoDBPort, cfg.SQSPort, cfg.SNSPort = 0, 0, 0, 0, 0, 0
	srv, err := offline.Start(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	})
	return srv
}

func table(srv *offline.Server) Table {
	u, res := srv.URLs(), srv.Resources()
	c := dynamodb.New(dynamodb.Options{Region: res.Region, BaseEndpoint: aws.String(u.DynamoDB),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	return Table{API: c, Name: res.Tables["JobsTable"]}
}

// tamper answers every record as RUNNING, so the check has something to find.
type tamper struct{ Table }

func (t tamper) JobStatuses(ctx context.Context) (map[string]string, error) {
	m, err := t.Table.JobStatuses(ctx)
	for id := range m {
		m[id] = "RUNNING"
	}
	return m, err
}

func TestRunJobs(t *testing.T) {
	srv := startRuntime(t)
	token, err := srv.DevToken("loadtest", time.Hour, nil)
	require.NoError(t, err)
	auth := map[string]string{"Authorization": "Bearer " + token}
	tests := []struct {
		name       string
		jobs       int
		body       string
		records    func(Table) RecordSource
		wantStatus string
		wantLost   int
	}{
		{"succeed", 300, `{"records": 5}`, func(t Table) RecordSource { return t }, "SUCCEEDED", 0},
		{"fail and recorded so", 40, `{"records": 5, "simulateFailure": "permanent"}`, func(t Table) RecordSource { return t }, "FAILED", 0},
		{"a record that disagrees is counted", 20, `{"records": 1}`, func(t Table) RecordSource { return tamper{t} }, "SUCCEEDED", 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := RunJobs(t.Context(), JobOptions{API: srv.URLs().API, Headers: auth, Jobs: tc.jobs, Concurrency: 16,
				Body: tc.body, Records: tc.records(table(srv))})
			require.NoError(t, err)
			assert.Equal(t, map[string]int{tc.wantStatus: tc.jobs}, r.Statuses)
			assert.Equal(t, tc.wantLost, r.Lost())
			assert.Equal(t, 0, r.StartErrors)
			assert.Equal(t, tc.jobs, r.Start.Count)
			assert.GreaterOrEqual(t, r.Describe.Count, tc.jobs)
			assert.True(t, r.Checked)
			assert.Positive(t, r.JobRate)
		})
	}
}

func TestRunWaits(t *testing.T) {
	srv := startRuntime(t)
	u, res := srv.URLs(), srv.Resources()
	c := sfn.New(sfn.Options{Region: res.Region, BaseEndpoint: aws.String(u.StepFunctions),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	r, err := RunWaits(t.Context(), WaitOptions{SFN: c, Executions: 1000, Concurrency: 16, PID: os.Getpid()})
	require.NoError(t, err)
	assert.Equal(t, 1000, r.Running, "every execution is still waiting")
	assert.Positive(t, r.After.RSS)
	assert.GreaterOrEqual(t, r.After.Peak, r.After.RSS)
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Memory
		wantErr bool
	}{
		{"linux", "Name:\tx\nVmPeak:\t  900 kB\nVmHWM:\t   2048 kB\nVmRSS:\t   1024 kB\nThreads:\t5\n", Memory{RSS: 1 << 20, Peak: 2 << 20}, false},
		{"kernel thread", "Name:\tkthreadd\nThreads:\t1\n", Memory{}, true},
		{"bad unit", "VmHWM:\t 1 MB\nVmRSS:\t 1 kB\n", Memory{}, true},
		{"negative", "VmHWM:\t -1 kB\nVmRSS:\t 1 kB\n", Memory{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseStatus([]byte(tc.in))
			if tc.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestReadMemorySelf(t *testing.T) {
	m, err := ReadMemory(os.Getpid())
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	assert.Positive(t, m.RSS)
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte("VmHWM:\t 2 kB\nVmRSS:\t 1 kB\n"))
	f.Add([]byte("VmRSS: x kB"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseStatus(b)
		if err == nil && (m.RSS < 0 || m.Peak < 0) {
			t.Fatalf("negative memory %+v from %q", m, b)
		}
	})
}

func TestPercentile(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		var out []time.Duration
		for _, v := range n {
			out = append(out, time.Duration(v)*time.Millisecond)
		}
		return out
	}
	tests := []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"median of 4", ms(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{"p99 of 100", ms(make([]int, 99)...), 0.99, 0},
		{"max", ms(1, 2, 9), 1, 9 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, percentile(tc.in, tc.p)) })
	}
}

func TestParentPID(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
		ok   bool
	}{
		{"plain", "123 (node) S 45 123 45 0", 45, true},
		{"comm with spaces and parens", "7 (a) b (c)) R 1 7 7 0", 1, true},
		{"truncated", "7 (x) R", 0, false},
		{"no comm", "garbage", 0, false},
		{"out of range (fuzz finding)", ")0 10000000000000000000", 0, false},
		{"negative", "1 (x) S -5 1 1", 0, false},
		{"kernel thread's parent", "2 (kthreadd) S 0 0 0", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParentPID([]byte(tc.in))
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, got)
		})
	}
}

func FuzzParentPID(f *testing.F) {
	f.Add([]byte("1 (init) S 0 1 1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, ok := ParentPID(b)
		if !ok && n != 0 {
			t.Fatalf("%d without ok", n)
		}
		if ok && n < 0 {
			t.Fatalf("negative parent PID %d", n)
		}
	})
}

func TestChildren(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep: %v", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	assert.Contains(t, Children(os.Getpid()), cmd.Process.Pid)
}

// The report's machine line says the load, CPUs and Go version a run had.
func TestMachineLine(t *testing.T) {
	m := ThisMachine()
	assert.Positive(t, m.CPUs)
	assert.True(t, strings.HasPrefix(m.Go, "go"), m.Go)
	var b strings.Builder
	Machine{LoadAvg: "0.50 0.40 0.30", CPUs: 2, Go: "go1.26.8", OSArch: "linux/amd64"}.Print(&b)
	assert.Equal(t, "machine            load average 0.50 0.40 0.30, 2 CPUs, go1.26.8, linux/amd64\n", b.String())
}

func TestParseCPU(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Duration
		ok   bool
	}{
		// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
		{"node", "81 (node) S 80 80 1 0 -1 4194560 9017 0 0 0 1234 56 0 0 20 0 11", 12900 * time.Millisecond, true},
		{"comm with spaces and parens", "7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 3 4", 70 * time.Millisecond, true},
		{"truncated before stime", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 3", 0, false},
		{"no comm", "garbage", 0, false},
		{"negative", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 -3 4", 0, false},
		{"overflow", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 99999999999999999999 4", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseCPU([]byte(tc.in))
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, got)
		})
	}
}

func FuzzParseCPU(f *testing.F) {
	f.Add([]byte("81 (node) S 80 80 1 0 -1 4194560 9017 0 0 0 1234 56 0 0 20 0 11"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, ok := ParseCPU(b)
		if !ok && d != 0 {
			t.Fatalf("%v without ok", d)
		}
		if d < 0 {
			t.Fatalf("negative CPU time %v", d)
		}
	})
}

// This process's own CPU time is read back from /proc, as the runtime's is.
func TestReadCPU(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc (not Linux)")
	}
	d, err := ReadCPU(os.Getpid())
	require.NoError(t, err)
	assert.Positive(t, d)
	_, err = ReadCPU(-1)
	assert.Error(t, err)
}

func TestPrintCPUPerJob(t *testing.T) {
	before := cpuSample{self: time.Second, runtime: 2 * time.Second, children: map[int]childCPU{
		10: {"node", time.Second},
	}}
	after := cpuSample{self: 3 * time.Second, runtime: 8 * time.Second, children: map[int]childCPU{
		10: {"node", 5 * time.Second},
		11: {"bootstrap", time.Second}, // started during the run
		12: {"bootstrap", time.Second},
	}}
	var b strings.Builder
	printCPUPerJob(&b, before, after, 1000)
	assert.Equal(t, "cpu per job        runtime 6.00 ms, bootstrap 2.00 ms, node 4.00 ms, load generator 2.00 ms\n", b.String())

	b.Reset()
	printCPUPerJob(&b, before, after, 0)
	assert.Empty(t, b.String(), "no jobs, no figure")
}
