package client

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testRecordID = "0123456789abcdef-k1"

func TestGetDecodesTheRecord(t *testing.T) {
	c, s, _ := newTestClient(t, map[string][]answer{"GET /dev/jobs/" + testRecordID: {{200, nil, `{"jobId":"` + testRecordID + `",
		"status":"SUCCEEDED","createdAt":"2026-12-06T10:00:00.000000000Z","updatedAt":"2026-12-06T10:00:01.500000000Z",
		"progress":{"recordsGenerated":500,"recordsTotal":500,"percent":100,"updatedAt":"2026-12-06T10:00:01.000000000Z"},
		"result":{"records":500,"bytes":88000},"expiresAt":1798192801}`}}})
	rec, err := c.Get(t.Context(), "arn:aws:states:us-east-1:123456789012:execution:stepjobs-dev-jobs:"+testRecordID)
	require.NoError(t, err)
	assert.Equal(t, &Record{
		JobSummary: JobSummary{JobID: testRecordID, Status: StatusSucceeded,
			CreatedAt: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 12, 6, 10, 0, 1, 500_000_000, time.UTC),
			Progress: &Progress{RecordsGenerated: 500, RecordsTotal: 500, Percent: 100, UpdatedAt: time.Date(2026, 12, 6, 10, 0, 1, 0, time.UTC)}},
		Result:    &RecordResult{Records: 500, Bytes: 88000},
		ExpiresAt: time.Unix(1798192801, 0).UTC(),
	}, rec)
	assert.Equal(t, "GET", s.Requests()[0].method)
}

func TestGetErrors(t *testing.T) {
	tests := map[string]struct {
		answer answer
		ref    string
		is     error
	}{
		"unknown or expired": {answer{404, nil, `{"message":"Job not found","code":"JobNotFound"}`}, testRecordID, ErrNotFound},
		"no job id":          {answer{200, nil, `{}`}, "", nil},
		"answer without id":  {answer{200, nil, `{}`}, testRecordID, nil},
		"not JSON":           {answer{200, nil, `<html>`}, testRecordID, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c, _, _ := newTestClient(t, map[string][]answer{"GET /dev/jobs/" + testRecordID: {tc.answer}})
			_, err := c.Get(t.Context(), tc.ref)
			require.Error(t, err)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
		})
	}
}

func TestList(t *testing.T) {
	page := `{"jobs":[{"jobId":"` + testRecordID + `","status":"RUNNING","createdAt":"2026-12-06T10:00:00.000000000Z",
		"updatedAt":"2026-12-06T10:00:00.000000000Z","progress":{"recordsGenerated":10,"recordsTotal":100,"percent":10,
		"updatedAt":"2026-12-06T10:00:00.500000000Z"}}],"nextCursor":"djF8eA=="}`
	tests := map[string]struct {
		opts      ListOptions
		wantQuery string
	}{
		"first page":            {ListOptions{}, ""},
		"status, limit, cursor": {ListOptions{Status: StatusRunning, Limit: 5, Cursor: "djF8eA=="}, "cursor=djF8eA%3D%3D&limit=5&status=RUNNING"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c, s, _ := newTestClient(t, map[string][]answer{"GET /dev/jobs": {{200, nil, page}}})
			got, err := c.List(t.Context(), tc.opts)
			require.NoError(t, err)
			require.Len(t, got.Jobs, 1)
			assert.Equal(t, testRecordID, got.Jobs[0].JobID)
			assert.Equal(t, 10, got.Jobs[0].Progress.Percent)
			assert.Equal(t, "djF8eA==", got.NextCursor)
			assert.Equal(t, tc.wantQuery, s.Requests()[0].query)
		})
	}
}

func TestListErrors(t *testing.T) {
	c, s, _ := newTestClient(t, map[string][]answer{"GET /dev/jobs": {{400, nil, `{"message":"status must be one of ...","code":"InvalidStatus"}`}}})
	_, err := c.List(t.Context(), ListOptions{Status: "running"})
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "InvalidStatus", ae.Code)
	assert.Len(t, s.Requests(), 1, "a 400 is not retried")

	for _, limit := range []int{-1, MaxListLimit + 1} {
		_, err := c.List(t.Context(), ListOptions{Limit: limit})
		assert.Error(t, err, "limit %d is refused before a request", limit)
	}
	assert.Len(t, s.Requests(), 1)
}

// FuzzRecordDecode: any answer body decodes to a Record or an error, never
// a panic, and a decoded expiresAt is the epoch seconds sent.
func FuzzRecordDecode(f *testing.F) {
	for _, s := range []string{`{}`, `{"jobId":"j","expiresAt":1798192801}`, `{"expiresAt":null}`, `{"expiresAt":"x"}`,
		`{"progress":{"percent":50}}`, `[]`, `null`, `{"createdAt":"2026-12-06T10:00:00Z"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var rec Record
		if err := json.Unmarshal(b, &rec); err != nil {
			return
		}
		var raw struct {
			ExpiresAt *int64 `json:"expiresAt"`
		}
		if json.Unmarshal(b, &raw) == nil && raw.ExpiresAt != nil && rec.ExpiresAt.Unix() != *raw.ExpiresAt {
			t.Fatalf("expiresAt %d decoded as %s", *raw.ExpiresAt, rec.ExpiresAt)
		}
	})
}
