package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// Limits on what one page asks the API for.
const (
	recentPerMachine = 5
	recentMachines   = 25 // machines listed with their latest executions (one call each)
	executionsPage   = 100
	historyPages     = 25 // of 1,000 events: AWS's 25,000-event cap
	machinesPages    = 10
)

var funcs = template.FuncMap{
	"statusIcon": func(s string) string { return statusLabels[execStatus(s)].Icon },
	"lower":      strings.ToLower,
	"inc":        func(i int) int { return i + 1 },
}

// execStatus maps an execution status to the state status drawn the same way.
func execStatus(s string) runStatus {
	switch s {
	case "SUCCEEDED":
		return statusSucceeded
	case "FAILED", "TIMED_OUT":
		return statusFailed
	case "ABORTED":
		return statusStopped
	case "RUNNING":
		return statusRunning
	}
	return statusNotReached
}

// execRow is one execution in a list.
type execRow struct {
	Name, ARN, Status, StatusText string
	Started, Stopped, Duration    string
	StartedISO                    string
}

func (h *Handler) execRow(e types.ExecutionListItem) execRow {
	row := execRow{Name: aws.ToString(e.Name), ARN: aws.ToString(e.ExecutionArn), Status: string(e.Status),
		StatusText: strings.ReplaceAll(strings.ToLower(string(e.Status)), "_", " ")}
	if e.StartDate != nil {
		row.Started = formatTime(*e.StartDate)
		row.StartedISO = e.StartDate.UTC().Format(time.RFC3339Nano)
	}
	if e.StopDate != nil {
		row.Stopped = formatTime(*e.StopDate)
	}
	row.Duration = h.duration(e.StartDate, e.StopDate)
	return row
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") }

// duration is stop-start, or the time running so far.
func (h *Handler) duration(start, stop *time.Time) string {
	if start == nil {
		return ""
	}
	if stop == nil {
		return formatDuration(h.cfg.Now().Sub(*start)) + " so far"
	}
	return formatDuration(stop.Sub(*start))
}

func formatDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "0 ms"
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.3f s", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
}

// index lists the state machines with their latest executions.
func (h *Handler) index(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	type machineRow struct {
		Name, ARN, Type, Created string
		Recent                   []execRow
		Listed                   bool // Recent was read
	}
	var rows []machineRow
	var token *string
	for page := 0; page < machinesPages; page++ {
		out, err := h.cfg.StepFunctions.ListStateMachines(ctx, &sfn.ListStateMachinesInput{NextToken: token})
		if err != nil {
			h.fail(w, r, fmt.Errorf("list state machines: %w", err))
			return
		}
		for _, m := range out.StateMachines {
			row := machineRow{Name: aws.ToString(m.Name), ARN: aws.ToString(m.StateMachineArn), Type: string(m.Type)}
			if m.CreationDate != nil {
				row.Created = formatTime(*m.CreationDate)
			}
			if row.Listed = len(rows) < recentMachines; row.Listed {
				ex, err := h.cfg.StepFunctions.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: m.StateMachineArn, MaxResults: recentPerMachine})
				if err != nil {
					h.fail(w, r, fmt.Errorf("list executions of %s: %w", row.Name, err))
					return
				}
				for _, e := range ex.Executions {
					row.Recent = append(row.Recent, h.execRow(e))
				}
			}
			rows = append(rows, row)
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	h.render(w, r, http.StatusOK, "index", "page", map[string]any{"Title": "State machines", "Machines": rows, "PollMS": h.cfg.PollInterval.Milliseconds()})
}

// statusFilters are the list filters, as the API names the statuses.
var statusFilters = []string{"", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}

