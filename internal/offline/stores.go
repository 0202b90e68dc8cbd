package offline

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3bolt"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	bolt "go.etcd.io/bbolt"

	"github.com/asyncjobs/stepjobs/internal/cpushare"
	"github.com/asyncjobs/stepjobs/internal/localaws"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
)

// credentialsFor returns the credentials for an endpoint: the environment's
// when it has some (a real region), else fixed ones, which the emulators
// accept without checking.
func credentialsFor() aws.CredentialsProvider {
	if id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		return credentials.NewStaticCredentialsProvider(id, secret, os.Getenv("AWS_SESSION_TOKEN"))
	}
	return credentials.NewStaticCredentialsProvider("local", "local", "")
}

// newDynamoDBClient is the client of the runtime's DynamoDB. loopback says
// it is the dynalite the runtime started, not an endpoint it was given
// (localaws.LoopbackDynamoDB).
func newDynamoDBClient(endpoint, region string, loopback bool) *dynamodb.Client {
	var optFns []func(*dynamodb.Options)
	if loopback {
		optFns = append(optFns, localaws.LoopbackDynamoDB)
	}
	return dynamodb.New(dynamodb.Options{
		Region: region, BaseEndpoint: aws.String(endpoint), Credentials: credentialsFor(),
		HTTPClient: &http.Client{Transport: storeTransport()}, Retryer: storeRetryer(),
	}, optFns...)
}

// newS3Client is the client of the runtime's S3. loopback says it is the
// gofakes3 the runtime serves, not an endpoint it was given
// (localaws.LoopbackS3).
func newS3Client(endpoint, region string, loopback bool) *s3.Client {
	var optFns []func(*s3.Options)
	if loopback {
		optFns = append(optFns, localaws.LoopbackS3)
	}
	return s3.New(s3.Options{
		Region: region, BaseEndpoint: aws.String(endpoint), UsePathStyle: true, Credentials: credentialsFor(),
		HTTPClient: &http.Client{Transport: storeTransport()}, Retryer: storeRetryer(),
	}, optFns...)
}

// storeIdleTimeout closes an idle connection to a store before the store
// does: dynalite's Node server closes keep-alive connections idle for 5 s
// (Node's keepAliveTimeout), and a request sent on a connection it is
// closing at that moment failed with "write: broken pipe" under load.
const storeIdleTimeout = 4 * time.Second

// storeTransport is the HTTP transport of the runtime's clients of its own
// stores on loopback (storePool), on which a task gives its CPU share back
// while it waits (cpushare).
func storeTransport() http.RoundTripper { return cpushare.Transport(storePool()) }

// storePool is storeTransport's connections: idle ones end before the
// server ends them, and the pool keeps enough of them for many
// executions' tasks at once (Go's default keeps 2 per host, so a burst
// opened and closed hundreds).
func storePool() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 256
	t.IdleConnTimeout = storeIdleTimeout
	return t
}

// storeRetryer retries as the SDK's standard retryer does (attempts,
// backoff, which errors), without its client-side retry quota: the quota
// keeps a client from piling retries on a struggling remote service, but
// against a store on loopback it only turned a burst of refused
// connections into "retry quota exceeded" failures. The Lambda handlers
// deployed on AWS keep the SDK's defaults (internal/function/awsenv).
func storeRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) { o.RateLimiter = ratelimit.None })
}

// tableAPI is the part of the DynamoDB client createTable uses.
type tableAPI interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

var _ tableAPI = (*dynamodb.Client)(nil)

