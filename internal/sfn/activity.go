package sfn

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/asyncjobs/stepjobs/internal/asl"
)

// Activities: a Task whose Resource is an activity ARN waits in the
// activity's queue until a worker takes it with GetActivityTask, then ends
// with SendTaskSuccess or SendTaskFailure for the token the worker got,
// as a callback task does (the token is in e.tokens, so callback.go serves
// both). A durable engine keeps its activities in the data file; their
// queues are rebuilt as the executions waiting on them resume.

const (
	resourceActivity = "activity"

	codeActivityDoesNotExist = "ActivityDoesNotExist"

	// maxActivityPoll is how long GetActivityTask waits for a task, as on AWS.
	maxActivityPoll = 60 * time.Second
)

// activity is a created activity and its queue of scheduled tasks.
type activity struct {
	arn, name string
	created   time.Time

	mu     sync.Mutex
	queue  []*activityTask // scheduled, not yet taken, oldest first
	signal chan struct{}   // closed (and replaced) when a task is queued
}

// activityTask is one scheduled attempt of an activity Task state.
type activityTask struct {
	tr      *taskRun
	input   string
	timeout int64
}

// ActivityInfo describes an activity (DescribeActivity, ListActivities).
type ActivityInfo struct {
	ARN, Name    string
	CreationDate time.Time
}

// ActivityTask is what GetActivityTask hands a worker; Token is empty
// when no task came within the poll.
type ActivityTask struct {
	Token, Input string
}

// activityARN builds arn:<partition>:states:<region>:<account>:activity:<name>.
func (e *Engine) activityARN(name string) string {
	return "arn:" + e.cfg.Partition + ":states:" + e.cfg.Region + ":" + e.cfg.AccountID + ":activity:" + name
}

// checkActivityARN applies AWS's InvalidArn checks to an activity ARN.
func checkActivityARN(arn string) error {
	if _, err := parseARN(arn, resourceActivity); err != nil {
		return err
	}
	if strings.Count(arn, ":") != 6 {
		return apiErrorf(codeInvalidArn, "Invalid Arn: 'Invalid ARN: %s'", arn)
	}
	return nil
}

// isActivityARN tells a Task Resource naming an activity.
func isActivityARN(res string) bool {
	parts := strings.Split(res, ":")
	return len(parts) == 7 && parts[0] == "arn" && parts[2] == "states" && parts[5] == resourceActivity && parts[6] != ""
}

// CreateActivity creates the activity called name; creating it again
// returns the existing one, as AWS's idempotent CreateActivity does.
func (e *Engine) CreateActivity(_ context.Context, name string) (ActivityInfo, error) {
	if err := validName(name); err != nil {
		return ActivityInfo{}, err
	}
	return e.addActivity(e.activityARN(name), name, e.cfg.Clock.Now()).info(), nil
}

// addActivity creates an activity unless one has its ARN, and returns the
// one that has it. The journal is written under actMu, so that it gets a
// name's creations and deletions in the order they happened.
func (e *Engine) addActivity(arn, name string, created time.Time) *activity {
	e.actMu.Lock()
	defer e.actMu.Unlock()
	if a, ok := e.activities[arn]; ok {
		return a
	}
	if e.activities == nil {
		e.activities = map[string]*activity{}
	}
	a := &activity{arn: arn, name: name, created: created, signal: make(chan struct{})}
	e.activities[arn] = a
	if e.journal != nil { // nil while Open loads the file
		e.journal.PutActivity(arn, activityRecord{a})
	}
	return a
}

func (a *activity) info() ActivityInfo {
	return ActivityInfo{ARN: a.arn, Name: a.name, CreationDate: a.created}
}

// activity finds a created activity by ARN.
func (e *Engine) activity(arn string) (*activity, error) {
	if err := checkActivityARN(arn); err != nil {
		return nil, err
	}
	e.actMu.Lock()
	a, ok := e.activities[arn]
	e.actMu.Unlock()
	if !ok {
		return nil, apiErrorf(codeActivityDoesNotExist, "Activity Does Not Exist: '%s'", arn)
	}
	return a, nil
}

// DescribeActivity returns an activity.
func (e *Engine) DescribeActivity(_ context.Context, arn string) (ActivityInfo, error) {
	a, err := e.activity(arn)
	if err != nil {
		return ActivityInfo{}, err
	}
	return a.info(), nil
}