// machine shows a state machine's graph and its executions, filtered by status.
func (h *Handler) machine(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	arn := r.URL.Query().Get("arn")
	filter := r.URL.Query().Get("status")
	if arn == "" || !slices.Contains(statusFilters, filter) {
		h.fail(w, r, &pageError{Status: http.StatusBadRequest, Msg: "need ?arn=<state machine ARN> and an optional status (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED)"})
		return
	}
	in := &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), MaxResults: executionsPage}
	if filter != "" {
		in.StatusFilter = types.ExecutionStatus(filter)
	}
	ex, err := h.cfg.StepFunctions.ListExecutions(ctx, in)
	if err != nil {
		h.fail(w, r, apiError("list executions", err))
		return
	}
	rows := make([]execRow, 0, len(ex.Executions))
	for _, e := range ex.Executions {
		rows = append(rows, h.execRow(e))
	}
	if r.URL.Query().Get("partial") == "rows" {
		h.render(w, r, http.StatusOK, "machine", "rows", map[string]any{"Rows": rows})
		return
	}
	sm, err := h.cfg.StepFunctions.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		h.fail(w, r, apiError("describe state machine", err))
		return
	}
	d := drawDefinition(aws.ToString(sm.Definition), svgView{})
	type filterLink struct {
		Label, Href string
		Current     bool
	}
	var filters []filterLink
	for _, f := range statusFilters {
		q := url.Values{"arn": {arn}}
		label := "All"
		if f != "" {
			q.Set("status", f)
			label = strings.ReplaceAll(strings.ToLower(f), "_", " ")
		}
		filters = append(filters, filterLink{Label: label, Href: "state-machine?" + q.Encode(), Current: f == filter})
	}
	q := url.Values{"arn": {arn}, "partial": {"rows"}}
	if filter != "" {
		q.Set("status", filter)
	}
	h.render(w, r, http.StatusOK, "machine", "page", map[string]any{
		"Title": aws.ToString(sm.Name), "Machine": sm, "Created": formatTime(aws.ToTime(sm.CreationDate)),
		"Graph": d.SVG, "GraphError": d.Err, "LargeGraph": d.Large, "Filters": filters, "Filter": filter, "Rows": rows,
		"PollURL": "state-machine?" + q.Encode(), "PollMS": h.cfg.PollInterval.Milliseconds(),
		"Definition": prettyJSON(aws.ToString(sm.Definition)),
	})
}

// drawing is a drawn definition, or why it could not be drawn.
type drawing struct {
	SVG   template.HTML
	Large bool // not scaled down to fit by default
	Err   string
}

// drawDefinition lays out and draws a definition.
func drawDefinition(def string, v svgView) drawing {
	g, err := parseGraph(def)
	if err != nil {
		return drawing{Err: err.Error()}
	}
	sl := layoutGraph(g, true)
	return drawing{SVG: renderSVG(sl, v), Large: sl.W > largeGraphW || sl.H > largeGraphH}
}

