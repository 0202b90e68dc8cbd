package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/asyncjobs/stepjobs/client"
)

// fakeAPI stands in for the stepjobs API in the examples: a job is RUNNING
// on its first describe, then SUCCEEDED, or FAILED when its input asks for
// a simulated failure.
func fakeAPI() *httptest.Server {
	var mu sync.Mutex
	polls := map[string]int{}
	fail := map[string]bool{}
	prefix := "arn:aws:states:us-east-1:123456789012:execution:stepjobs-dev-jobs:"
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		switch r.URL.Path {
		case "/start-execution":
			id := "46f97551b1fe03bf-" + r.Header.Get("Idempotency-Key")
			fail[id] = body["simulateFailure"] != nil
			w.Header().Set("Location", "jobs/"+id+"/result")
			w.WriteHeader(http.StatusAccepted)
			fmt.Fprintf(w, `{"jobId":%q,"executionArn":%q,"startDate":1795470123.456}`, id, prefix+id)
		case "/describe-execution":
			arn, _ := body["executionArn"].(string)
			id := arn[strings.LastIndexByte(arn, ':')+1:]
			polls[id]++
			if _, known := fail[id]; !known {
				w.WriteHeader(http.StatusNotFound)
				fmt.Fprint(w, `{"message":"Job not found","code":"JobNotFound"}`)
				return
			}
			switch {
			case polls[id] == 1:
				fmt.Fprintf(w, `{"jobId":%q,"status":"RUNNING","input":{},"startDate":1795470123.456}`, id)
			case fail[id]:
				fmt.Fprintf(w, `{"jobId":%q,"status":"FAILED","input":{},"error":"SimulatedFailure","cause":"simulated permanent failure","startDate":1795470123.456,"stopDate":1795470124}`, id)
			default:
				fmt.Fprintf(w, `{"jobId":%q,"status":"SUCCEEDED","input":{},"output":{"status":"SUCCEEDED"},"startDate":1795470123.456,"stopDate":1795470124}`, id)
			}
		case "/jobs/46f97551b1fe03bf-report-1/result":
			fmt.Fprintf(w, `{"jobId":"46f97551b1fe03bf-report-1","url":%q,"expiresAt":"2026-11-23T12:15:00Z"}`, srv.URL+"/results/report-1.json")
		case "/results/report-1.json":
			fmt.Fprint(w, `{"records":2}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"Job not found","code":"JobNotFound"}`)
		}
	}))
	return srv
}

// Start a job and wait for it to end. Wait polls with exponential backoff
// and full jitter; the short backoff here only keeps the example quick.
func Example_wait() {
	api := fakeAPI()
	defer api.Close()

	c, err := client.New(api.URL,
		client.WithToken(os.Getenv("STEPJOBS_TOKEN")),
		client.WithBackoff(client.Backoff{Initial: time.Millisecond, Max: 10 * time.Millisecond}))
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	job, err := c.Start(ctx, map[string]any{"records": 500, "seed": 42}, client.WithIdempotencyKey("report-1"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("started", job.JobID)

	st, err := c.Wait(ctx, job.ExecutionARN, client.OnStatus(func(s *client.Status) {
		fmt.Println("status", s.Status)
	}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("ended", st.Status, "after", st.Elapsed(time.Now()))
	// Output:
	// started 46f97551b1fe03bf-report-1
	// status RUNNING
	// status SUCCEEDED
	// ended SUCCEEDED after 544ms
}

// Tell the ways a job can end apart with errors.As and errors.Is.
func Example_errors() {
	api := fakeAPI()
	defer api.Close()
	c, _ := client.New(api.URL, client.WithBackoff(client.Backoff{Initial: time.Millisecond}))
	ctx := context.Background()

	job, err := c.Start(ctx, map[string]any{"simulateFailure": "permanent"}, client.WithIdempotencyKey("bad-1"))
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.Wait(ctx, job.ExecutionARN)
	var failed *client.JobFailedError
	switch {
	case errors.As(err, &failed):
		fmt.Println("failed:", failed.ErrorName, "-", failed.Cause)
	case errors.Is(err, client.ErrAborted), errors.Is(err, client.ErrTimedOut):
		fmt.Println("did not finish:", err)
	case err != nil:
		fmt.Println("could not wait:", err)
	}

	_, err = c.Describe(ctx, "46f97551b1fe03bf-nope")
	fmt.Println("unknown job is ErrNotFound:", errors.Is(err, client.ErrNotFound))
	// Output:
	// failed: SimulatedFailure - simulated permanent failure
	// unknown job is ErrNotFound: true
}

// Fetch a succeeded job's result: a pre-signed link, then the download.
func ExampleClient_Result() {
	api := fakeAPI()
	defer api.Close()
	c, _ := client.New(api.URL)
	ctx := context.Background()

	link, err := c.Result(ctx, "46f97551b1fe03bf-report-1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("link valid until", link.ExpiresAt.Format(time.RFC3339))
	if _, err := c.Download(ctx, link, os.Stdout); err != nil {
		log.Fatal(err)
	}
	// Output:
	// link valid until 2026-11-23T12:15:00Z
	// {"records":2}
}

// A receiver of completion callbacks checks the signature before it trusts
// the body. The secret is the stage's callback secret (docs/callbacks.md).
func ExampleVerifyCallbackRequest() {
	secret := []byte("the stage's callback secret")
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cb, err := client.VerifyCallbackRequest(r, secret, client.DefaultCallbackTolerance)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized) // not from us: the sender retries
			return
		}
		fmt.Println(cb.JobID, cb.Status)
		w.WriteHeader(http.StatusNoContent) // any 2xx: delivered
	}))
	defer receiver.Close()

	// What the API sends, signed as the notifier signs it.
	body := []byte(`{"jobId":"0123456789abcdef-report-42","status":"SUCCEEDED","result":{"records":500}}`)
	req, _ := http.NewRequest(http.MethodPost, receiver.URL, bytes.NewReader(body))
	req.Header.Set(client.CallbackSignatureHeader, client.SignCallback(secret, time.Now(), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output:
	// 0123456789abcdef-report-42 SUCCEEDED
	// 204
}
