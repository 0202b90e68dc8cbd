package eventbridge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/asyncjobs/stepjobs/internal/sfn"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
)

// Rules emulates the functions' EventBridge rules for the events the
// local runtime produces: "Step Functions Execution Status Change". Each
// status change becomes the event AWS puts on the default bus; every rule
// whose pattern matches delivers it (through its input transformer) to its
// function once, asynchronously. What follows serverless.yml's failure
// handling: a failed invocation is retried as Lambda retries an
// asynchronous one (the function's maximumRetryAttempts, 2 by default, with
// a doubling delay), then handed to the function's on-failure destination,
// whose local stand-in (deadLetters) redrives it until it is recorded. A
// rule's own deadLetterQueueArn never fills locally: it takes the events
// EventBridge cannot hand to Lambda at all, and the local hand-over does
// not fail.
//
// Nothing else delivers: with a data directory, the ledger (ledger.go)
// remembers which deliveries completed, so a restart delivers only the
// status changes a stop or crash cut short.
type Rules struct {
	rules   []slsconfig.EventRule
	invoker func(key string) (sfn.Invoker, bool)
	region  string
	account string
	log     *slog.Logger
	// clock times the retries and the redrives (sfn.RealClock; a test's
	// sfn.FakeClock).
	clock sfn.Clock
	// retryDelay is the delay before Lambda's first retry, doubled for the
	// next (about one and two minutes on AWS; shortened here).
	retryDelay time.Duration
	dlq        *deadLetters
	// ledger records completed deliveries; nil without a data directory.
	ledger *ledger
	// queues sends the events of rules whose target is an SQS queue.
	queues QueueSender

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu sync.Mutex
	// outstanding counts deliveries not completed yet: in flight, between
	// retries, or dead letters waiting for a redrive.
	outstanding int
	idle        chan struct{} // closed while outstanding is 0
}

// delivery is one event on its way to one rule's target.
type delivery struct {
	rule    slsconfig.EventRule
	inv     sfn.Invoker
	payload []byte
	// key names the delivery in the ledger: for a status change, the
	// target, the execution and its status (an execution reaches a status
	// once); for a put event, the target and the event's id.
	key string
	// about says which event it is in the log.
	about []any
}

func deliveryKey(function, executionARN, status string) string {
	return function + " " + executionARN + " " + status
}

// New emulates rules in region and account: invoker gives a rule's target
// (its function key) the invoker of the function; log takes the
// deliveries' outcomes. Feed it status changes with Observe (an engine
// subscriber), and end it with Stop.
func New(rules []slsconfig.EventRule, invoker func(key string) (sfn.Invoker, bool), region, account string, log *slog.Logger) *Rules {
	ctx, cancel := context.WithCancel(context.Background())
	e := &Rules{rules: rules, invoker: invoker, region: region, account: account, log: log, clock: sfn.RealClock{}, ctx: ctx, cancel: cancel,
		retryDelay: 100 * time.Millisecond, idle: make(chan struct{})}
	close(e.idle)
	e.dlq = newDeadLetters(ctx, e.clock, e.invoke, e.complete, log)
	return e
}

// Observe delivers c to the target of every rule whose pattern matches it,
// in the background; it is an engine subscriber (sfn.Engine.Subscribe).
func (e *Rules) Observe(c sfn.StatusChange) {
	for _, d := range e.deliveries(c, nil) {
		e.start(d)
	}
}

// deliveries are the deliveries c makes: one per matching rule, less those
// skip reports as done already.
func (e *Rules) deliveries(c sfn.StatusChange, skip func(key string) bool) []delivery {
	if len(e.rules) == 0 {
		return nil
	}
	return e.matching(statusChangeEvent(c, e.region, e.account),
		func(function string) string { return deliveryKey(function, c.ExecutionARN, c.Status) },
		skip, "executionArn", c.ExecutionARN, "status", c.Status)
}

