package metrics

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// LoadAverage is the machine's load average over 1, 5 and 15 minutes, as
// "1.02 0.87 0.65" ("unknown" off Linux); benchmarks print it beside every
// figure, since a shared machine changes what they measure.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// ProcKB reads the figure of a "Key:   123 kB" line of a /proc file (such as
// VmHWM: of /proc/self/status, or Pss: of a process's smaps_rollup); 0 when
// the file or the line is absent.
func ProcKB(path, key string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			if fields := strings.Fields(rest); len(fields) > 0 {
				n, _ := strconv.ParseInt(fields[0], 10, 64)
				return n
			}
		}
	}
	return 0
}
