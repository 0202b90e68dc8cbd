package dynalite_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/dynalite"
	"github.com/asyncjobs/stepjobs/internal/syncbuf"
)

func TestStartCreateTableStop(t *testing.T) {
	ctx := t.Context()
	var log syncbuf.Buffer // read while the copier writes it
	s, err := dynalite.Start(ctx, dynalite.Options{Log: &log})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(s.Endpoint(), "http://127.0.0.1:"), s.Endpoint())

	client := s.Client()
	require.NoError(t, dynalite.CreateJobsTable(ctx, client, "jobs"))
	// Creating it again is not an error: a persistent store keeps its tables.
	require.NoError(t, dynalite.CreateJobsTable(ctx, client, "jobs"))

	out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("jobs")})
	require.NoError(t, err)
	assert.Equal(t, types.TableStatusActive, out.Table.TableStatus)
	assert.Equal(t, []types.KeySchemaElement{{AttributeName: aws.String("jobId"), KeyType: types.KeyTypeHash}}, out.Table.KeySchema)
	assert.Equal(t, []types.AttributeDefinition{{AttributeName: aws.String("jobId"), AttributeType: types.ScalarAttributeTypeS}}, out.Table.AttributeDefinitions)
	require.NotNil(t, out.Table.BillingModeSummary)
	assert.Equal(t, types.BillingModePayPerRequest, out.Table.BillingModeSummary.BillingMode)

	require.NoError(t, s.Stop())
	require.NoError(t, s.Stop(), "a second Stop is harmless")
	select {
	case <-s.Exited():
	default:
		t.Fatal("the process is still running after Stop")
	}
	_, err = net.Dial("tcp", strings.TrimPrefix(s.Endpoint(), "http://"))
	assert.Error(t, err, "nothing listens after Stop")
	assert.Contains(t, log.String(), "listening at")
}

func TestPersistentPathKeepsTables(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "data")
	s, err := dynalite.Start(ctx, dynalite.Options{Path: dir})
	require.NoError(t, err)
	require.NoError(t, dynalite.CreateJobsTable(ctx, s.Client(), "jobs"))
	require.NoError(t, s.Stop())

	s, err = dynalite.Start(ctx, dynalite.Options{Path: dir})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Stop()) })
	out, err := s.Client().ListTables(ctx, &dynamodb.ListTablesInput{})
	require.NoError(t, err)
	assert.Equal(t, []string{"jobs"}, out.TableNames)
}

func TestStartErrors(t *testing.T) {
	noModules := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(noModules, "go.mod"), []byte("module x\n"), 0o644))
	root, err := dynalite.FindRoot(".")
	require.NoError(t, err)

	tests := []struct {
		name string
		opts dynalite.Options
		path string // PATH for the test; "" keeps it
		want string
	}{
		{name: "no node_modules", opts: dynalite.Options{Root: noModules}, want: "run npm ci"},
		{name: "no node", opts: dynalite.Options{Root: root}, path: t.TempDir(), want: "node not found in PATH"},
		{name: "port taken", opts: dynalite.Options{Root: root, Port: takenPort(t)}, want: "address in use"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.path != "" {
				t.Setenv("PATH", tc.path)
			}
			s, err := dynalite.Start(t.Context(), tc.opts)
			if s != nil {
				_ = s.Stop()
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestFindRoot(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "go.mod"), []byte("module x\n"), 0o644))
	deep := filepath.Join(root, "a", "b")
	require.NoError(t, os.MkdirAll(deep, 0o755))

	got, err := dynalite.FindRoot(deep)
	require.NoError(t, err)
	assert.Equal(t, root, got)

	got, err = dynalite.FindRoot(root)
	require.NoError(t, err)
	assert.Equal(t, root, got)

	_, err = dynalite.FindRoot("/")
	assert.ErrorContains(t, err, "no go.mod")
}

// takenPort returns a port something already listens on.
func takenPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// A relative data path is relative to the caller's directory, not to the
// project root dynalite runs in.
func TestRelativePath(t *testing.T) {
	root, err := dynalite.FindRoot(".")
	require.NoError(t, err)
	dir := t.TempDir()
	t.Chdir(dir)
	s, err := dynalite.Start(t.Context(), dynalite.Options{Root: root, Path: "data"})
	require.NoError(t, err)
	require.NoError(t, dynalite.CreateJobsTable(t.Context(), s.Client(), "jobs"))
	require.NoError(t, s.Stop())
	entries, err := os.ReadDir(filepath.Join(dir, "data"))
	require.NoError(t, err)
	assert.NotEmpty(t, entries, "dynalite wrote its LevelDB files here")
}

// A data directory another dynalite still holds (that of a runtime killed
// a moment ago) is waited for: a second dynalite on it would listen, then
// die at its first request. Start waits for the lock, or says why not.
func TestStartWaitsForAHeldDataDirectory(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "data")
	first, err := dynalite.Start(ctx, dynalite.Options{Path: dir})
	require.NoError(t, err)
	require.NoError(t, dynalite.CreateJobsTable(ctx, first.Client(), "jobs")) // LevelDB is open and locked now

	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_, err = dynalite.Start(short, dynalite.Options{Path: dir})
	require.ErrorIs(t, err, dynalite.ErrDataInUse)

	released := make(chan error, 1)
	go func() {
		time.Sleep(200 * time.Millisecond)
		released <- first.Stop()
	}()
	second, err := dynalite.Start(ctx, dynalite.Options{Path: dir})
	require.NoError(t, err)
	require.NoError(t, <-released)
	defer func() { require.NoError(t, second.Stop()) }()
	out, err := second.Client().ListTables(ctx, &dynamodb.ListTablesInput{})
	require.NoError(t, err, "the second dynalite serves the directory")
	assert.Equal(t, []string{"jobs"}, out.TableNames)
}
