package offline

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/slsconfig"
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
	c := newDynamoDBClient(srv.URL, "us-east-1", false)
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
	tr := storePool()
	assert.Less(t, tr.IdleConnTimeout.Seconds(), 5.0)
	assert.GreaterOrEqual(t, tr.MaxIdleConnsPerHost, 64, "enough idle connections for the load generator's 64 jobs in flight")
}

// createCall records the CreateTable a createTable sends and answers ACTIVE.
type createCall struct{ in *dynamodb.CreateTableInput }

func (c *createCall) CreateTable(_ context.Context, in *dynamodb.CreateTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
	c.in = in
	return &dynamodb.CreateTableOutput{}, nil
}

func (c *createCall) DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	desc := &ddbtypes.TableDescription{TableStatus: ddbtypes.TableStatusActive}
	if c.in != nil { // created as asked; an older table has no index
		for _, g := range c.in.GlobalSecondaryIndexes {
			desc.GlobalSecondaryIndexes = append(desc.GlobalSecondaryIndexes, ddbtypes.GlobalSecondaryIndexDescription{IndexName: g.IndexName})
		}
	}
	return &dynamodb.DescribeTableOutput{Table: desc}, nil
}

// oldTable is a table that exists already, without the indexes declared since.
type oldTable struct{ createCall }

func (*oldTable) CreateTable(context.Context, *dynamodb.CreateTableInput, ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
	return nil, &ddbtypes.ResourceInUseException{Message: aws.String("Table already exists")}
}

// The table is created with serverless.yml's global secondary indexes, each
// key attribute defined once.
func TestCreateTableWithIndexes(t *testing.T) {
	call := &createCall{}
	table := slsconfig.Table{LogicalID: "JobsTable", TableName: "jobs",
		KeySchema: []slsconfig.KeyAttribute{{Name: "jobId", KeyType: "HASH", Type: "S"}},
		Indexes: []slsconfig.Index{{Name: "byOwner", ProjectionType: "INCLUDE", NonKeyAttributes: []string{"status"},
			KeySchema: []slsconfig.KeyAttribute{{Name: "owner", KeyType: "HASH", Type: "S"}, {Name: "createdAt", KeyType: "RANGE", Type: "S"}}}}}
	require.NoError(t, createTable(t.Context(), call, table))
	in := call.in
	var defined []string
	for _, a := range in.AttributeDefinitions {
		defined = append(defined, aws.ToString(a.AttributeName))
	}
	assert.Equal(t, []string{"jobId", "owner", "createdAt"}, defined)
	require.Len(t, in.GlobalSecondaryIndexes, 1)
	gsi := in.GlobalSecondaryIndexes[0]
	assert.Equal(t, "byOwner", aws.ToString(gsi.IndexName))
	assert.Equal(t, ddbtypes.ProjectionTypeInclude, gsi.Projection.ProjectionType)
	assert.Equal(t, []string{"status"}, gsi.Projection.NonKeyAttributes)
	assert.Equal(t, "createdAt", aws.ToString(gsi.KeySchema[1].AttributeName))
	assert.Equal(t, ddbtypes.KeyTypeRange, gsi.KeySchema[1].KeyType)
}

// A table kept from before an index was declared is refused with what to do.
func TestCreateTableKeptWithoutIndex(t *testing.T) {
	table := slsconfig.Table{LogicalID: "JobsTable", TableName: "jobs",
		KeySchema: []slsconfig.KeyAttribute{{Name: "jobId", KeyType: "HASH", Type: "S"}},
		Indexes: []slsconfig.Index{{Name: "byOwner", ProjectionType: "ALL",
			KeySchema: []slsconfig.KeyAttribute{{Name: "owner", KeyType: "HASH", Type: "S"}}}}}
	err := createTable(t.Context(), &oldTable{}, table)
	assert.ErrorContains(t, err, "table jobs has no index byOwner")
	assert.ErrorContains(t, err, "delete the dynamodb folder of the data directory")
}
