package slsconfig

import (
	"errors"
	"fmt"
)

// EventRule is a function's eventBridge event: an EventBridge rule on the
// default bus whose target is the function.
type EventRule struct {
	// Function is the target function's key.
	Function string
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
			if bus, has := m["eventBus"]; has && bus != "default" {
				return nil, &ResolveError{Path: path + ".eventBus", Err: errors.New("only the default bus is supported locally")}
			}
			pat, err := ResolveIntrinsics(m["pattern"], lookup, path+".pattern")
			if err != nil {
				return nil, err
			}
			pm, ok := pat.(map[string]any)
			if !ok {
				return nil, &ResolveError{Path: path + ".pattern", Err: errors.New("missing or not a map")}
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
