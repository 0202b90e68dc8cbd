package console

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// edgeKind says why one state leads to another; it decides how the edge is drawn.
type edgeKind int

const (
	edgeNext    edgeKind = iota // Next, and the synthetic start/end edges
	edgeChoice                  // a Choice rule's Next
	edgeDefault                 // a Choice's Default
	edgeCatch                   // a Catcher's Next (drawn dashed)
)

// graph is one scope of a definition: the top level, a Parallel branch or a
// Map item processor. States are in breadth-first order from StartAt (then
// unreachable ones by name), so the layout does not depend on map order.
type graph struct {
	StartAt string
	States  []*stateNode
	Edges   []graphEdge
}

// stateNode is one state. Parallel branches and Map item processors are
// nested graphs, drawn as boxes inside the state's box.
type stateNode struct {
	Name     string
	Type     string
	Comment  string
	Terminal bool // End: true, Succeed or Fail: leads to the end of its scope
	Nested   []*graph
	// JSONata lists a JSONata state's fields that hold expressions or
	// values (Arguments, Output, Condition, ...), as written.
	JSONata []jsonataField
}

// jsonataField is one field of a JSONata state, e.g. Output or
// Choices[1].Condition, and its value as written (indented JSON).
type jsonataField struct {
	Field, Value string
}

// graphEdge is a transition inside one scope.
type graphEdge struct {
	From, To string
	Kind     edgeKind
	Label    string // short text drawn on the edge
	Title    string // full text (tooltip), e.g. the errors a Catcher matches
}

// rawMachine and rawState read only what the graph needs from ASL JSON, so
// any definition AWS accepts (JSONata too) can be drawn.
type rawMachine struct {
	StartAt       string              `json:"StartAt"`
	States        map[string]rawState `json:"States"`
	QueryLanguage string              `json:"QueryLanguage"`
}

type rawState struct {
	Type    string `json:"Type"`
	Comment string `json:"Comment"`
	Next    string `json:"Next"`
	End     bool   `json:"End"`
	Default string `json:"Default"`
	Choices []struct {
		Next      string          `json:"Next"`
		Condition json.RawMessage `json:"Condition"`
		Output    json.RawMessage `json:"Output"`
		Assign    json.RawMessage `json:"Assign"`
	} `json:"Choices"`
	Catch []struct {
		ErrorEquals []string        `json:"ErrorEquals"`
		Next        string          `json:"Next"`
		Output      json.RawMessage `json:"Output"`
		Assign      json.RawMessage `json:"Assign"`
	} `json:"Catch"`
	QueryLanguage string `json:"QueryLanguage"`
	// The JSONata fields, shown as written.
	Arguments                  json.RawMessage `json:"Arguments"`
	Output                     json.RawMessage `json:"Output"`
	Assign                     json.RawMessage `json:"Assign"`
	Items                      json.RawMessage `json:"Items"`
	ItemSelector               json.RawMessage `json:"ItemSelector"`
	Seconds                    json.RawMessage `json:"Seconds"`
	Timestamp                  json.RawMessage `json:"Timestamp"`
	TimeoutSeconds             json.RawMessage `json:"TimeoutSeconds"`
	HeartbeatSeconds           json.RawMessage `json:"HeartbeatSeconds"`
	MaxConcurrency             json.RawMessage `json:"MaxConcurrency"`
	ToleratedFailureCount      json.RawMessage `json:"ToleratedFailureCount"`
	ToleratedFailurePercentage json.RawMessage `json:"ToleratedFailurePercentage"`
	Error                      json.RawMessage `json:"Error"`
	Cause                      json.RawMessage `json:"Cause"`
	Branches                   []rawMachine    `json:"Branches"`
	ItemProcessor              *rawMachine     `json:"ItemProcessor"`
	Iterator                   *rawMachine     `json:"Iterator"`
}

// parseGraph reads a definition into nested graphs.
func parseGraph(definition string) (*graph, error) {
	var m rawMachine
	if err := json.Unmarshal([]byte(definition), &m); err != nil {
		return nil, fmt.Errorf("parse definition: %w", err)
	}
	if m.StartAt == "" || len(m.States) == 0 {
		return nil, fmt.Errorf("parse definition: no StartAt or States")
	}
	return buildGraph(&m, 0, m.QueryLanguage == "JSONata")
}

