package slsconfig

import "fmt"

// mergeLists turns `resources:` and `functions:` given as lists (typically of ${file(...)}
// items, one file per concern) into the one map the Framework makes of them: the items are
// merged in order, a map into a map key by key, a list into a list index by index, any other
// value replacing the earlier one; an empty item is skipped. This is osls's mergeArrays
// (lib/classes/service.js, with lib/utils/merge-plain-objects.js).
func mergeLists(cfg map[string]any) error {
	for _, key := range []string{"resources", "functions"} {
		items, ok := cfg[key].([]any)
		if !ok {
			continue
		}
		merged := map[string]any{}
		for i, item := range items {
			switch v := item.(type) {
			case nil:
			case map[string]any:
				mergeInto(merged, v)
			default:
				return fmt.Errorf("%s[%d]: not a map (%T)", key, i, item)
			}
		}
		cfg[key] = merged
	}
	return nil
}

func mergeInto(target, source map[string]any) {
	for k, sv := range source {
		target[k] = mergeValue(target[k], sv)
	}
}

func mergeValue(tv, sv any) any {
	switch s := sv.(type) {
	case map[string]any:
		if t, ok := tv.(map[string]any); ok {
			mergeInto(t, s)
			return t
		}
		out := map[string]any{}
		mergeInto(out, s)
		return out
	case []any:
		t, ok := tv.([]any)
		if !ok {
			t = nil
		}
		out := make([]any, max(len(t), len(s)))
		copy(out, t)
		for i, v := range s {
			out[i] = mergeValue(out[i], v)
		}
		return out
	default:
		return sv
	}
}