// apiError maps the API's "does not exist" and "invalid ARN" errors to 404 and 400.
func apiError(what string, err error) error {
	var (
		noExec *types.ExecutionDoesNotExist
		noSM   *types.StateMachineDoesNotExist
		badARN *types.InvalidArn
	)
	switch {
	case errors.As(err, &noExec), errors.As(err, &noSM):
		return &pageError{Status: http.StatusNotFound, Msg: what, Err: err}
	case errors.As(err, &badARN):
		return &pageError{Status: http.StatusBadRequest, Msg: what, Err: err}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// statePanel is the detail panel of one state.
type statePanel struct {
	*stateRun
	Type, Label, Icon string
	Input, Output     string
	Call              taskCall // indented
	Child, ChildHref  string   // the execution a states:startExecution task started, and its page
	TestHref          string   // the state's "Test this state" page
	Reached           bool
	JSONata           []jsonataField // a JSONata state's fields, as written
}

// execution shows one execution: its graph coloured by what each state did,
// the state panels, the event history and the job's record.
func (h *Handler) execution(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	arn := r.URL.Query().Get("arn")
	if arn == "" {
		h.fail(w, r, &pageError{Status: http.StatusBadRequest, Msg: "need ?arn=<execution ARN>"})
		return
	}
	ex, events, sm, err := h.loadExecution(ctx, arn)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	tr := analyse(events, ex.Status)
	selected := r.URL.Query().Get("state")
	href := func(state string) string {
		return "execution?" + url.Values{"arn": {arn}, "state": {state}}.Encode() + "#state-details"
	}
	def := aws.ToString(sm.Definition)
	d := drawDefinition(def, svgView{Runs: tr.States, Selected: selected, Href: href})
	// Panels in graph order, states never reached included.
	var panels []statePanel
	if g, err := parseGraph(def); err == nil {
		walkStates(g, func(s *stateNode) {
			run := tr.States[s.Name]
			if run == nil {
				run = &stateRun{Name: s.Name, Status: statusNotReached}
			}
			l := statusLabels[run.Status]
			child := childExecution(run.Call)
			panels = append(panels, statePanel{stateRun: run, Type: s.Type, Label: l.Text, Icon: l.Icon,
				Input: prettyJSON(run.Input), Output: prettyJSON(run.Output), Reached: run.Entered > 0, JSONata: s.JSONata,
				Call: taskCall{Resource: run.Call.Resource, Request: prettyJSON(run.Call.Request),
					Submitted: prettyJSON(run.Call.Submitted), Response: prettyJSON(run.Call.Response)},
				Child: child, ChildHref: executionHref(child), TestHref: testStateHref(arn, s.Name, 0)})
		})
	}
	legend := make([]map[string]string, 0, len(legendOrder))
	for _, s := range legendOrder {
		legend = append(legend, map[string]string{"Class": string(s), "Icon": statusLabels[s].Icon, "Text": statusLabels[s].Text})
	}
	status := string(ex.Status)
	parent := startedBy(aws.ToString(ex.Input))
	data := map[string]any{
		"Title": aws.ToString(ex.Name), "Exec": ex, "Status": status, "StatusClass": string(execStatus(status)),
		"StatusText": strings.ReplaceAll(strings.ToLower(status), "_", " "), "Running": ex.Status == types.ExecutionStatusRunning,
		"Started": formatTime(aws.ToTime(ex.StartDate)), "Duration": h.duration(ex.StartDate, ex.StopDate),
		"MachineName": aws.ToString(sm.Name), "MachineHref": "state-machine?" + url.Values{"arn": {aws.ToString(ex.StateMachineArn)}}.Encode(),
		"Parent": parent, "ParentHref": executionHref(parent),
		"Input": prettyJSON(aws.ToString(ex.Input)), "Output": prettyJSON(aws.ToString(ex.Output)),
		"Error": aws.ToString(ex.Error), "Cause": aws.ToString(ex.Cause),
		"Graph": d.SVG, "GraphError": d.Err, "LargeGraph": d.Large, "Legend": legend, "Panels": panels, "Selected": selected,
		"Rows": tr.Rows, "PollURL": "execution?" + url.Values{"arn": {arn}, "partial": {"live"}}.Encode(),
		"PollMS": h.cfg.PollInterval.Milliseconds(),
	}
	if ex.StopDate != nil {
		data["Stopped"] = formatTime(*ex.StopDate)
	}
	record, recErr := h.jobRecord(r, aws.ToString(ex.Name))
	data["Record"], data["RecordError"] = record, recErr
	data["HasRecords"] = h.cfg.Jobs != nil && h.cfg.JobsTable != ""
	data["Result"] = h.resultLink(aws.ToString(ex.Output), record)
	data["Progress"] = recordProgress(record)
	if r.URL.Query().Get("partial") == "live" {
		h.render(w, r, http.StatusOK, "execution", "live", data)
		return
	}
	h.render(w, r, http.StatusOK, "execution", "page", data)
}

// loadExecution reads an execution, its whole history (with its data) and
// its state machine.
func (h *Handler) loadExecution(ctx context.Context, arn string) (*sfn.DescribeExecutionOutput, []types.HistoryEvent, *sfn.DescribeStateMachineOutput, error) {
	ex, err := h.cfg.StepFunctions.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		return nil, nil, nil, apiError("describe execution", err)
	}
	var events []types.HistoryEvent
	var token *string
	for page := 0; page < historyPages; page++ {
		out, err := h.cfg.StepFunctions.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{
			ExecutionArn: aws.String(arn), MaxResults: 1000, NextToken: token, IncludeExecutionData: aws.Bool(true)})
		if err != nil {
			return nil, nil, nil, apiError("get execution history", err)
		}
		events = append(events, out.Events...)
		if token = out.NextToken; token == nil {
			break
		}
	}
	sm, err := h.cfg.StepFunctions.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: ex.StateMachineArn})
	if err != nil {
		return nil, nil, nil, apiError("describe state machine", err)
	}
	return ex, events, sm, nil
}