// jsonataFields lists the fields of a JSONata state that are set.
func (st *rawState) jsonataFields() []jsonataField {
	var out []jsonataField
	add := func(field string, v json.RawMessage) {
		if len(v) > 0 {
			out = append(out, jsonataField{Field: field, Value: prettyJSON(string(v))})
		}
	}
	add("Arguments", st.Arguments)
	add("Items", st.Items)
	add("ItemSelector", st.ItemSelector)
	add("MaxConcurrency", st.MaxConcurrency)
	add("ToleratedFailureCount", st.ToleratedFailureCount)
	add("ToleratedFailurePercentage", st.ToleratedFailurePercentage)
	add("Seconds", st.Seconds)
	add("Timestamp", st.Timestamp)
	add("TimeoutSeconds", st.TimeoutSeconds)
	add("HeartbeatSeconds", st.HeartbeatSeconds)
	for i, c := range st.Choices {
		add(fmt.Sprintf("Choices[%d].Condition", i), c.Condition)
		add(fmt.Sprintf("Choices[%d].Output", i), c.Output)
		add(fmt.Sprintf("Choices[%d].Assign", i), c.Assign)
	}
	add("Output", st.Output)
	add("Assign", st.Assign)
	add("Error", st.Error)
	add("Cause", st.Cause)
	for i, c := range st.Catch {
		add(fmt.Sprintf("Catch[%d].Output", i), c.Output)
		add(fmt.Sprintf("Catch[%d].Assign", i), c.Assign)
	}
	return out
}

// maxNesting bounds recursion on hostile definitions.
const maxNesting = 16

// buildGraph draws one scope; jsonata tells whether the machine's
// QueryLanguage is JSONata (states inherit it unless they set their own).
func buildGraph(m *rawMachine, depth int, jsonata bool) (*graph, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("parse definition: nested deeper than %d levels", maxNesting)
	}
	g := &graph{StartAt: m.StartAt}
	nodes := make(map[string]*stateNode, len(m.States))
	var out = func(name string, st rawState) []graphEdge {
		var es []graphEdge
		if st.Next != "" {
			es = append(es, graphEdge{From: name, To: st.Next, Kind: edgeNext})
		}
		for i, c := range st.Choices {
			if c.Next != "" {
				es = append(es, graphEdge{From: name, To: c.Next, Kind: edgeChoice, Label: fmt.Sprintf("rule %d", i+1)})
			}
		}
		if st.Default != "" {
			es = append(es, graphEdge{From: name, To: st.Default, Kind: edgeDefault, Label: "Default"})
		}
		for _, c := range st.Catch {
			if c.Next != "" {
				errs := strings.Join(c.ErrorEquals, ", ")
				es = append(es, graphEdge{From: name, To: c.Next, Kind: edgeCatch, Label: "catch", Title: "Catch " + errs})
			}
		}
		return es
	}
	for name, st := range m.States {
		n := &stateNode{Name: name, Type: st.Type, Comment: st.Comment,
			Terminal: st.End || st.Type == "Succeed" || st.Type == "Fail"}
		if st.QueryLanguage == "JSONata" || jsonata && st.QueryLanguage == "" {
			n.JSONata = st.jsonataFields()
		}
		for i := range st.Branches {
			sub, err := buildGraph(&st.Branches[i], depth+1, jsonata)
			if err != nil {
				return nil, err
			}
			n.Nested = append(n.Nested, sub)
		}
		proc := st.ItemProcessor
		if proc == nil {
			proc = st.Iterator
		}
		if proc != nil {
			sub, err := buildGraph(proc, depth+1, jsonata)
			if err != nil {
				return nil, err
			}
			n.Nested = append(n.Nested, sub)
		}
		nodes[name] = n
	}
	// Breadth-first from StartAt, edges in definition order.
	seen := map[string]bool{}
	queue := []string{m.StartAt}
	seen[m.StartAt] = true
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		n, ok := nodes[name]
		if !ok {
			continue // a missing target: drawn as no node (AWS refuses such definitions anyway)
		}
		g.States = append(g.States, n)
		for _, e := range out(name, m.States[name]) {
			if !seen[e.To] {
				seen[e.To] = true
				queue = append(queue, e.To)
			}
		}
	}
	var rest []string
	for name := range nodes {
		if !seen[name] {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	for _, name := range rest {
		g.States = append(g.States, nodes[name])
	}
	for _, n := range g.States {
		for _, e := range out(n.Name, m.States[n.Name]) {
			if _, ok := nodes[e.To]; ok {
				g.Edges = append(g.Edges, e)
			}
		}
	}
	return g, nil
}
