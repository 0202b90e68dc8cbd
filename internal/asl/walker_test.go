package asl

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// walker is a tiny sequential interpreter used only by tests: it drives the
// runtime API the engine uses (Pass, Choice, Wait without waiting, Succeed,
// Fail, Parallel and Map run in order, Catch on the state's own errors) so
// recorded AWS executions can check the data flow end to end.
type walker struct {
	ctx      map[string]any
	steps    int
	maxSteps int
	// task runs a Task state's effective input; nil fails every Task.
	task func(st *State, input any, attempt int) (any, *Error)
}

// walkerNow is the walker's clock: waits end at once, but their arithmetic uses this time.
var walkerNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type walkResult struct {
	output any
	err    *Error
}

func newWalker(input any) *walker {
	return &walker{
		maxSteps: 1000,
		ctx: map[string]any{
			"Execution": map[string]any{
				"Id":           "arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>:<ExecArnPart_0idx>",
				"Input":        input,
				"Name":         "<ExecArnPart_0idx>",
				"RoleArn":      "snf_role_arn",
				"RedriveCount": json.Number("0"),
				"StartTime":    "date",
			},
			"StateMachine": map[string]any{
				"Id":   "arn:<partition>:states:<region>:111111111111:stateMachine:<ArnPart_0idx>",
				"Name": "<ArnPart_0idx>",
			},
		},
	}
}

func (w *walker) env(state string, vars map[string]any, extra map[string]any) *Env {
	ctx := make(map[string]any, len(w.ctx)+2)
	for k, v := range w.ctx {
		ctx[k] = v
	}
	ctx["State"] = map[string]any{"Name": state, "EnteredTime": "date"}
	for k, v := range extra {
		ctx[k] = v
	}
	return &Env{Context: ctx, Vars: vars}
}

func (w *walker) run(sm *StateMachine, input any, vars map[string]any, extra map[string]any) walkResult {
	name := sm.StartAt
	cur := input
	for {
		w.steps++
		if w.steps > w.maxSteps {
			return walkResult{err: &Error{Name: "Walker.TooManySteps"}}
		}
		st := sm.States[name]
		env := w.env(name, vars, extra)
		if st.Type == TypeTask {
			// Only Task states see $$.State.RetryCount; the walker retries
			// without re-entering the state, so it stays 0.
			env.Context.(map[string]any)["State"].(map[string]any)["RetryCount"] = json.Number("0")
		}
		out, next, assign, err := w.step(st, cur, env, vars)
		if err != nil {
			ae, ok := err.(*Error)
			if !ok {
				ae = &Error{Name: "Walker.Unexpected", Cause: err.Error()}
			}
			if c := st.MatchCatcher(ae.Name); c != nil {
				o, cerr := c.Output(cur, ae)
				if cerr != nil {
					return walkResult{err: cerr.(*Error)}
				}
				a, aerr := c.ApplyAssign(ErrorOutput(ae), env)
				if aerr != nil {
					return walkResult{err: aerr.(*Error)}
				}
				vars = mergeVars(vars, a)
				cur, name = o, c.Next
				continue
			}
			return walkResult{err: ae}
		}
		vars = mergeVars(vars, assign)
		if next == "" {
			return walkResult{output: out}
		}
		cur, name = out, next
	}
}

func mergeVars(vars, assign map[string]any) map[string]any {
	if len(assign) == 0 {
		return vars
	}
	out := make(map[string]any, len(vars)+len(assign))
	for k, v := range vars {
		out[k] = v
	}
	for k, v := range assign {
		out[k] = v
	}
	return out
}

// step runs one state and returns its output, the next state ("" when the
// execution or branch ends) and the variables it assigns.
func (w *walker) step(st *State, raw any, env *Env, vars map[string]any) (any, string, map[string]any, error) {
	switch st.Type {
	case TypeFail:
		name, cause, err := st.ErrorAndCause(raw, env)
		if err != nil {
			return nil, "", nil, err
		}
		return nil, "", nil, &Error{Name: name, Cause: cause}
	case TypeChoice:
		in, err := st.EffectiveInput(raw, env)
		if err != nil {
			return nil, "", nil, err
		}
		next, assign, err := st.NextState(in, env)
		if err != nil {
			return nil, "", nil, err
		}
		out, err := st.EffectiveOutput(raw, in, env)
		if err != nil {
			return nil, "", nil, err
		}
		var a map[string]any
		if assign != nil {
			v, err := assign.Evaluate(in, env)
			if err != nil {
				return nil, "", nil, err
			}
			a = variables(v)
		}
		return out, next, a, nil
	}
	in, err := st.EffectiveInput(raw, env)
	if err != nil {
		return nil, "", nil, err
	}
	var result any
	switch st.Type {
	case TypePass:
		result = st.PassResult(in)
	case TypeWait:
		if _, err := st.Until(in, env, walkerNow); err != nil {
			return nil, "", nil, err
		}
		result = in
	case TypeSucceed:
		result = in
	case TypeTask:
		if w.task == nil {
			return nil, "", nil, fmt.Errorf("walker: no task runner")
		}
		// Retry at once: the walker has no clock, only the retry budget matters.
		retries := map[*Retrier]int{}
		for attempt := 0; ; attempt++ {
			res, terr := w.task(st, in, attempt)
			if terr == nil {
				result = res
				break
			}
			r := st.MatchRetrier(terr.Name)
			if r == nil || !r.CanRetry(retries[r]) {
				return nil, "", nil, terr
			}
			retries[r]++
		}
	case TypeParallel:
		outs := make([]any, len(st.Branches))
		for i, b := range st.Branches {
			r := w.run(b, in, vars, nil)
			if r.err != nil {
				return nil, "", nil, r.err
			}
			outs[i] = r.output
		}
		result = outs
	case TypeMap:
		items, err := st.Items(in, env)
		if err != nil {
			return nil, "", nil, err
		}
		if _, err := st.Concurrency(in, env); err != nil {
			return nil, "", nil, err
		}
		outs := make([]any, len(items))
		for i, item := range items {
			itemIn, err := st.ItemInput(in, i, item, env)
			if err != nil {
				return nil, "", nil, err
			}
			extra := map[string]any{"Map": map[string]any{"Item": map[string]any{"Index": json.Number(strconv.Itoa(i)), "Value": item}}}
			r := w.run(st.ItemProcessor, itemIn, vars, extra)
			if r.err != nil {
				return nil, "", nil, r.err
			}
			outs[i] = r.output
		}
		result = outs
	default:
		return nil, "", nil, fmt.Errorf("walker: state type %s is not supported", st.Type)
	}
	if err := CheckSize(result, fmt.Sprintf("The state/task '%s' returned a result", st.Name)); err != nil {
		return nil, "", nil, err
	}
	selected, err := st.SelectResult(result, env)
	if err != nil {
		return nil, "", nil, err
	}
	assign, err := st.ApplyAssign(selected, env)
	if err != nil {
		return nil, "", nil, err
	}
	out, err := st.EffectiveOutput(raw, result, env)
	if err != nil {
		return nil, "", nil, err
	}
	if st.Type == TypeSucceed {
		return out, "", assign, nil
	}
	if st.End {
		return out, "", assign, nil
	}
	return out, st.Next, assign, nil
}
