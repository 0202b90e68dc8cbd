package dynalite_test

import (
	"context"
	"log"

	"github.com/asyncjobs/stepjobs/internal/dynalite"
	"github.com/asyncjobs/stepjobs/internal/dynamo"
)

// Start an in-memory dynalite, create the jobs table and put a job store on it.
func Example() {
	ctx := context.Background()
	server, err := dynalite.Start(ctx, dynalite.Options{})
	if err != nil {
		log.Fatal(err) // e.g. "run npm ci" when node_modules is missing
	}
	defer server.Stop()
	client := server.Client()
	if err := dynalite.CreateJobsTable(ctx, client, "jobs"); err != nil {
		log.Fatal(err)
	}
	store := dynamo.New(client, "jobs")
	_ = store
}
