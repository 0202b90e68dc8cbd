package offline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/asyncjobs/stepjobs/internal/sfn"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
)

// eventRules emulates the functions' EventBridge rules for the events the
// local runtime produces: "Step Functions Execution Status Change". Each
// status change becomes the event AWS puts on the default bus; every rule
// whose pattern matches delivers it (through its input transformer) to its
// function, asynchronously, with Lambda's two retries of an asynchronous
// invocation.
type eventRules struct {
	rules   []slsconfig.EventRule
	invoker func(key string) (sfn.Invoker, bool)
	region  string
	account string
	log     *slog.Logger
	unsub   func()
	// retryDelay is the first retry's delay, doubled each time.
	retryDelay time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// asyncRetries is how often Lambda retries a failed asynchronous invocation.
const asyncRetries = 2

func newEventRules(rules []slsconfig.EventRule, invoker func(string) (sfn.Invoker, bool), region, account string, log *slog.Logger) *eventRules {
	ctx, cancel := context.WithCancel(context.Background())
	return &eventRules{rules: rules, invoker: invoker, region: region, account: account, log: log, ctx: ctx, cancel: cancel,
		retryDelay: 100 * time.Millisecond}
}

// observe is an engine subscriber.
func (e *eventRules) observe(c sfn.StatusChange) {
	if len(e.rules) == 0 {
		return
	}
	ev := statusChangeEvent(c, e.region, e.account)
	for _, r := range e.rules {
		if !matchPattern(r.Pattern, ev) {
			continue
		}
		payload, err := transformInput(r, ev)
		if err != nil {
			e.log.Error("eventbridge: input transformer", "function", r.Function, "executionArn", c.ExecutionARN, "err", err)
			continue
		}
		inv, ok := e.invoker(r.Function)
		if !ok {
			e.log.Error("eventbridge: no function", "function", r.Function)
			continue
		}
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			e.deliver(r.Function, inv, payload, c.ExecutionARN)
		}()
	}
}

func (e *eventRules) deliver(function string, inv sfn.Invoker, payload []byte, arn string) {
	delay := e.retryDelay
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
		_, err := inv.Invoke(ctx, payload)
		cancel()
		if err == nil {
			e.log.Info("eventbridge: delivered", "function", function, "executionArn", arn)
			return
		}
		if attempt >= asyncRetries || e.ctx.Err() != nil {
			e.log.Error("eventbridge: delivery failed", "function", function, "executionArn", arn, "attempts", attempt+1, "err", err)
			return
		}
		e.log.Warn("eventbridge: retrying", "function", function, "executionArn", arn, "err", err)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-e.ctx.Done():
			t.Stop()
		}
		delay *= 2
	}
}

// stop waits for the deliveries in flight within ctx, then cancels them.
func (e *eventRules) stop(ctx context.Context) {
	if e.unsub != nil {
		e.unsub()
	}
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		e.cancel()
		<-done
	}
	e.cancel()
}

// statusChangeEvent is the EventBridge event Step Functions sends for c.
// The execution's input, output and start date are left null: the local
// engine's status change does not carry them, and no rule here reads them.
func statusChangeEvent(c sfn.StatusChange, region, account string) map[string]any {
	var id [16]byte
	_, _ = rand.Read(id[:])
	detail := map[string]any{
		"executionArn":    c.ExecutionARN,
		"stateMachineArn": c.StateMachineARN,
		"name":            c.Name,
		"status":          c.Status,
		"startDate":       nil,
		"stopDate":        nil,
		"input":           nil,
		"output":          nil,
		"error":           nil,
		"cause":           nil,
	}
	if c.Status != sfn.StatusRunning {
		detail["stopDate"] = c.Time.UnixMilli()
	}
	if c.Output != nil {
		detail["output"] = *c.Output
	}
	if c.Error != nil {
		detail["error"] = *c.Error
	}
	if c.Cause != nil {
		detail["cause"] = *c.Cause
	}
	return map[string]any{
		"version":     "0",
		"id":          hex.EncodeToString(id[:]),
		"detail-type": "Step Functions Execution Status Change",
		"source":      "aws.states",
		"account":     account,
		"time":        c.Time.UTC().Format(time.RFC3339),
		"region":      region,
		"resources":   []any{c.ExecutionARN},
		"detail":      detail,
	}
}

