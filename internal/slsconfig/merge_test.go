package slsconfig

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A `resources:` list of files merges as osls merges it: maps key by key, lists index by
// index, scalars replaced by the later item, empty items skipped.
func TestParseMergesResourceList(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	write("resources/a.yml", `
Parameters:
  P: {Type: String}
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: ${self:service}-${sls:stage}-jobs
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      Tags: [{Key: a, Value: '1'}, {Key: b, Value: '2'}]
`)
	write("resources/b.yml", `
Resources:
  Table:
    Properties:
      Tags: [{Value: '3'}]
  Bucket:
    Type: AWS::S3::Bucket
extensions:
  Other: {DependsOn: [Table]}
`)
	svc, err := Parse([]byte(`
service: svc
provider: {name: aws}
resources:
  - ${file(resources/a.yml)}
  -
  - ${file(resources/b.yml)}
`), Options{Dir: dir, Env: noEnv})
	require.NoError(t, err)
	res := svc.Config["resources"].(map[string]any)
	assert.Equal(t, map[string]any{
		"Parameters": map[string]any{"P": map[string]any{"Type": "String"}},
		"Resources": map[string]any{
			"Table": map[string]any{
				"Type": "AWS::DynamoDB::Table",
				"Properties": map[string]any{
					"TableName":            "svc-dev-jobs",
					"AttributeDefinitions": []any{map[string]any{"AttributeName": "id", "AttributeType": "S"}},
					"KeySchema":            []any{map[string]any{"AttributeName": "id", "KeyType": "HASH"}},
					"Tags": []any{
						map[string]any{"Key": "a", "Value": "3"},
						map[string]any{"Key": "b", "Value": "2"},
					},
				},
			},
			"Bucket": map[string]any{"Type": "AWS::S3::Bucket"},
		},
		"extensions": map[string]any{"Other": map[string]any{"DependsOn": []any{"Table"}}},
	}, res)
	require.Len(t, svc.Tables, 1)
	assert.Equal(t, "svc-dev-jobs", svc.Tables[0].TableName)
	require.Len(t, svc.Buckets, 1)

	_, err = Parse([]byte("service: svc\nprovider: {name: aws}\nresources:\n  - just text\n"), Options{Dir: dir, Env: noEnv})
	assert.ErrorContains(t, err, "resources[0]: not a map")
}
