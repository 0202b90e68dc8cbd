package asl_test

import (
	"encoding/json"
	"fmt"

	"github.com/asyncjobs/stepjobs/internal/asl"
)

// Parse a definition and run one Pass state's data flow.
func Example() {
	sm, err := asl.Parse([]byte(`{
	  "StartAt": "Greet",
	  "States": {
	    "Greet": {
	      "Type": "Pass",
	      "Parameters": {"greeting.$": "States.Format('Hello, {}!', $.name)", "run.$": "$$.Execution.Name"},
	      "ResultPath": "$.out",
	      "End": true
	    }
	  }
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	input, _ := asl.DecodeJSON([]byte(`{"name": "Ada"}`))
	env := &asl.Env{Context: map[string]any{"Execution": map[string]any{"Name": "run-1"}}}
	st := sm.States[sm.StartAt]
	in, _ := st.EffectiveInput(input, env)
	out, _ := st.EffectiveOutput(input, st.PassResult(in), env)
	text, _ := json.Marshal(out)
	fmt.Println(string(text))
	// Output: {"name":"Ada","out":{"greeting":"Hello, Ada!","run":"run-1"}}
}

// An invalid definition reports AWS's code and location.
func ExampleParse_invalid() {
	_, err := asl.Parse([]byte(`{"StartAt": "A", "States": {
	  "A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "B"}], "Default": "Done"},
	  "Done": {"Type": "Succeed"}}}`))
	fmt.Println(err)
	// Output: Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Choices[0]/Next'
}