// matching are the deliveries of ev: one per rule whose pattern matches it,
// less those skip reports as done already; key names each in the ledger.
func (e *Rules) matching(ev map[string]any, key func(function string) string, skip func(key string) bool, about ...any) []delivery {
	var out []delivery
	for _, r := range e.rules {
		if !matchPattern(r.Pattern, ev) {
			continue
		}
		k := key(targetOf(r))
		if skip != nil && skip(k) {
			continue
		}
		payload, err := transformInput(r, ev)
		if err != nil {
			e.log.Error("eventbridge: input transformer", append([]any{"function", r.Function, "err", err}, about...)...)
			continue
		}
		if r.Queue != "" {
			out = append(out, delivery{rule: r, payload: payload, key: k, about: about})
			continue
		}
		inv, ok := e.invoker(r.Function)
		if !ok {
			e.log.Error("eventbridge: no function", "function", r.Function)
			continue
		}
		out = append(out, delivery{rule: r, inv: inv, payload: payload, key: k, about: about})
	}
	return out
}

// start delivers d in the background.
func (e *Rules) start(d delivery) {
	e.mu.Lock()
	if e.ctx.Err() != nil {
		e.mu.Unlock()
		return
	}
	if e.outstanding == 0 {
		e.idle = make(chan struct{})
	}
	e.outstanding++
	e.wg.Add(1)
	e.mu.Unlock()
	go func() {
		defer e.wg.Done()
		e.deliver(d)
	}()
}

// deliver invokes d's function with Lambda's retries of an asynchronous
// invocation, then hands a delivery that still failed to the on-failure
// destination.
func (e *Rules) deliver(d delivery) {
	delay := e.retryDelay
	var err error
	for attempt := 0; ; attempt++ {
		if err = e.invoke(d); err == nil {
			e.log.Info("eventbridge: delivered", d.logAttrs()...)
			e.complete(d)
			return
		}
		if attempt >= d.retries() {
			break
		}
		e.log.Warn("eventbridge: retrying", d.logAttrs("attempt", attempt+1, "err", err)...)
		if !sleep(e.ctx, e.clock, delay) {
			return // stopped: a restart with the same data delivers it again
		}
		delay *= 2
	}
	attempts := d.retries() + 1
	if d.rule.Queue != "" {
		// EventBridge retries for a day, then uses the target's dead-letter
		// queue; the local queue refuses only what it never takes.
		e.log.Error("eventbridge: the target queue refused the event: dropped", d.logAttrs("attempts", attempts, "err", err)...)
		e.complete(d)
		return
	}
	if d.rule.OnFailure == "" {
		e.log.Error("eventbridge: delivery failed and the function has no on-failure destination: dropped, as on AWS",
			d.logAttrs("attempts", attempts, "err", err)...)
		e.complete(d)
		return
	}
	e.log.Error("eventbridge: delivery failed, sent to the dead-letter queue",
		d.logAttrs("queue", d.rule.OnFailure, "attempts", attempts, "err", err)...)
	e.dlq.add(d, err)
}

// QueueSender sends an event (body) to the SQS queue of the given ARN.
type QueueSender func(ctx context.Context, queueARN string, body []byte) error

// DeliverToQueues is how the events of rules whose target is an SQS queue
// (slsconfig.EventRule.Queue) reach it. Call it before the first Observe;
// without it such events are dropped, logged.
func (e *Rules) DeliverToQueues(send QueueSender) { e.queues = send }

// targetOf names r's target: its function's key or its queue's ARN.
func targetOf(r slsconfig.EventRule) string {
	if r.Queue != "" {
		return r.Queue
	}
	return r.Function
}

// queueSendRetries is how often a queue target's send is retried locally
// (EventBridge retries for up to a day).
const queueSendRetries = 2

// retries is how often d is retried after a failure: Lambda's retries of
// an asynchronous invocation, or EventBridge's of a queue target.
func (d delivery) retries() int {
	if d.rule.Queue != "" {
		return queueSendRetries
	}
	return d.rule.RetryAttempts
}

// logAttrs are the log attributes naming d, then more.
func (d delivery) logAttrs(more ...any) []any {
	out := make([]any, 0, 2+len(d.about)+len(more))
	if d.rule.Queue != "" {
		out = append(out, "queue", d.rule.Queue)
	} else {
		out = append(out, "function", d.rule.Function)
	}
	out = append(out, d.about...)
	return append(out, more...)
}