// matchPattern applies an EventBridge event pattern: every field of the
// pattern must match; a list matches when the event's value (or one of its
// values) equals an entry or satisfies a content filter (prefix, suffix,
// anything-but, exists); a map matches the event's map recursively.
func matchPattern(pattern map[string]any, event map[string]any) bool {
	for k, p := range pattern {
		v, present := event[k]
		switch pv := p.(type) {
		case map[string]any:
			sub, ok := v.(map[string]any)
			if !ok || !matchPattern(pv, sub) {
				return false
			}
		case []any:
			if !matchList(pv, v, present) {
				return false
			}
		default:
			return false // a pattern's leaves are lists
		}
	}
	return true
}

func matchList(entries []any, v any, present bool) bool {
	values := []any{v}
	if l, ok := v.([]any); ok {
		values = l
	}
	for _, e := range entries {
		if f, ok := e.(map[string]any); ok {
			if exists, has := f["exists"]; has {
				if exists == present {
					return true
				}
				continue
			}
			if !present {
				continue
			}
			for _, x := range values {
				if matchFilter(f, x) {
					return true
				}
			}
			continue
		}
		if !present {
			continue
		}
		for _, x := range values {
			if equalJSON(e, x) {
				return true
			}
		}
	}
	return false
}

func matchFilter(f map[string]any, x any) bool {
	s, isString := x.(string)
	if p, ok := f["prefix"].(string); ok {
		return isString && strings.HasPrefix(s, p)
	}
	if p, ok := f["suffix"].(string); ok {
		return isString && strings.HasSuffix(s, p)
	}
	if but, ok := f["anything-but"]; ok {
		list, isList := but.([]any)
		if !isList {
			list = []any{but}
		}
		for _, b := range list {
			if equalJSON(b, x) {
				return false
			}
		}
		return true
	}
	return false // other filters (numeric, cidr, ...) are not emulated
}

func equalJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// transformInput is what the rule's target receives: the event itself, or
// the input transformer's template with each <name> replaced by the value
// at its path: inside a JSON string as the bare text, elsewhere as JSON (a
// string quoted), as EventBridge does; a path that is absent gives null
// (or nothing inside a string).
func transformInput(r slsconfig.EventRule, event map[string]any) ([]byte, error) {
	if r.InputTemplate == "" && len(r.InputPathsMap) == 0 {
		return json.Marshal(event)
	}
	values := map[string]any{"aws.events.event": event, "aws.events.event.json": event}
	present := map[string]bool{"aws.events.event": true, "aws.events.event.json": true}
	for name, path := range r.InputPathsMap {
		v, ok := eventPath(event, path)
		if _, err := pathParts(path); err != nil {
			return nil, fmt.Errorf("inputPathsMap %s: %w", name, err)
		}
		values[name], present[name] = v, ok
	}
	var out strings.Builder
	tmpl := r.InputTemplate
	inString := false
	for i := 0; i < len(tmpl); i++ {
		ch := tmpl[i]
		if ch == '\\' && inString && i+1 < len(tmpl) {
			out.WriteByte(ch)
			out.WriteByte(tmpl[i+1])
			i++
			continue
		}
		if ch == '"' {
			inString = !inString
		}
		if ch == '<' {
			if end := strings.IndexByte(tmpl[i:], '>'); end > 0 {
				name := tmpl[i+1 : i+end]
				if _, known := values[name]; known {
					v := values[name]
					if inString {
						if s, ok := v.(string); ok {
							b, _ := json.Marshal(s)
							out.Write(b[1 : len(b)-1])
						} else if present[name] && v != nil {
							b, _ := json.Marshal(v)
							sb, _ := json.Marshal(string(b))
							out.Write(sb[1 : len(sb)-1])
						}
					} else {
						b, err := json.Marshal(v)
						if err != nil {
							return nil, err
						}
						out.Write(b)
					}
					i += end
					continue
				}
			}
		}
		out.WriteByte(ch)
	}
	return []byte(out.String()), nil
}

// pathParts splits a JSONPath of the form $.a.b (the form inputPathsMap
// uses here) into its keys.
func pathParts(path string) ([]string, error) {
	if path == "$" {
		return nil, nil
	}
	rest, ok := strings.CutPrefix(path, "$.")
	if !ok || rest == "" || strings.ContainsAny(rest, "[]*") {
		return nil, fmt.Errorf("path %q: only $ and $.a.b are supported locally", path)
	}
	return strings.Split(rest, "."), nil
}

func eventPath(event map[string]any, path string) (any, bool) {
	parts, err := pathParts(path)
	if err != nil {
		return nil, false
	}
	var v any = event
	for _, p := range parts {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[p]; !ok {
			return nil, false
		}
	}
	return v, true
}
