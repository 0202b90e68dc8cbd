package sfn

import (
	"encoding/json"

	"github.com/asyncjobs/stepjobs/internal/asl"
	"github.com/asyncjobs/stepjobs/internal/jsonvalue"
)

// The context object ($$) is made on demand (see stateRun.ContextField),
// and its Execution and State objects field by field: a path such as
// $$.Execution.Name reads one value, where building the maps cost a dozen
// allocations per execution and a few per state.

// execObject is $$.Execution.
type execObject struct{ ex *execution }

// execFields are $$.Execution's fields, in the order AWS lists them.
var execFields = [...]string{"Id", "Input", "StartTime", "Name", "RoleArn", "RedriveCount"}

// Field implements asl.Object.
func (o execObject) Field(name string) (any, bool) {
	ex := o.ex
	switch name {
	case "Id":
		return ex.arnValue, true
	case "Input":
		return ex.inputVal, true
	case "Name":
		return ex.nameValue, true
	case "RoleArn":
		return ex.sm.roleARN, true
	case "StartTime":
		return isoTime(ex.start), true
	case "RedriveCount":
		return json.Number("0"), true
	}
	return nil, false
}

// Value implements asl.Object.
func (o execObject) Value() any { return objectValue(o, execFields[:]) }

// stateObject is $$.State of a state's current attempt.
type stateObject struct{ r *stateRun }

// Field implements asl.Object.
func (o stateObject) Field(name string) (any, bool) {
	r := o.r
	switch name {
	case "Name":
		return r.st.Name, true
	case "EnteredTime":
		return isoTime(r.enterAt), true
	case "RetryCount":
		switch r.st.Type {
		case asl.TypeTask, asl.TypeParallel, asl.TypeMap:
			// Only states that can retry have a RetryCount (AWS omits it elsewhere).
			return retryCount(r.envRetry), true
		}
	}
	return nil, false
}

// Value implements asl.Object.
func (o stateObject) Value() any {
	return objectValue(o, []string{"Name", "EnteredTime", "RetryCount"})
}

// objectValue makes an object's map from its fields.
func objectValue(o asl.Object, fields []string) *jsonvalue.Object {
	m := jsonvalue.NewObject(len(fields))
	for _, k := range fields {
		if v, ok := o.Field(k); ok {
			m.Set(k, v)
		}
	}
	return m
}

// smallCounts are the first retry counts, as values (no allocation).
var smallCounts = [...]any{json.Number("0"), json.Number("1"), json.Number("2"), json.Number("3"),
	json.Number("4"), json.Number("5"), json.Number("6"), json.Number("7"), json.Number("8"), json.Number("9")}

// retryCount is n as a JSON number value.
func retryCount(n int) any {
	if n >= 0 && n < len(smallCounts) {
		return smallCounts[n]
	}
	return jsonNumber(n)
}
