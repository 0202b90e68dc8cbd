package sfn

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/asyncjobs/stepjobs/internal/jsonvalue"
)

// shape is the part of a service's response model a mocked Task result is
// checked against (TestState's mock.fieldValidationMode): the types of
// fields, their required ones, and enum values. Fields it does not name
// pass, as on AWS (a mock of {"random": "json"} is accepted in STRICT mode).
type shape struct {
	kind     shapeKind
	fields   map[string]*shape // object
	required []string          // object
	elem     *shape            // array elements, map values
}

type shapeKind int

const (
	kindAny shapeKind = iota
	kindString
	kindNumber
	kindBool
	kindObject
	kindArray
	kindMap // an object of any keys, each value elem
)

var (
	strShape  = &shape{kind: kindString}
	numShape  = &shape{kind: kindNumber}
	boolShape = &shape{kind: kindBool}
	anyShape  = &shape{kind: kindAny}
)

func object(required []string, fields map[string]*shape) *shape {
	return &shape{kind: kindObject, fields: fields, required: required}
}

func arrayOf(s *shape) *shape { return &shape{kind: kindArray, elem: s} }
func mapOf(s *shape) *shape   { return &shape{kind: kindMap, elem: s} }

// mockShapes are the response shapes of the request-response integrations
// internal/integration serves, by resource without its arn:aws:states:::
// prefix (the aws-sdk: forms answer the same shapes). Taken from the
// services' API references.
var mockShapes = func() map[string]*shape {
	attr := &shape{kind: kindObject}
	attr.fields = map[string]*shape{
		"S": strShape, "N": strShape, "B": strShape, "BOOL": boolShape, "NULL": boolShape,
		"SS": arrayOf(strShape), "NS": arrayOf(strShape), "BS": arrayOf(strShape),
		"M": mapOf(attr), "L": arrayOf(attr),
	}
	item := mapOf(attr)
	capacity := object(nil, map[string]*shape{"CapacityUnits": numShape, "ReadCapacityUnits": numShape, "WriteCapacityUnits": numShape})
	consumed := object(nil, map[string]*shape{
		"TableName": strShape, "CapacityUnits": numShape, "ReadCapacityUnits": numShape, "WriteCapacityUnits": numShape,
		"Table": capacity, "LocalSecondaryIndexes": mapOf(capacity), "GlobalSecondaryIndexes": mapOf(capacity),
	})
	metrics := object(nil, map[string]*shape{"ItemCollectionKey": item, "SizeEstimateRangeGB": arrayOf(numShape)})
	write := object(nil, map[string]*shape{"Attributes": item, "ConsumedCapacity": consumed, "ItemCollectionMetrics": metrics})
	get := object(nil, map[string]*shape{"Item": item, "ConsumedCapacity": consumed})
	s := map[string]*shape{
		"dynamodb:getItem":    get,
		"dynamodb:putItem":    write,
		"dynamodb:updateItem": write,
		"dynamodb:deleteItem": write,
		"lambda:invoke": object(nil, map[string]*shape{
			"StatusCode": numShape, "FunctionError": strShape, "LogResult": strShape, "ExecutedVersion": strShape, "Payload": anyShape,
		}),
		"sqs:sendMessage": object(nil, map[string]*shape{
			"MD5OfMessageBody": strShape, "MD5OfMessageAttributes": strShape, "MD5OfMessageSystemAttributes": strShape,
			"MessageId": strShape, "SequenceNumber": strShape,
		}),
		"sns:publish": object(nil, map[string]*shape{"MessageId": strShape, "SequenceNumber": strShape}),
		"events:putEvents": object(nil, map[string]*shape{
			"FailedEntryCount": numShape,
			"Entries":          arrayOf(object(nil, map[string]*shape{"EventId": strShape, "ErrorCode": strShape, "ErrorMessage": strShape})),
		}),
		"states:startExecution": object([]string{"ExecutionArn", "StartDate"}, map[string]*shape{"ExecutionArn": strShape, "StartDate": strShape}),
	}
	for _, op := range []string{"getItem", "putItem", "updateItem", "deleteItem"} {
		s["aws-sdk:dynamodb:"+op] = s["dynamodb:"+op]
	}
	s["aws-sdk:sqs:sendMessage"] = s["sqs:sendMessage"]
	s["aws-sdk:sns:publish"] = s["sns:publish"]
	s["aws-sdk:eventbridge:putEvents"] = s["events:putEvents"]
	s["aws-sdk:sfn:startExecution"] = s["states:startExecution"]
	return s
}()

// checkMockedResult checks a mocked Task result against its resource's
// response shape, answering what is wrong ("" when nothing is): mode STRICT checks required fields and the types of
// those present, PRESENT only the types, NONE nothing. Resources without
// a known shape (Lambda function ARNs, whose results are the function's
// own, among them) pass.
func checkMockedResult(resource string, v any, mode string) string {
	if mode == "NONE" {
		return ""
	}
	_, res, ok := strings.Cut(resource, ":states:::")
	if !ok {
		return ""
	}
	sh, ok := mockShapes[res]
	if !ok {
		return ""
	}
	return sh.check("", v, mode == "STRICT")
}

// check checks v, the value of field name, against s.
func (s *shape) check(name string, v any, strict bool) string {
	switch s.kind {
	case kindString:
		if _, ok := v.(string); !ok {
			return fmt.Sprintf("Field '%s' must be a string", name)
		}
	case kindNumber:
		if _, ok := v.(json.Number); !ok {
			return fmt.Sprintf("Field '%s' must be a number", name)
		}
	case kindBool:
		if _, ok := v.(bool); !ok {
			return fmt.Sprintf("Field '%s' must be a boolean", name)
		}
	case kindArray:
		a, ok := v.([]any)
		if !ok {
			return fmt.Sprintf("Field '%s' must be an array", name)
		}
		for _, e := range a {
			if msg := s.elem.check(name, e, strict); msg != "" {
				return msg
			}
		}
	case kindObject, kindMap:
		o, ok := v.(*jsonvalue.Object)
		if !ok {
			if name == "" {
				return "Mock result must be a valid JSON object"
			}
			return fmt.Sprintf("Field '%s' must be an object", name)
		}
		return s.checkObject(o, strict)
	}
	return ""
}

func (s *shape) checkObject(o *jsonvalue.Object, strict bool) string {
	if strict {
		for _, r := range s.required {
			if _, ok := o.Get(r); !ok {
				return fmt.Sprintf("Required field '%s' is missing", r)
			}
		}
	}
	for i := range o.Len() {
		k, e := o.At(i)
		f := s.elem
		if s.kind == kindObject {
			f = s.fields[k]
		}
		if f == nil {
			continue
		}
		if msg := f.check(k, e, strict); msg != "" {
			return msg
		}
	}
	return ""
}
