package slsconfig

import (
	"errors"
	"fmt"
	"strings"
)

// EventRule is a function's eventBridge event: an EventBridge rule on the
// default bus whose target is the function; or an AWS::Events::Rule
// resource's target that is an SQS queue.
type EventRule struct {
	// Function is the target function's key; "" when Queue is set.
	Function string
	// Queue is the target queue's ARN, resolved, for a rule resource whose
	// target is an SQS queue: the whole event is sent there as a message.
	Queue string
	// Pattern is the event pattern with intrinsics resolved.
	Pattern map[string]any
	// InputPathsMap and InputTemplate are the target's input transformer;
	// both empty when the whole event is delivered.
	InputPathsMap map[string]string
	InputTemplate string
	// RetryAttempts is how often Lambda retries a failed asynchronous
	// invocation of the function: its maximumRetryAttempts, else Lambda's
	// default of 2.
	RetryAttempts int
	// OnFailure is where Lambda sends an asynchronous invocation that failed
	// every attempt: the function's destinations.onFailure, else its onError
	// (a dead-letter queue), resolved; "" when neither is set and such an
	// event is dropped.
	OnFailure string
	// DeadLetterQueue is the target's deadLetterQueueArn, resolved: where
	// EventBridge puts an event it could not hand to the function at all
	// (after its retryPolicy); "" when none.
	DeadLetterQueue string
}

// defaultAsyncRetries is how often Lambda retries a failed asynchronous
// invocation unless maximumRetryAttempts says otherwise.
const defaultAsyncRetries = 2

