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
}

// EventRules returns the eventBridge events of every function, patterns
// resolved by l. Only the default bus and a pattern are supported (a
// schedule, another bus, input or inputPath are errors naming the key).
func (s *Service) EventRules(l Lookup) ([]EventRule, error) {
	lookup := s.PseudoLookup(l)
	var out []EventRule
	for _, fn := range s.Functions {
		for i, ev := range fn.Events {
			evm, ok := ev.(map[string]any)
			if !ok {
				continue
			}
			raw, has := evm["eventBridge"]
			if !has {
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
			out = append(out, r)
		}
	}
	return out, nil
}
