package asl

import (
	"encoding/json"
	"math"
	"time"
)

// parseTimestamp accepts RFC 3339 date-times with a zone (ISO-8601 extended offset format).
func parseTimestamp(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// Until resolves a Wait state's end time from now.
func (s *State) Until(input any, env *Env, now time.Time) (time.Time, error) {
	if s.WaitSeconds != nil || s.WaitTimestamp != nil {
		return s.jsonataUntil(env, now)
	}
	switch {
	case s.Seconds != nil:
		return now.Add(time.Duration(*s.Seconds) * time.Second), nil
	case s.Timestamp != nil:
		return *s.Timestamp, nil
	case s.SecondsPath != nil:
		v, err := s.SecondsPath.Get(input, env)
		if err != nil {
			return time.Time{}, newError(ErrRuntime, "Invalid path '%s' : %s", s.SecondsPath.text, err.Error())
		}
		n, ok := v.(json.Number)
		if !ok {
			return time.Time{}, newError(ErrRuntime, "The SecondsPath parameter cannot be parsed as a long value: %s == %s", s.SecondsPath.text, jsonText(v))
		}
		i, isInt := numberInt(n)
		if !isInt || string(n) != jsonText(json.Number(string(n))) || containsFraction(string(n)) {
			return time.Time{}, newError(ErrRuntime, "The SecondsPath parameter cannot be parsed as a long value: %s == %s", s.SecondsPath.text, string(n))
		}
		if i < 0 {
			return time.Time{}, newError(ErrRuntime, "The SecondsPath parameter references a negative value: %s == %s", s.SecondsPath.text, string(n))
		}
		if i > maxWaitSeconds {
			return time.Time{}, newError(ErrRuntime, "Wait state delay is too long.")
		}
		return now.Add(time.Duration(i) * time.Second), nil
	case s.TimestampPath != nil:
		v, err := s.TimestampPath.Get(input, env)
		if err != nil {
			return time.Time{}, newError(ErrRuntime, "Invalid path '%s' : %s", s.TimestampPath.text, err.Error())
		}
		t, shown, ok := timestampOf(v)
		if !ok {
			return time.Time{}, newError(ErrRuntime, "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s == %s", s.TimestampPath.text, shown)
		}
		return waitUntil(t, now)
	}
	return now, nil
}

// timestampOf reads a Wait timestamp from a value; when it is not one,
// shown is the value as AWS quotes it in the cause (a string unquoted).
func timestampOf(v any) (t time.Time, shown string, ok bool) {
	if str, isStr := v.(string); isStr {
		if t, ok = parseTimestamp(str); ok {
			return t, "", true
		}
		return time.Time{}, str, false
	}
	return time.Time{}, jsonText(v), false
}

// waitUntil refuses a Wait that ends further away than AWS allows.
func waitUntil(t, now time.Time) (time.Time, error) {
	if t.Sub(now) > maxWaitSeconds*time.Second {
		return time.Time{}, newError(ErrRuntime, "Wait state delay is too long.")
	}
	return t, nil
}

// maxWaitSeconds is the longest delay AWS accepts for a Wait (2^31-1 seconds,
// about 24855 days, as recorded); longer ones fail with "Wait state delay is too long."
const maxWaitSeconds = math.MaxInt32

func containsFraction(s string) bool {
	for _, c := range s {
		if c == '.' || c == 'e' || c == 'E' {
			return true
		}
	}
	return false
}

// ErrorAndCause resolves a Fail state's Error/ErrorPath and Cause/CausePath.
func (s *State) ErrorAndCause(input any, env *Env) (string, string, error) {
	if s.jsonata() {
		name, err := jsonataString(s.JError, env)
		if err != nil {
			return "", "", err
		}
		cause, err := jsonataString(s.JCause, env)
		return name, cause, err
	}
	name, err := failField(s.Error, s.ErrorPath, "ErrorPath", input, env)
	if err != nil {
		return "", "", err
	}
	cause, err := failField(s.Cause, s.CausePath, "CausePath", input, env)
	if err != nil {
		return "", "", err
	}
	return name, cause, nil
}

func failField(fixed string, e *Expr, field string, input any, env *Env) (string, error) {
	if e == nil {
		return fixed, nil
	}
	v, err := e.Eval(input, env)
	if err != nil {
		if ae, ok := err.(*Error); ok {
			return "", ae
		}
		return "", newError(ErrRuntime, "The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", e.text, field, jsonText(input))
	}
	str, ok := v.(string)
	if !ok {
		return "", newError(ErrRuntime, "The JSONPath '%s' specified for the field '%s' must resolve to a string, but was: %s", e.text, field, jsonText(v))
	}
	return str, nil
}