// invoke is one invocation of d's function, with the function's timeout.
func (e *Rules) invoke(d delivery) error {
	if e.ctx.Err() != nil {
		return e.ctx.Err()
	}
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	if d.rule.Queue != "" {
		if e.queues == nil {
			return errors.New("eventbridge: no queue sender")
		}
		return e.queues(ctx, d.rule.Queue, d.payload)
	}
	_, err := d.inv.Invoke(ctx, d.payload)
	return err
}

// complete ends d: recorded, dropped, or parked in the dead-letter queue
// for good. Nothing delivers it again, not even a restart.
func (e *Rules) complete(d delivery) {
	if e.ledger != nil {
		if err := e.ledger.add(d.key); err != nil {
			e.log.Warn("eventbridge: ledger", "err", err)
		}
	}
	e.mu.Lock()
	e.outstanding--
	if e.outstanding == 0 {
		close(e.idle)
	}
	e.mu.Unlock()
}

// Wait blocks until no delivery is outstanding (dead letters parked for good
// do not count), or ctx ends.
func (e *Rules) Wait(ctx context.Context) error {
	for {
		e.mu.Lock()
		idle, done := e.idle, e.outstanding == 0
		e.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Stop lets outstanding deliveries (and redrives) finish within ctx, then
// cancels them: what is left is delivered at the next start with the same
// data directory. Unsubscribe e from the engine first.
func (e *Rules) Stop(ctx context.Context) {
	_ = e.Wait(ctx)
	e.mu.Lock()
	e.cancel()
	e.mu.Unlock()
	e.wg.Wait()
	e.dlq.wait()
	if e.ledger != nil {
		if err := e.ledger.close(); err != nil {
			e.log.Warn("eventbridge: close ledger", "err", err)
		}
	}
}

// Parked is how many deliveries sit in the dead-letter queue for good:
// their function refused them in a way no redrive changes.
func (e *Rules) Parked() int { return e.dlq.parkedCount() }

// Payload is what rule r's target receives for the status change c in
// region and account; false when r's pattern does not match c.
func Payload(r slsconfig.EventRule, c sfn.StatusChange, region, account string) ([]byte, bool, error) {
	ev := statusChangeEvent(c, region, account)
	if !matchPattern(r.Pattern, ev) {
		return nil, false, nil
	}
	b, err := transformInput(r, ev)
	return b, true, err
}

// sleep waits d on clock, or until ctx ends (false).
func sleep(ctx context.Context, clock sfn.Clock, d time.Duration) bool {
	fired := make(chan struct{})
	t := clock.AfterFunc(d, func() { close(fired) })
	defer t.Stop()
	select {
	case <-fired:
		return true
	case <-ctx.Done():
		return false
	}
}

// statusChangeEvent is the EventBridge event Step Functions sends for c.
// The start date is left null: the local engine's status change does not
// carry it, and no rule here reads it.
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
	if c.Input != "" {
		detail["input"] = c.Input
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
// wildcard, anything-but, exists); a map matches the event's map recursively.
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
	if p, ok := f["wildcard"].(string); ok {
		return isString && matchWildcard(p, s)
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

// matchWildcard reports whether s matches EventBridge's wildcard filter
// pattern: a * stands for any run of characters, \* for a star and \\ for a
// backslash. It walks both strings once, going back only to the last star
// (the classic greedy match), so a pattern with many stars cannot take
// exponential time.
func matchWildcard(pattern, s string) bool {
	type token struct {
		star bool
		c    byte
	}
	toks := make([]token, 0, len(pattern))
	for i := 0; i < len(pattern); i++ {
		switch {
		case pattern[i] == '\\' && i+1 < len(pattern):
			i++
			toks = append(toks, token{c: pattern[i]})
		case pattern[i] == '*':
			toks = append(toks, token{star: true})
		default:
			toks = append(toks, token{c: pattern[i]})
		}
	}
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(toks) && !toks[p].star && toks[p].c == s[i]:
			p++
			i++
		case p < len(toks) && toks[p].star:
			star, mark = p, i
			p++
		case star >= 0:
			mark++
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(toks) && toks[p].star {
		p++
	}
	return p == len(toks)
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
