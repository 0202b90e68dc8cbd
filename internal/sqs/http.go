package sqs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// targetPrefix starts the X-Amz-Target of every SQS JSON request.
const targetPrefix = "AmazonSQS."

// maxRequestBytes bounds a request body: a batch of 1 MiB of messages,
// JSON-escaped, with room to spare.
const maxRequestBytes = 8 << 20

type action func(ctx context.Context, body []byte) (any, error)

// call adapts a method with a result to an action.
func call[In, Out any](f func(context.Context, In) (Out, error)) action {
	return func(ctx context.Context, body []byte) (any, error) {
		var in In
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		return f(ctx, in)
	}
}

// do adapts a method without a result (answered "{}") to an action.
func do[In any](f func(context.Context, In) error) action {
	return func(ctx context.Context, body []byte) (any, error) {
		var in In
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		return struct{}{}, f(ctx, in)
	}
}

func (s *Service) actions() map[string]action {
	return map[string]action{
		"CreateQueue":                  call(s.CreateQueue),
		"GetQueueUrl":                  call(s.GetQueueUrl),
		"ListQueues":                   call(s.ListQueues),
		"DeleteQueue":                  do(s.DeleteQueue),
		"PurgeQueue":                   do(s.PurgeQueue),
		"GetQueueAttributes":           call(s.GetQueueAttributes),
		"SetQueueAttributes":           do(s.SetQueueAttributes),
		"TagQueue":                     do(s.TagQueue),
		"UntagQueue":                   do(s.UntagQueue),
		"ListQueueTags":                call(s.ListQueueTags),
		"SendMessage":                  call(s.SendMessage),
		"SendMessageBatch":             call(s.SendMessageBatch),
		"ReceiveMessage":               call(s.ReceiveMessage),
		"DeleteMessage":                do(s.DeleteMessage),
		"DeleteMessageBatch":           call(s.DeleteMessageBatch),
		"ChangeMessageVisibility":      do(s.ChangeMessageVisibility),
		"ChangeMessageVisibilityBatch": call(s.ChangeMessageVisibilityBatch),
	}
}

// decode reads a JSON request body; "" is an empty request, as SDKs send
// "{}" for one.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(v); err != nil {
		return errorf(CodeSerialization, "%s", serializationMessage(err))
	}
	if d.More() {
		return errorf(CodeSerialization, "trailing data after the request's JSON object")
	}
	return nil
}

func serializationMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("Unexpected %s for field %s", te.Value, te.Field)
	}
	return "Malformed request body: " + err.Error()
}

// Handler serves the SQS AWS JSON 1.0 protocol: POST with X-Amz-Target
// "AmazonSQS.<Action>" and a JSON body; errors carry __type
// ("com.amazonaws.sqs#QueueDoesNotExist") and the x-amzn-query-error
// header ("AWS.SimpleQueueService.NonExistentQueue;Sender") that SDKs read
// the error code from. Requests of the older query protocol (form-encoded
// Action=...) are refused with a message that says so.
func (s *Service) Handler() http.Handler {
	actions := s.actions()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := newID()
		w.Header().Set("x-amzn-RequestId", id)
		target := r.Header.Get("X-Amz-Target")
		if target == "" && (r.Method == http.MethodGet || strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")) {
			writeQueryRefusal(w, id)
			return
		}
		if r.Method != http.MethodPost {
			writeError(w, errorf(CodeUnknownOperation, "SQS takes POST requests, not %s.", r.Method))
			return
		}
		name, ok := strings.CutPrefix(target, targetPrefix)
		act := actions[name]
		if !ok || act == nil {
			writeError(w, errorf(CodeUnknownOperation, "Unknown operation %s.", target))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
		if err != nil {
			writeError(w, errorf(CodeSerialization, "reading the request body: %v", err))
			return
		}
		out, err := act(r.Context(), body)
		if err != nil {
			if r.Context().Err() != nil {
				return // the client went away during a long poll
			}
			writeError(w, err)
			return
		}
		b, err := json.Marshal(out)
		if err != nil {
			writeError(w, errorf(CodeInternalError, "encoding the response: %v", err))
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write(b)
	})
}

// typePrefix namespaces __type: the model's shapes under com.amazonaws.sqs,
// the framework's own errors under com.amazon.coral.service, as SQS sends
// them.
func typePrefix(code string) string {
	switch code {
	case CodeSerialization, CodeUnknownOperation, CodeInternalError:
		return "com.amazon.coral.service#"
	}
	return "com.amazonaws.sqs#"
}

func writeError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = errorf(CodeInternalError, "%v", err)
	}
	fault := "Sender"
	if !e.sender {
		fault = "Receiver"
	}
	w.Header().Set("x-amzn-query-error", e.queryCode+";"+fault)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(e.status)
	b, _ := json.Marshal(map[string]string{"__type": typePrefix(e.code) + e.code, "message": e.message})
	_, _ = w.Write(b)
}

// writeQueryRefusal answers a query-protocol request in that protocol's
// XML, so an old SDK shows why it failed.
func writeQueryRefusal(w http.ResponseWriter, id string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `<?xml version="1.0"?><ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>The local SQS speaks the AWS JSON 1.0 protocol only (X-Amz-Target AmazonSQS.Action); use an SDK or AWS CLI release from 2024 or later.</Message><Detail/></Error><RequestId>%s</RequestId></ErrorResponse>`, id)
}
