package console

import (
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/job/jobtest"
	localsfn "github.com/asyncjobs/stepjobs/internal/sfn"
	"github.com/asyncjobs/stepjobs/internal/sfnapi"
)

// localEngine is the local Step Functions engine with the project's
// definition, fake handlers, and its JSON 1.0 API on httptest.
type localEngine struct {
	eng    *localsfn.Engine
	clock  *localsfn.FakeClock
	client *sfn.Client
	smARN  string
	jobs   *jobtest.FakeJobTable
	// hold, when set, makes Track wait for it on inputs with "hold": true;
	// holding is signalled when it starts waiting.
	hold    chan struct{}
	holding chan struct{}
}

var epoch = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func newLocalEngine(t *testing.T) *localEngine {
	t.Helper()
	return newLocalEngineWith(t, "../../statemachine/jobs.asl.json")
}

// newLocalEngineWith is newLocalEngine with the definition at defPath,
// and invokers for more resources, as extra registers them.
func newLocalEngineWith(t *testing.T, defPath string, extra ...func(*localsfn.Registry)) *localEngine {
	t.Helper()
	def, err := os.ReadFile(defPath)
	require.NoError(t, err)
	le := &localEngine{clock: localsfn.NewFakeClock(epoch), jobs: jobtest.NewFakeJobTable()}
	reg := localsfn.NewRegistry()
	le.holding = make(chan struct{}, 1)
	fakes := &jobtest.FakeLambdas{Clock: le.clock, Jobs: le.jobs,
		Track: 35 * time.Millisecond, Simulate: 120 * time.Millisecond, Update: 25 * time.Millisecond,
		Hold: func() {
			if le.hold != nil {
				le.holding <- struct{}{}
				<-le.hold
			}
		},
		CreatedAt: func() time.Time { return epoch }}
	fakes.Register(reg)
	for _, f := range extra {
		f(reg)
	}
	le.eng = localsfn.New(localsfn.Config{Clock: le.clock, Invokers: reg, Rand: rand.NewPCG(1, 2)})
	sm, err := le.eng.CreateStateMachine(t.Context(), localsfn.CreateStateMachineInput{
		Name: "stepjobs-dev-jobs", Definition: string(def), RoleARN: "arn:aws:iam::123456789012:role/local"})
	require.NoError(t, err)
	le.smARN = sm.ARN
	srv := httptest.NewServer(sfnapi.Handler(le.eng))
	t.Cleanup(srv.Close)
	le.client = sfn.New(sfn.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	}, sfnapi.NoHostPrefix)
	return le
}

// run starts an execution and waits for it to close, moving the fake clock
// past retry backoffs.
func (le *localEngine) run(t *testing.T, name, input string) string {
	t.Helper()
	ctx := t.Context()
	info, err := le.eng.StartExecution(ctx, le.smARN, name, input)
	require.NoError(t, err)
	for range 10 {
		require.NoError(t, le.eng.WaitIdle(ctx))
		d, err := le.eng.DescribeExecution(ctx, info.ExecutionARN)
		require.NoError(t, err)
		if d.Status != localsfn.StatusRunning {
			return info.ExecutionARN
		}
		le.clock.Advance(2 * time.Second) // past the retry backoff (at most 1 s), before any timeout
	}
	require.FailNow(t, "execution still running", name)
	return ""
}
