package sfn

import (
	"context"
	"encoding/json"

	"github.com/asyncjobs/stepjobs/internal/asl"
)

// callbackTask finds the waiting callback or activity task of a token.
func (e *Engine) callbackTask(token string) (*taskRun, error) {
	if token == "" || len(token) > 1024 {
		return nil, apiErrorf(codeInvalidToken, "Invalid Token: '%s'", token)
	}
	v, ok := e.tokens.Load(token)
	if !ok {
		return nil, apiErrorf(codeTaskDoesNotExist, "Task Does Not Exist: '%s'", token)
	}
	return v.(*taskRun), nil
}

// resume runs the rest of a callback task's execution on a goroutine of
// its own, not on the API caller's.
func (tr *taskRun) resume(fn func() (string, any)) {
	ex := tr.r.f.ex
	ex.e.work()
	goWork(func() {
		defer ex.e.workDone()
		defer ex.recoverPanic()
		tr.r.f.runOwned(tr.settle(fn))
	})
}

// SendTaskSuccess completes the callback task waiting with token, with
// output (JSON) as its result.
func (e *Engine) SendTaskSuccess(_ context.Context, token, output string) error {
	if !json.Valid([]byte(output)) {
		return apiErrorf(codeInvalidOutput, "Invalid Output: '%s'", output)
	}
	if len(output) > maxPayload {
		return apiErrorf(codeInvalidOutput, "Invalid Output: 'Output size exceeds the maximum number of bytes service limit.'")
	}
	tr, err := e.callbackTask(token)
	if err != nil {
		return err
	}
	tr.resume(func() (string, any) { return tr.r.taskDone(tr.t, []byte(output), nil) })
	return nil
}

// SendTaskFailure fails the callback task waiting with token.
func (e *Engine) SendTaskFailure(_ context.Context, token, errName, cause string) error {
	tr, err := e.callbackTask(token)
	if err != nil {
		return err
	}
	tr.resume(func() (string, any) {
		r, t := tr.r, tr.t
		if t.kind == taskActivity {
			r.rec(Event{Type: "ActivityFailed", ActivityFailedEventDetails: &FailureDetails{Error: nonEmpty(errName), Cause: nonEmpty(cause)}})
		} else {
			r.rec(Event{Type: "TaskFailed", TaskFailedEventDetails: &TaskFailureDetails{
				Resource: t.resourceName, ResourceType: t.resourceType, Error: nonEmpty(errName), Cause: nonEmpty(cause)}})
		}
		return r.fail(&asl.Error{Name: errName, Cause: cause})
	})
	return nil
}

// SendTaskHeartbeat restarts the heartbeat timer of the callback task
// waiting with token.
func (e *Engine) SendTaskHeartbeat(_ context.Context, token string) error {
	tr, err := e.callbackTask(token)
	if err != nil {
		return err
	}
	tr.armHeartbeat()
	return nil
}
