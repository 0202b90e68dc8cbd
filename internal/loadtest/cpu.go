package loadtest

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/asyncjobs/stepjobs/internal/cputime"
)

// cpuSample is the CPU time spent so far by this process (the load
// generator), the runtime and each of the runtime's children (dynalite;
// the functions' bootstraps in process mode), with the children's names.
type cpuSample struct {
	self, runtime time.Duration
	children      map[int]childCPU
}

type childCPU struct {
	name string
	cpu  time.Duration
}

// sampleCPU reads a cpuSample for the runtime pid (Linux only; a process
// that cannot be read counts as none).
func sampleCPU(pid int) cpuSample {
	s := cpuSample{self: cputime.Self(), children: map[int]childCPU{}}
	s.runtime, _ = ReadCPU(pid)
	for _, c := range Children(pid) {
		d, err := ReadCPU(c)
		if err != nil {
			continue
		}
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", c))
		s.children[c] = childCPU{name: strings.TrimSpace(string(comm)), cpu: d}
	}
	return s
}

// printCPUPerJob writes the CPU each process spent between two samples per
// job: where a run's CPU went, as the processes share the machine's CPUs.
// Children are summed by name; one started after the first sample counts
// from zero.
func printCPUPerJob(w io.Writer, before, after cpuSample, jobs int) {
	if jobs <= 0 {
		return
	}
	per := func(d time.Duration) string {
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)/float64(jobs))
	}
	parts := []string{"runtime " + per(after.runtime-before.runtime)}
	byName := map[string]time.Duration{}
	for pid, c := range after.children {
		byName[c.name] += c.cpu - before.children[pid].cpu
	}
	for _, n := range slices.Sorted(maps.Keys(byName)) {
		parts = append(parts, n+" "+per(byName[n]))
	}
	parts = append(parts, "load generator "+per(after.self-before.self))
	fmt.Fprintf(w, "cpu per job        %s\n", strings.Join(parts, ", "))
}