// EventRules returns the eventBridge events of every function, patterns
// resolved by l. Only the default bus and a pattern are supported (a
// schedule, another bus, input or inputPath are errors naming the key).
func (s *Service) EventRules(l Lookup) ([]EventRule, error) {
	lookup := s.PseudoLookup(l)
	var out []EventRule
	for _, fn := range s.Functions {
		for i, ev := range fn.Events {
			raw, ok := eventOf(ev, "eventBridge")
			if !ok {
				continue
			}
			path := fmt.Sprintf("functions.%s.events.%d.eventBridge", fn.Key, i)
			m, ok := raw.(map[string]any)
			if !ok {
				return nil, &ResolveError{Path: path, Err: errors.New("not a map")}
			}
			for _, k := range []string{"schedule", "input", "inputPath"} {
				if _, has := m[k]; has {
					return nil, &ResolveError{Path: path + "." + k, Err: errors.New("not supported locally")}
				}
			}
			pm, err := defaultBusPattern(m["eventBus"], m["pattern"], lookup, path+".eventBus", path+".pattern")
			if err != nil {
				return nil, err
			}
			r := EventRule{Function: fn.Key, Pattern: pm}
			if it, has := m["inputTransformer"]; has {
				itm, ok := it.(map[string]any)
				if !ok {
					return nil, &ResolveError{Path: path + ".inputTransformer", Err: errors.New("not a map")}
				}
				if r.InputPathsMap, err = stringMap(itm["inputPathsMap"], lookup, path+".inputTransformer.inputPathsMap"); err != nil {
					return nil, err
				}
				tmpl, ok := itm["inputTemplate"].(string)
				if !ok {
					return nil, &ResolveError{Path: path + ".inputTransformer.inputTemplate", Err: errors.New("missing or not a string")}
				}
				r.InputTemplate = tmpl
			}
			if dlq, has := m["deadLetterQueueArn"]; has {
				if r.DeadLetterQueue, err = resolveString(dlq, lookup, path+".deadLetterQueueArn"); err != nil {
					return nil, err
				}
			}
			if err := s.asyncInvokeConfig(fn.Key, lookup, &r); err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	queued, err := s.queueRules(lookup)
	if err != nil {
		return nil, err
	}
	return append(out, queued...), nil
}

// queueRules are the targets of the AWS::Events::Rule resources, which
// locally may only be SQS queues on the default bus, the whole event
// delivered (any other target, an input or a transformer is an error
// naming it).
func (s *Service) queueRules(lookup Lookup) ([]EventRule, error) {
	res, _ := s.Config["resources"].(map[string]any)
	resources, _ := res["Resources"].(map[string]any)
	var out []EventRule
	for _, id := range sortedKeys(resources) {
		r, _ := resources[id].(map[string]any)
		if r["Type"] != "AWS::Events::Rule" {
			continue
		}
		path := "resources.Resources." + id + ".Properties"
		props, _ := r["Properties"].(map[string]any)
		pm, err := defaultBusPattern(props["EventBusName"], props["EventPattern"], lookup, path+".EventBusName", path+".EventPattern")
		if err != nil {
			return nil, err
		}
		targets, _ := props["Targets"].([]any)
		for i, t := range targets {
			tpath := fmt.Sprintf("%s.Targets.%d", path, i)
			tm, _ := t.(map[string]any)
			for _, k := range []string{"Input", "InputPath", "InputTransformer"} {
				if _, has := tm[k]; has {
					return nil, &ResolveError{Path: tpath + "." + k, Err: errors.New("not supported locally")}
				}
			}
			arn, err := resolveString(tm["Arn"], lookup, tpath+".Arn")
			if err != nil {
				return nil, err
			}
			if !strings.Contains(arn, ":sqs:") {
				return nil, &ResolveError{Path: tpath + ".Arn", Err: fmt.Errorf("%s: only SQS queue targets are supported locally", arn)}
			}
			rule := EventRule{Queue: arn, Pattern: pm}
			if dlc, ok := tm["DeadLetterConfig"].(map[string]any); ok {
				if rule.DeadLetterQueue, err = resolveString(dlc["Arn"], lookup, tpath+".DeadLetterConfig.Arn"); err != nil {
					return nil, err
				}
			}
			out = append(out, rule)
		}
	}
	return out, nil
}

// asyncInvokeConfig fills r's RetryAttempts and OnFailure from the target
// function's maximumRetryAttempts, destinations.onFailure and onError.
func (s *Service) asyncInvokeConfig(key string, lookup Lookup, r *EventRule) error {
	fns, _ := s.Config["functions"].(map[string]any)
	cfg, _ := fns[key].(map[string]any)
	path := "functions." + key
	r.RetryAttempts = defaultAsyncRetries
	if v, has := cfg["maximumRetryAttempts"]; has {
		n, ok := v.(int)
		if !ok || n < 0 || n > defaultAsyncRetries {
			return &ResolveError{Path: path + ".maximumRetryAttempts", Err: fmt.Errorf("%v is not an integer from 0 to 2", v)}
		}
		r.RetryAttempts = n
	}
	if dest, ok := cfg["destinations"].(map[string]any); ok && dest["onFailure"] != nil {
		target := dest["onFailure"]
		if m, ok := target.(map[string]any); ok { // {type, arn}
			target = m["arn"]
		}
		var err error
		r.OnFailure, err = resolveString(target, lookup, path+".destinations.onFailure")
		return err
	}
	if v, has := cfg["onError"]; has {
		var err error
		r.OnFailure, err = resolveString(v, lookup, path+".onError")
		return err
	}
	return nil
}

// defaultBusPattern wants bus (nil when not set) to be the default bus, and
// returns pattern resolved, which must be a map; the paths name them in
// errors.
func defaultBusPattern(bus, pattern any, lookup Lookup, busPath, patternPath string) (map[string]any, error) {
	if bus != nil && bus != "default" {
		return nil, &ResolveError{Path: busPath, Err: errors.New("only the default bus is supported locally")}
	}
	pat, err := ResolveIntrinsics(pattern, lookup, patternPath)
	if err != nil {
		return nil, err
	}
	pm, ok := pat.(map[string]any)
	if !ok {
		return nil, &ResolveError{Path: patternPath, Err: errors.New("missing or not a map")}
	}
	return pm, nil
}

// resolveString resolves v's intrinsics and wants a string.
func resolveString(v any, lookup Lookup, path string) (string, error) {
	x, err := ResolveIntrinsics(v, lookup, path)
	if err != nil {
		return "", err
	}
	str, ok := coerceString(x)
	if !ok || str == "" {
		return "", &ResolveError{Path: path, Err: errors.New("not a string")}
	}
	return str, nil
}

// QueueSource is a function's sqs event: an event source mapping that
// receives from the queue and invokes the function with the messages.
type QueueSource struct {
	// Function is the function's key; Queue the queue's ARN, resolved.
	Function, Queue string
	// BatchSize is the most messages an invocation gets (default 10).
	BatchSize int
	// ReportBatchItemFailures is functionResponseType:
	// ReportBatchItemFailures: the function names the messages that failed,
	// and the others are deleted; without it, an error keeps them all.
	ReportBatchItemFailures bool
}

// QueueSources returns the sqs events of every function, queues resolved
// by l (the ARN as a string or arn:).
func (s *Service) QueueSources(l Lookup) ([]QueueSource, error) {
	lookup := s.PseudoLookup(l)
	var out []QueueSource
	for _, fn := range s.Functions {
		for i, ev := range fn.Events {
			raw, ok := eventOf(ev, "sqs")
			if !ok {
				continue
			}
			path := fmt.Sprintf("functions.%s.events.%d.sqs", fn.Key, i)
			src := QueueSource{Function: fn.Key, BatchSize: 10}
			m, isMap := raw.(map[string]any)
			arn := raw
			if isMap {
				arn = m["arn"]
			}
			var err error
			if src.Queue, err = resolveString(arn, lookup, path+".arn"); err != nil {
				return nil, err
			}
			if isMap {
				if v, has := m["batchSize"]; has {
					n, ok := v.(int)
					if !ok || n < 1 || n > 10000 {
						return nil, &ResolveError{Path: path + ".batchSize", Err: fmt.Errorf("%v is not an integer from 1 to 10000", v)}
					}
					src.BatchSize = n
				}
				if v, has := m["functionResponseType"]; has {
					if v != "ReportBatchItemFailures" {
						return nil, &ResolveError{Path: path + ".functionResponseType", Err: fmt.Errorf("%v: only ReportBatchItemFailures is known", v)}
					}
					src.ReportBatchItemFailures = true
				}
			}
			out = append(out, src)
		}
	}
	return out, nil
}
