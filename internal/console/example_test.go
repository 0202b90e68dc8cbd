package console_test

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/asyncjobs/stepjobs/internal/console"
)

// The local runtime mounts the console beside its API, reading the local
// Step Functions endpoint, the jobs table and the local S3.
func ExampleNew() {
	creds := credentials.NewStaticCredentialsProvider("local", "local", "")
	states := sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:8083"), Credentials: creds})
	jobs := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:8000"), Credentials: creds})

	mux := http.NewServeMux()
	mux.Handle("/console/", console.New(console.Config{
		StepFunctions: states,
		Jobs:          jobs,
		JobsTable:     "stepjobs-dev-jobs",
		ResultURL:     func(bucket, key string) string { return "http://127.0.0.1:8084/" + bucket + "/" + key },
	}))
	_ = http.ListenAndServe // then serve mux; the console is at http://127.0.0.1:8080/console/
}
