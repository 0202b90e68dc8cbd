package job_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/job"
)

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		required []string
		want     job.Config
		wantErr  string
	}{
		{name: "defaults", env: map[string]string{}, want: job.Config{LogLevel: slog.LevelInfo,
			ProgressInterval: time.Second, RecordTTL: 30 * 24 * time.Hour}},
		{name: "everything", env: map[string]string{"TABLE_NAME": "jobs", "BUCKET_NAME": "results",
			"ALLOW_SIMULATED_FAILURES": "true", "LOG_LEVEL": "debug", "PROGRESS_INTERVAL": "250ms", "RECORD_TTL_DAYS": "7"},
			required: []string{"TABLE_NAME", "BUCKET_NAME"},
			want: job.Config{TableName: "jobs", BucketName: "results", AllowSimulatedFailures: true, LogLevel: slog.LevelDebug,
				ProgressInterval: 250 * time.Millisecond, RecordTTL: 7 * 24 * time.Hour}},
		{name: "failures off", env: map[string]string{"ALLOW_SIMULATED_FAILURES": "false", "LOG_LEVEL": "WARN"},
			want: job.Config{LogLevel: slog.LevelWarn, ProgressInterval: time.Second, RecordTTL: 30 * 24 * time.Hour}},
		{name: "records never expire", env: map[string]string{"RECORD_TTL_DAYS": "0", "PROGRESS_INTERVAL": "0s"},
			want: job.Config{LogLevel: slog.LevelInfo}},
		{name: "bad interval", env: map[string]string{"PROGRESS_INTERVAL": "often"}, wantErr: "PROGRESS_INTERVAL"},
		{name: "negative interval", env: map[string]string{"PROGRESS_INTERVAL": "-1s"}, wantErr: "PROGRESS_INTERVAL"},
		{name: "bad ttl", env: map[string]string{"RECORD_TTL_DAYS": "30d"}, wantErr: "RECORD_TTL_DAYS"},
		{name: "negative ttl", env: map[string]string{"RECORD_TTL_DAYS": "-1"}, wantErr: "RECORD_TTL_DAYS"},
		{name: "missing required", env: map[string]string{"BUCKET_NAME": "b"}, required: []string{"TABLE_NAME", "BUCKET_NAME", "OTHER"},
			wantErr: "missing environment variables: TABLE_NAME, OTHER"},
		{name: "bad bool", env: map[string]string{"ALLOW_SIMULATED_FAILURES": "yes please"}, wantErr: "ALLOW_SIMULATED_FAILURES"},
		{name: "bad level", env: map[string]string{"LOG_LEVEL": "loud"}, wantErr: "LOG_LEVEL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := job.ConfigFromEnv(func(k string) string { return tc.env[k] }, tc.required...)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestConfigLogger(t *testing.T) {
	var buf bytes.Buffer
	log := job.Config{LogLevel: slog.LevelWarn}.Logger(&buf)
	log.Info("hidden")
	log.Warn("shown", "k", 1)
	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line), buf.String())
	assert.Equal(t, "shown", line["msg"])
	assert.Equal(t, "WARN", line["level"])
}
