package dbtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// tmpfsMagic is statfs's file system type of a tmpfs (TMPFS_MAGIC).
const tmpfsMagic = 0x01021994

// pgBin is where Debian installs PostgreSQL 15's programs.
const pgBin = "/usr/lib/postgresql/15/bin"

// Cluster is a PostgreSQL server of the test's own, in a temporary data
// directory on a free port of 127.0.0.1: a test may stop, restart or
// replicate it without touching the shared server every other test uses.
// It holds Relay's owner (relay) and application (relay_app) roles and a
// database relay, and is stopped and removed when the test ends.
type Cluster struct {
	t    testing.TB
	Dir  string
	Port int
}

// StartCluster initialises and starts a cluster. Tests that use it are
// skipped where PostgreSQL 15's programs are not installed.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	if _, err := os.Stat(filepath.Join(pgBin, "initdb")); err != nil {
		t.Skipf("PostgreSQL 15's programs are not in %s", pgBin)
	}
	c := &Cluster{t: t, Dir: pgDir(t, "relay-pg-"), Port: freePort(t)}
	// --no-sync: the files need not reach the disk; only a crash of the
	// machine, which no test plays, would need them there
	c.asPostgres("initdb", "-D", c.Dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
	conf := fmt.Sprintf("\nlisten_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\nfsync = on\n"+
		"shared_buffers = '64MB'\nmax_connections = 60\nwal_level = replica\nmax_wal_senders = 4\n", c.Port, c.Dir)
	appendFile(t, filepath.Join(c.Dir, "postgresql.conf"), conf)
	c.Start()
	c.Exec(`CREATE ROLE relay LOGIN PASSWORD 'relay' CREATEDB`,
		`CREATE ROLE relay_app LOGIN PASSWORD 'relay_app'`,
		`CREATE DATABASE relay OWNER relay`)
	return c
}

// URL is the database relay as user with password.
func (c *Cluster) URL(user, password string) string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/relay?sslmode=disable", user, password, c.Port)
}

// OwnerURL is the database as the owner, relay.
func (c *Cluster) OwnerURL() string { return c.URL("relay", "relay") }

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start() {
	c.t.Helper()
	c.asPostgres("pg_ctl", "-D", c.Dir, "-l", filepath.Join(c.Dir, "server.log"), "-w", "-t", "60", "start")
	c.t.Cleanup(func() { c.stop("immediate") })
}

// Restart stops the server (fast: sessions are cut, as in a failover or an
// upgrade) and starts it again.
func (c *Cluster) Restart() {
	c.t.Helper()
	c.asPostgres("pg_ctl", "-D", c.Dir, "-m", "fast", "-w", "-t", "60", "restart", "-l", filepath.Join(c.Dir, "server.log"))
}

func (c *Cluster) stop(mode string) {
	cmd := exec.Command("runuser", "-u", "postgres", "--", filepath.Join(pgBin, "pg_ctl"), "-D", c.Dir, "-m", mode, "-w", "stop")
	_ = cmd.Run() // already stopped is fine
}

// Exec runs statements as the superuser on the database postgres.
func (c *Cluster) Exec(stmts ...string) {
	c.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.Port))
	if err != nil {
		c.t.Fatalf("connect to the test's cluster: %v", err)
	}
	defer conn.Close(ctx)
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			c.t.Fatalf("%s: %v", s, err)
		}
	}
}

// StartReplica starts a streaming replica of c (pg_basebackup -R) on a port
// of its own; its URL methods name the same roles and database.
func (c *Cluster) StartReplica() *Cluster {
	c.t.Helper()
	r := &Cluster{t: c.t, Dir: pgDir(c.t, "relay-replica-"), Port: freePort(c.t)}
	if err := os.Remove(r.Dir); err != nil { // pg_basebackup makes it
		c.t.Fatal(err)
	}
	c.asPostgres("pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(c.Port), "-U", "postgres", "-D", r.Dir, "-R", "-X", "stream")
	appendFile(c.t, filepath.Join(r.Dir, "postgresql.conf"),
		fmt.Sprintf("\nport = %d\nunix_socket_directories = '%s'\nhot_standby = on\n", r.Port, r.Dir))
	r.Start()
	return r
}

// WaitReplayed waits until replica has replayed everything c has written.
func (c *Cluster) WaitReplayed(replica *Cluster) {
	c.t.Helper()
	ctx := context.Background()
	p, err := pgx.Connect(ctx, c.OwnerURL())
	if err != nil {
		c.t.Fatal(err)
	}
	defer p.Close(ctx)
	var lsn string
	if err := p.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&lsn); err != nil {
		c.t.Fatal(err)
	}
	r, err := pgx.Connect(ctx, replica.OwnerURL())
	if err != nil {
		c.t.Fatal(err)
	}
	defer r.Close(ctx)
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var done bool
		if err := r.QueryRow(ctx, `SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn`, lsn).Scan(&done); err != nil {
			c.t.Fatal(err)
		}
		if done {
			return
		}
	}
	c.t.Fatalf("the replica did not replay up to %s in a minute", lsn)
}

func (c *Cluster) asPostgres(program string, args ...string) {
	c.t.Helper()
	cmd := exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(pgBin, program)}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.Dir, "server.log"))
		c.t.Fatalf("%s %s: %v\n%s\n%s", program, strings.Join(args, " "), err, out, log)
	}
}

// pgDir makes a temporary directory the postgres user owns, removed at the
// end of the test: in memory (/dev/shm) where it is a tmpfs with room, as
// the shared server's clones are (cloneTablespace), else in the temporary
// directory. A server killed or stopped at once finds its files as it left
// them either way; only a crash of the machine tells the two apart.
func pgDir(t testing.TB, prefix string) string {
	t.Helper()
	base := ""
	var st syscall.Statfs_t
	if syscall.Statfs("/dev/shm", &st) == nil && st.Type == tmpfsMagic && st.Bavail*uint64(st.Bsize) >= minMemoryFree {
		base = "/dev/shm"
	}
	dir, err := os.MkdirTemp(base, prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Skipf("no postgres user to run a cluster as: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Skipf("cannot give a directory to the postgres user: %v", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func appendFile(t testing.TB, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}
