package integration

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/asyncjobs/stepjobs/internal/eventbridge"
	"github.com/asyncjobs/stepjobs/internal/sfn"
)

func registerEvents(r *registrar, bus EventBus) {
	r.add("events", "putEvents", true, func(_ context.Context, params []byte) ([]byte, error) {
		entries, err := putEventsEntries(params)
		if err != nil {
			return nil, err
		}
		results, failed := bus.PutEvents(entries)
		out, err := json.Marshal(struct {
			Entries          []eventbridge.EntryResult `json:"Entries"`
			FailedEntryCount int                       `json:"FailedEntryCount"`
		}{results, failed})
		if err != nil {
			return nil, fmt.Errorf("events putEvents: %w", err)
		}
		if failed > 0 {
			// Step Functions fails the task with the whole answer as cause.
			return nil, &sfn.TaskError{Name: "EventBridge.FailedEntry", Cause: string(out)}
		}
		return out, nil
	})
}

// putEventsEntries reads PutEvents' Entries; a Detail given as JSON (not
// a string) is sent as its text, as Step Functions does.
func putEventsEntries(params []byte) ([]eventbridge.Entry, error) {
	var in struct {
		Entries []struct {
			eventbridge.Entry
			Detail json.RawMessage `json:"Detail"`
		} `json:"Entries"`
	}
	if err := json.Unmarshal(params, &in); err != nil {
		return nil, &sfn.TaskError{Name: "EventBridge.AmazonEventBridgeException", Cause: "invalid PutEvents request: " + err.Error()}
	}
	if len(in.Entries) == 0 || len(in.Entries) > 10 {
		return nil, &sfn.TaskError{Name: "EventBridge.AmazonEventBridgeException",
			Cause: fmt.Sprintf("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10 (got %d)", len(in.Entries))}
	}
	out := make([]eventbridge.Entry, len(in.Entries))
	for i, e := range in.Entries {
		out[i] = e.Entry
		out[i].Detail = textOf(e.Detail)
	}
	return out, nil
}

// textOf is a parameter a service takes as a string: a JSON string's
// value, any other JSON as its text ("" when absent or null).
func textOf(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}
