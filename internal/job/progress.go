package job

import (
	"context"
	"time"
)

// Progress is how far a job's generation got: records generated so far out
// of the total, as batch-simulation last reported it.
type Progress struct {
	Generated int       `json:"recordsGenerated"`
	Total     int       `json:"recordsTotal"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Percent is Generated as a whole percentage of Total (0 when Total is 0),
// rounded down so that 100 means done.
func (p Progress) Percent() int {
	if p.Total <= 0 {
		return 0
	}
	return p.Generated * 100 / p.Total
}

// ProgressRecorder writes a running job's progress; batch-simulation needs it.
type ProgressRecorder interface {
	// RecordProgress stores p on the record of jobID while the job is
	// RUNNING for executionARN. A finished record, or another execution's,
	// is left as it is and is no error: progress is advisory.
	RecordProgress(ctx context.Context, jobID, executionARN string, p Progress) error
}

// Default progress reporting bounds: a report at most once a second and
// every 10% of the records, whichever is rarer (both must have passed).
const (
	DefaultProgressInterval = time.Second
	progressSteps           = 10
)

// progressThrottle decides which progress reports are written, so a job of
// any size costs at most progressSteps writes, and at most one an interval.
type progressThrottle struct {
	interval time.Duration
	now      func() time.Time
	total    int
	last     int       // records at the last write
	lastAt   time.Time // time of the last write, or of the start
	wrote    bool      // whether any report was written
}

func newProgressThrottle(total int, interval time.Duration, now func() time.Time) *progressThrottle {
	return &progressThrottle{interval: interval, now: now, total: total, lastAt: now()}
}

// due reports whether generated records are worth a write now: the last
// record is when an earlier report was written (a job shorter than that
// writes none: status-update's final write sets the progress to the total);
// otherwise a tenth of the total and the interval must both have passed
// since the last write (or the start).
func (t *progressThrottle) due(generated int) bool {
	if generated >= t.total {
		return t.wrote
	}
	step := (t.total + progressSteps - 1) / progressSteps
	return generated-t.last >= step && t.now().Sub(t.lastAt) >= t.interval
}

// mark records that generated was written now.
func (t *progressThrottle) mark(generated int) {
	t.last, t.lastAt, t.wrote = generated, t.now(), true
}
