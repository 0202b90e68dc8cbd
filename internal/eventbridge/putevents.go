package eventbridge

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// Entry is one event of a PutEvents request, in the API's shape.
type Entry struct {
	Source       string   `json:"Source,omitempty"`
	DetailType   string   `json:"DetailType,omitempty"`
	Detail       string   `json:"Detail,omitempty"`
	Resources    []string `json:"Resources,omitempty"`
	EventBusName string   `json:"EventBusName,omitempty"`
	// Time is the event's time; now when nil.
	Time *time.Time `json:"Time,omitempty"`
}

// EntryResult is PutEvents' answer for one entry: its event id, or why it
// was refused.
type EntryResult struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

// defaultBus is the bus the rules read from serverless.yml listen on.
const defaultBus = "default"

// PutEvents puts entries on the bus as EventBridge's PutEvents does: each
// valid entry becomes an event with a new id, delivered to every rule whose
// pattern matches it (asynchronously, with the same retries and dead-letter
// handling as the status changes); an invalid entry gets the error code and
// message EventBridge answers with, and the others still go. The failed
// count is the second result.
func (e *Rules) PutEvents(entries []Entry) ([]EntryResult, int) {
	out := make([]EntryResult, len(entries))
	failed := 0
	for i, en := range entries {
		detail, res := validEntry(en)
		if res.ErrorCode != "" {
			out[i] = res
			failed++
			continue
		}
		id := sfn.NewUUID()
		out[i] = EntryResult{EventID: id}
		if en.EventBusName != "" && en.EventBusName != defaultBus && !isDefaultBusARN(en.EventBusName) {
			continue // no rule of this runtime listens on another bus
		}
		at := time.Now()
		if en.Time != nil {
			at = *en.Time
		}
		resources := make([]any, len(en.Resources))
		for j, r := range en.Resources {
			resources[j] = r
		}
		ev := map[string]any{
			"version":     "0",
			"id":          id,
			"detail-type": en.DetailType,
			"source":      en.Source,
			"account":     e.account,
			"time":        at.UTC().Format(time.RFC3339),
			"region":      e.region,
			"resources":   resources,
			"detail":      detail,
		}
		for _, d := range e.matching(ev, func(function string) string { return function + " " + id }, nil, "eventId", id, "source", en.Source) {
			e.start(d)
		}
	}
	return out, failed
}

// validEntry checks en as EventBridge does and decodes its detail.
func validEntry(en Entry) (map[string]any, EntryResult) {
	required := func(field string) EntryResult {
		return EntryResult{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter " + field + " is not valid. Reason: " + field + " is a required argument."}
	}
	switch {
	case en.Source == "":
		return nil, required("Source")
	case en.DetailType == "":
		return nil, required("DetailType")
	case en.Detail == "":
		return nil, required("Detail")
	}
	var detail map[string]any
	if err := json.Unmarshal([]byte(en.Detail), &detail); err != nil || detail == nil {
		return nil, EntryResult{ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed."}
	}
	return detail, EntryResult{}
}

// isDefaultBusARN reports whether bus is the ARN of a default event bus.
func isDefaultBusARN(bus string) bool {
	const suffix = ":event-bus/default"
	return strings.HasSuffix(bus, suffix) && strings.HasPrefix(bus, "arn:")
}
