package job_test

import (
	"fmt"

	"github.com/asyncjobs/stepjobs/internal/job"
)

func ExampleParseSimulationRequest() {
	req, err := job.ParseSimulationRequest([]byte(`{"records": 500, "seed": 7}`), false)
	fmt.Println(req.Records, *req.Seed, err)

	_, err = job.ParseSimulationRequest([]byte(`{"records": "500"}`), false)
	fmt.Println(err)

	_, err = job.ParseSimulationRequest([]byte(`{"simulateFailure": "permanent"}`), false)
	fmt.Println(err)
	// Output:
	// 500 7 <nil>
	// invalid job input: records must be a number, got a string
	// invalid job input: simulateFailure is not allowed in this deployment (set ALLOW_SIMULATED_FAILURES=true to enable it)
}

func ExampleStatus_CanBecome() {
	fmt.Println(job.StatusRunning.CanBecome(job.StatusSucceeded))
	fmt.Println(job.StatusSucceeded.CanBecome(job.StatusSucceeded))
	fmt.Println(job.StatusSucceeded.CanBecome(job.StatusFailed))
	fmt.Println(job.StatusFailed.CanBecome(job.StatusRunning))
	// Output:
	// true
	// true
	// false
	// false
}
