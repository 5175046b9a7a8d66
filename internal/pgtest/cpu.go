package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// userHZ is the unit of the CPU times in /proc/PID/stat: Linux reports them in clock ticks of
// 1/100 s on every architecture Go runs on.
const userHZ = 100

// CPU is the CPU time (user and system) that each PostgreSQL backend has used, by process id, at
// the moment BackendCPU read it.
type CPU map[int]time.Duration

// Since returns the CPU time the backends of c used after the earlier reading before: all of it for
// a backend that started in between. A backend that exited in between took its time with it, so
// read both while the benchmark's connections are open.
func (c CPU) Since(before CPU) time.Duration {
	var d time.Duration
	for pid, t := range c {
		d += t - before[pid]
	}
	return d
}

// BackendCPU reads, from /proc, the CPU time of every client backend of db's server connected to
// db's database: what the statements a benchmark sends cost the server, beside the CPU of the
// benchmark's own process. A backend that exits between the server's list and its reading is left
// out. It needs the server on this machine; otherwise it returns an error, and the benchmark
// reports no such figure.
func BackendCPU(ctx context.Context, db *sql.DB) (CPU, error) {
	rows, err := db.QueryContext(ctx, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'")
	if err != nil {
		return nil, fmt.Errorf("pgtest: backends: %w", err)
	}
	defer rows.Close()
	var pids []int
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			return nil, fmt.Errorf("pgtest: backends: %w", err)
		}
		pids = append(pids, pid)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgtest: backends: %w", err)
	}
	out := CPU{}
	for _, pid := range pids {
		t, err := processCPU(pid)
		if errors.Is(err, fs.ErrNotExist) {
			continue // it exited, or the server is on another machine (below)
		}
		if err != nil {
			return nil, err
		}
		out[pid] = t
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("pgtest: backends: none of the %d backends of the database is a process of this machine", len(pids))
	}
	return out, nil
}

// ReadBackendCPU is BackendCPU for a benchmark: when the backends cannot be read (the server runs
// elsewhere), it logs why and returns nil, and the benchmark reports no figure that needs them.
func ReadBackendCPU(tb testing.TB, db *sql.DB) CPU {
	tb.Helper()
	cpu, err := BackendCPU(context.Background(), db)
	if err != nil {
		tb.Logf("no CPU figure for the database server: %v", err)
		return nil
	}
	return cpu
}

// ProcessCPU returns the CPU time (user and system) that this process has used, the benchmark's
// side of what BackendCPU reads for the server.
func ProcessCPU(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPU returns the CPU time that the PostgreSQL process pid of this machine has used; an
// error that wraps fs.ErrNotExist when there is no such process.
func processCPU(pid int) (time.Duration, error) {
	comm, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return 0, fmt.Errorf("pgtest: backend %d: %w", pid, err)
	}
	if !strings.HasPrefix(string(comm), "postgres") {
		return 0, fmt.Errorf("pgtest: process %d of this machine is %q, not the server's backend", pid, strings.TrimSpace(string(comm)))
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("pgtest: backend %d: %w", pid, err)
	}
	return parseStatCPU(string(stat))
}

// parseStatCPU returns utime + stime of a /proc/PID/stat line. The process name, the second field,
// is in parentheses and may hold spaces, so the fields are counted after its closing one: the
// state is field 3, utime field 14 and stime field 15.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("pgtest: unreadable /proc stat %q", stat)
	}
	fields := strings.Fields(stat[i+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("pgtest: unreadable /proc stat %q", stat)
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("pgtest: unreadable /proc stat %q: %w", stat, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}