// createTable creates t with the key schema serverless.yml declares (on
// demand: local capacity is meaningless) and waits until it is ACTIVE. A
// table that exists already (a persistent store restarted) is kept.
func createTable(ctx context.Context, api tableAPI, t slsconfig.Table) error {
	if len(t.KeySchema) == 0 {
		return fmt.Errorf("table %s: no KeySchema", t.LogicalID)
	}
	in := &dynamodb.CreateTableInput{TableName: aws.String(t.TableName), BillingMode: ddbtypes.BillingModePayPerRequest}
	defined := map[string]bool{}
	keys := func(schema []slsconfig.KeyAttribute) []ddbtypes.KeySchemaElement {
		var out []ddbtypes.KeySchemaElement
		for _, k := range schema {
			out = append(out, ddbtypes.KeySchemaElement{AttributeName: aws.String(k.Name), KeyType: ddbtypes.KeyType(k.KeyType)})
			if !defined[k.Name] {
				defined[k.Name] = true
				in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{
					AttributeName: aws.String(k.Name), AttributeType: ddbtypes.ScalarAttributeType(k.Type)})
			}
		}
		return out
	}
	in.KeySchema = keys(t.KeySchema)
	for _, ix := range t.Indexes {
		gsi := ddbtypes.GlobalSecondaryIndex{IndexName: aws.String(ix.Name), KeySchema: keys(ix.KeySchema),
			Projection: &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionType(ix.ProjectionType)}}
		if len(ix.NonKeyAttributes) > 0 {
			gsi.Projection.NonKeyAttributes = ix.NonKeyAttributes
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, gsi)
	}
	_, err := api.CreateTable(ctx, in)
	var inUse *ddbtypes.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", t.TableName, err)
	}
	// Polling is the only way to learn that a table became ACTIVE.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		out, err := api.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(t.TableName)})
		if err != nil {
			return fmt.Errorf("describe table %s: %w", t.TableName, err)
		}
		if out.Table != nil && out.Table.TableStatus == ddbtypes.TableStatusActive {
			return checkIndexes(t, out.Table)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for table %s: %w", t.TableName, ctx.Err())
		case <-tick.C:
		}
	}
}

// checkIndexes reports an index of t the table lacks: a table kept from an
// older version (--data) has the shape it was created with, and dynalite
// cannot add an index to it.
func checkIndexes(t slsconfig.Table, have *ddbtypes.TableDescription) error {
	for _, ix := range t.Indexes {
		found := false
		for _, h := range have.GlobalSecondaryIndexes {
			found = found || aws.ToString(h.IndexName) == ix.Name
		}
		if !found {
			return fmt.Errorf("table %s has no index %s (it was created before the index was declared): "+
				"delete the dynamodb folder of the data directory, or the table, so that it is created again", t.TableName, ix.Name)
		}
	}
	return nil
}

// bucketAPI is the part of the S3 client ensureBucket uses.
type bucketAPI interface {
	CreateBucket(ctx context.Context, in *s3.CreateBucketInput, optFns ...func(*s3.Options)) (*s3.CreateBucketOutput, error)
}

var _ bucketAPI = (*s3.Client)(nil)

// ensureBucket creates a bucket on an external S3 endpoint unless it is
// there already.
func ensureBucket(ctx context.Context, api bucketAPI, name string) error {
	_, err := api.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
	var owned *s3types.BucketAlreadyOwnedByYou
	var exists *s3types.BucketAlreadyExists
	if err != nil && !errors.As(err, &owned) && !errors.As(err, &exists) {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	return nil
}

// fakeS3 is the embedded S3: gofakes3 on a memory backend, or on a bbolt
// file under the data directory.
type fakeS3 struct {
	backend gofakes3.Backend
	server  *gofakes3.GoFakeS3
	close   func() error
}

func newFakeS3(dataDir string, buckets []string) (*fakeS3, error) {
	f := &fakeS3{close: func() error { return nil }}
	if dataDir == "" {
		f.backend = s3mem.New()
	} else {
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return nil, fmt.Errorf("s3 data directory: %w", err)
		}
		// A timeout, so a second runtime on the same directory fails
		// instead of waiting for the file lock forever.
		db, err := bolt.Open(filepath.Join(dataDir, "s3.bolt"), 0o600, &bolt.Options{Timeout: 2 * time.Second})
		if err != nil {
			return nil, fmt.Errorf("open s3 store %s: %w", filepath.Join(dataDir, "s3.bolt"), err)
		}
		f.backend = s3bolt.New(db)
		f.close = db.Close
	}
	for _, name := range buckets {
		exists, err := f.backend.BucketExists(name)
		if err != nil {
			_ = f.close()
			return nil, fmt.Errorf("bucket %s: %w", name, err)
		}
		if !exists {
			if err := f.backend.CreateBucket(name); err != nil {
				_ = f.close()
				return nil, fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
	}
	// No auto-created buckets: a wrong BUCKET_NAME must fail as on AWS.
	f.server = gofakes3.New(f.backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	return f, nil
}
