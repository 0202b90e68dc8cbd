package job

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Config is what the Lambda mains read from the environment.
type Config struct {
	TableName              string     // TABLE_NAME: the jobs table
	BucketName             string     // BUCKET_NAME: the results bucket
	AllowSimulatedFailures bool       // ALLOW_SIMULATED_FAILURES: honour simulateFailure
	LogLevel               slog.Level // LOG_LEVEL: debug, info (default), warn, error
	// ProgressInterval (PROGRESS_INTERVAL, a Go duration; default 1s) is
	// the least time between two progress writes of batch-simulation.
	ProgressInterval time.Duration
	// RecordTTL (RECORD_TTL_DAYS, whole days; default 30; 0: never) is how
	// long status-update keeps a finished record.
	RecordTTL time.Duration
}

// ConfigFromEnv reads the configuration through getenv (os.Getenv in the
// mains, a map in tests). Each name in required must be set.
func ConfigFromEnv(getenv func(string) string, required ...string) (Config, error) {
	var missing []string
	for _, name := range required {
		if getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return Config{}, fmt.Errorf("config: missing environment variables: %s", strings.Join(missing, ", "))
	}
	c := Config{TableName: getenv("TABLE_NAME"), BucketName: getenv("BUCKET_NAME"),
		ProgressInterval: DefaultProgressInterval, RecordTTL: DefaultRecordTTL}
	if v := getenv("PROGRESS_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return Config{}, fmt.Errorf("config: PROGRESS_INTERVAL=%q: want a duration such as 1s", v)
		}
		c.ProgressInterval = d
	}
	if v := getenv("RECORD_TTL_DAYS"); v != "" {
		days, err := strconv.Atoi(v)
		if err != nil || days < 0 {
			return Config{}, fmt.Errorf("config: RECORD_TTL_DAYS=%q: want a whole number of days, 0 for never", v)
		}
		c.RecordTTL = time.Duration(days) * 24 * time.Hour
	}
	if v := getenv("ALLOW_SIMULATED_FAILURES"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Config{}, fmt.Errorf("config: ALLOW_SIMULATED_FAILURES=%q: want true or false", v)
		}
		c.AllowSimulatedFailures = b
	}
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return Config{}, fmt.Errorf("config: LOG_LEVEL=%q: want debug, info, warn or error", v)
		}
	}
	return c, nil
}

// Logger returns a JSON logger at the configured level writing to w.
func (c Config) Logger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: c.LogLevel}))
}