// ListActivities lists every activity, by name.
func (e *Engine) ListActivities(_ context.Context) []ActivityInfo {
	e.actMu.Lock()
	out := make([]ActivityInfo, 0, len(e.activities))
	for _, a := range e.activities {
		out = append(out, a.info())
	}
	e.actMu.Unlock()
	slices.SortFunc(out, func(a, b ActivityInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// DeleteActivity deletes an activity. Its queued tasks are never handed
// out; their executions wait until a timeout ends them.
func (e *Engine) DeleteActivity(_ context.Context, arn string) error {
	if err := checkActivityARN(arn); err != nil {
		return err
	}
	e.actMu.Lock()
	defer e.actMu.Unlock()
	if _, ok := e.activities[arn]; ok && e.journal != nil {
		e.journal.DeleteActivity(arn)
	}
	delete(e.activities, arn)
	return nil
}

// GetActivityTask hands the oldest scheduled task of the activity to the
// worker (recording ActivityStarted), waiting up to 60 s on the engine's
// clock for one; with none it returns an empty ActivityTask, as AWS
// answers a poll that ends empty.
func (e *Engine) GetActivityTask(ctx context.Context, arn, workerName string) (ActivityTask, error) {
	a, err := e.activity(arn)
	if err != nil {
		return ActivityTask{}, err
	}
	expired := make(chan struct{})
	t := e.cfg.Clock.AfterFunc(maxActivityPoll, func() { close(expired) })
	defer t.Stop()
	for {
		a.mu.Lock()
		at := a.pop()
		signal := a.signal
		a.mu.Unlock()
		if at != nil {
			if at.start(workerName) {
				return ActivityTask{Token: at.tr.token, Input: at.input}, nil
			}
			continue
		}
		select {
		case <-signal:
		case <-expired:
			return ActivityTask{}, nil
		case <-ctx.Done():
			return ActivityTask{}, nil
		}
	}
}

// pop takes the oldest task still waiting; a.mu is held.
func (a *activity) pop() *activityTask {
	for len(a.queue) > 0 {
		at := a.queue[0]
		a.queue[0] = nil
		a.queue = a.queue[1:]
		if at.tr.ctx.Err() == nil {
			return at
		}
	}
	return nil
}

// enqueue queues a scheduled task and wakes the activity's pollers.
func (a *activity) enqueue(at *activityTask) {
	a.mu.Lock()
	a.queue = append(a.queue, at)
	close(a.signal)
	a.signal = make(chan struct{})
	a.mu.Unlock()
}

// start records that a worker took the task, unless it settled meanwhile,
// and arms its timeout and heartbeat: both count from ActivityStarted, as
// on AWS (a task waiting for a worker is timed out only by the
// execution's TimeoutSeconds).
func (at *activityTask) start(workerName string) bool {
	tr := at.tr
	// Under tr.mu, which settle takes after cancelling tr.ctx and before
	// recording its outcome: ActivityStarted comes before it or not at all.
	tr.mu.Lock()
	ok := tr.ctx.Err() == nil && tr.r.rec(Event{Type: "ActivityStarted",
		ActivityStartedEventDetails: &ActivityStartedDetails{WorkerName: nonEmpty(workerName)}})
	tr.mu.Unlock()
	if !ok {
		return false
	}
	if at.timeout > 0 {
		tr.r.f.armTaskTimeout(tr, time.Duration(at.timeout)*time.Second)
	}
	tr.armHeartbeat()
	return true
}

// runActivity schedules an attempt of an activity Task: it records
// ActivityScheduled and queues the task for a worker. An activity that
// does not exist (any more) fails the attempt with ActivityScheduleFailed.
func (r *stateRun) runActivity(t *task, in any, timeout, heartbeat int64) (string, any) {
	e := r.f.ex.e
	a, err := e.activity(t.resource)
	if err != nil {
		cause := "Activity does not exist: '" + t.resource + "'"
		if !r.rec(Event{Type: "ActivityScheduleFailed", ActivityScheduleFailedEventDetails: &FailureDetails{
			Error: strp(asl.ErrRuntime), Cause: &cause}}) {
			return "", nil
		}
		return r.fail(&asl.Error{Name: asl.ErrRuntime, Cause: cause})
	}
	input := marshalValue(in)
	d := &ActivityScheduledDetails{Resource: t.resource, Input: &input, InputDetails: notTruncated}
	if timeout > 0 {
		d.TimeoutInSeconds = new(timeout)
	}
	if heartbeat > 0 {
		d.HeartbeatInSeconds = new(heartbeat)
	}
	if !r.rec(Event{Type: "ActivityScheduled", ActivityScheduledEventDetails: d}) {
		return "", nil
	}
	tr := &taskRun{r: r, t: t, heartbeat: heartbeat, token: NewUUID()}
	tr.ctx, tr.cancel = context.WithCancel(r.f.ctx)
	e.tokens.Store(tr.token, tr)
	// A stopped or timed-out execution never settles the task: its token
	// goes with it rather than stay in e.tokens for good.
	context.AfterFunc(tr.ctx, func() { e.tokens.Delete(tr.token) })
	a.enqueue(&activityTask{tr: tr, input: input, timeout: timeout})
	return "", nil
}
