package loadtest

import (
	"fmt"
	"io"
	"os"
	"time"
)

var selfPID = os.Getpid()

// Print writes the report as the command shows it.
func (r JobReport) Print(w io.Writer) {
	fmt.Fprintf(w, "jobs               %d in %s\n", r.Jobs, r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "job rate           %.0f jobs/s (started to ended, all jobs)\n", r.JobRate)
	fmt.Fprintf(w, "start rate         %.0f starts/s\n", r.StartRate)
	printLatency(w, "start-execution", r.Start)
	printLatency(w, "describe-execution", r.Describe)
	fmt.Fprintf(w, "final status      ")
	for _, k := range sortedKeys(r.Statuses) {
		fmt.Fprintf(w, " %s=%d", k, r.Statuses[k])
	}
	fmt.Fprintln(w)
	if r.Checked {
		fmt.Fprintf(w, "job table         ")
		for _, k := range sortedKeys(r.TableStatuses) {
			fmt.Fprintf(w, " %s=%d", k, r.TableStatuses[k])
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "start errors       %d\n", r.StartErrors)
	fmt.Fprintf(w, "invariants         unfinished=%d missing-record=%d record-mismatch=%d lost=%d\n",
		r.Unfinished, r.MissingRecords, r.Mismatched, r.Lost())
}

// Print writes the report as the command shows it.
func (r WaitReport) Print(w io.Writer) {
	fmt.Fprintf(w, "waiting executions %d started in %s (%.0f/s)\n", r.Executions, r.Elapsed.Round(time.Millisecond), r.StartRate)
	printLatency(w, "start (SFN API)", r.Start)
	fmt.Fprintf(w, "listed RUNNING     %d\n", r.Running)
	if r.After.RSS > 0 {
		fmt.Fprintf(w, "runtime memory     RSS %s before, %s with all waiting (peak %s); %.1f KB per execution\n",
			MB(r.Before.RSS), MB(r.After.RSS), MB(r.After.Peak), float64(r.After.RSS-r.Before.RSS)/1e3/float64(r.Executions))
	}
}

func printLatency(w io.Writer, name string, l Latency) {
	fmt.Fprintf(w, "%-18s p50 %s  p99 %s  max %s  (%d requests)\n", name,
		l.P50.Round(10*time.Microsecond), l.P99.Round(10*time.Microsecond), l.Max.Round(10*time.Microsecond), l.Count)
}
