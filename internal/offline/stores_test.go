package offline

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A burst of failing requests to a store is retried however many there
// are: the SDK's client-side retry quota (500 tokens, 5 a retry, given back
// only when a retry succeeds) fails the calls of a burst that retry at once
// with "retry quota exceeded".
func TestStoreRetriesWithoutQuota(t *testing.T) {
	var mu sync.Mutex
	attempts := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Each call fails twice, then succeeds (the SDK sends the same
		// invocation id with every attempt of a call).
		id := r.Header.Get("Amz-Sdk-Invocation-Id")
		mu.Lock()
		attempts[id]++
		n := attempts[id]
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		if n <= 2 {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"try again"}`))
			return
		}
		_, _ = w.Write([]byte(`{"TableNames":[]}`))
	}))
	t.Cleanup(srv.Close)
	c := newDynamoDBClient(srv.URL, "us-east-1")
	const calls = 150
	errs := make(chan error, calls)
	var wg sync.WaitGroup
	for range calls {
		wg.Go(func() {
			_, err := c.ListTables(context.Background(), &dynamodb.ListTablesInput{})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Len(t, attempts, calls)
}

// The stores' connections go idle for less than dynalite's Node server
// keeps them (5 s), so none is reused as the server closes it.
func TestStoreTransport(t *testing.T) {
	tr := storeTransport()
	assert.Less(t, tr.IdleConnTimeout.Seconds(), 5.0)
	assert.GreaterOrEqual(t, tr.MaxIdleConnsPerHost, 64, "enough idle connections for the load generator's 64 jobs in flight")
}