// walkStates visits states in graph order, nested ones after their parent.
func walkStates(g *graph, fn func(*stateNode)) {
	for _, s := range g.States {
		fn(s)
		for _, sub := range s.Nested {
			walkStates(sub, fn)
		}
	}
}

// jobRecord reads the job's item as indented JSON ("" when not configured or absent).
func (h *Handler) jobRecord(r *http.Request, jobID string) (string, string) {
	if h.cfg.Jobs == nil || h.cfg.JobsTable == "" {
		return "", ""
	}
	out, err := h.cfg.Jobs.GetItem(r.Context(), &dynamodb.GetItemInput{
		TableName:      aws.String(h.cfg.JobsTable),
		Key:            map[string]dbtypes.AttributeValue{h.cfg.JobKey: &dbtypes.AttributeValueMemberS{Value: jobID}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		h.cfg.Logger.WarnContext(r.Context(), "console: job record", "jobId", jobID, "err", err)
		return "", fmt.Sprintf("get job record: %v", err)
	}
	if len(out.Item) == 0 {
		return "", ""
	}
	var item map[string]any
	if err := attributevalue.UnmarshalMap(out.Item, &item); err != nil {
		return "", fmt.Sprintf("decode job record: %v", err)
	}
	b, err := json.MarshalIndent(item, "", "  ")
	if err != nil {
		return "", fmt.Sprintf("encode job record: %v", err)
	}
	return string(b), ""
}

// progressView is a job's progress as its record holds it (batch-simulation
// writes recordsGenerated and recordsTotal while the job runs).
type progressView struct{ Generated, Total, Percent int }

// recordProgress reads the progress of a job record (JSON), nil when the
// record has none (yet).
func recordProgress(record string) *progressView {
	var v struct {
		Generated *int `json:"recordsGenerated"`
		Total     *int `json:"recordsTotal"`
	}
	if json.Unmarshal([]byte(record), &v) != nil || v.Generated == nil || v.Total == nil || *v.Total <= 0 {
		return nil
	}
	return &progressView{Generated: *v.Generated, Total: *v.Total, Percent: *v.Generated * 100 / *v.Total}
}

// resultRef is a job's result object.
type resultRef struct{ Bucket, Key, URL string }

// resultLink finds {result: {bucket, key}} in the execution output, else in
// the job record.
func (h *Handler) resultLink(output, record string) *resultRef {
	for _, doc := range []string{output, record} {
		var v struct {
			Result struct {
				Bucket string `json:"bucket"`
				Key    string `json:"key"`
			} `json:"result"`
		}
		if json.Unmarshal([]byte(doc), &v) != nil || v.Result.Bucket == "" || v.Result.Key == "" {
			continue
		}
		ref := &resultRef{Bucket: v.Result.Bucket, Key: v.Result.Key}
		if h.cfg.ResultURL != nil {
			ref.URL = h.cfg.ResultURL(ref.Bucket, ref.Key)
		}
		return ref
	}
	return nil
}

// childExecution is the ARN of the execution a Step Functions task
// (states:startExecution, aws-sdk:sfn:startExecution) started: its answer,
// or what a .sync task submitted, names it.
func childExecution(c taskCall) string {
	if !strings.HasSuffix(c.Resource, ":startExecution") && !strings.Contains(c.Resource, ":startExecution.") {
		return ""
	}
	for _, text := range []string{c.Response, c.Submitted} {
		var v struct{ ExecutionArn string }
		if json.Unmarshal([]byte(text), &v) == nil && v.ExecutionArn != "" {
			return v.ExecutionArn
		}
	}
	return ""
}

// executionHref is the console page of execution arn ("" for none).
func executionHref(arn string) string {
	if arn == "" {
		return ""
	}
	return "execution?" + url.Values{"arn": {arn}}.Encode()
}

// startedBy is the parent execution an execution's input names, as Step
// Functions' console links a child to it: the input field
// AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID, which a parent sets from
// $$.Execution.Id.
func startedBy(input string) string {
	var v struct {
		Parent string `json:"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"`
	}
	if json.Unmarshal([]byte(input), &v) != nil {
		return ""
	}
	return v.Parent
}
