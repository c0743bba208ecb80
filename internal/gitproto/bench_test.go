package gitproto_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBenchClone measures a clone of a repo of many files from Wharf and
// from git's own server (git http-backend as a CGI, serving a bare repo
// with the same commits), in the same run: wall time of `git clone --bare`
// and the server's peak memory (Wharf: VmHWM of the `wharf serve` process;
// git: the larger of the peak summed RSS of the http-backend, upload-pack
// and pack-objects processes sampled every 2 ms, and the largest RSS
// getrusage reports for them). It also times the push that loads the repo
// into Wharf.
//
//	WHARF_BENCH_GIT=1 [WHARF_BENCH_FILES=100000] [WHARF_BENCH_RUNS=3] [WHARF_BENCH_PROTOCOL=2] \
//	  go test ./internal/gitproto -run TestBenchClone -v -timeout 30m
//
// WHARF_BENCH_DEBUG=1 shows the log of the wharf server.
func TestBenchClone(t *testing.T) {
	if os.Getenv("WHARF_BENCH_GIT") == "" {
		t.Skip("set WHARF_BENCH_GIT=1 to run the clone benchmark")
	}
	requireGit(t, false)
	files := envInt("WHARF_BENCH_FILES", 100000)
	runs := envInt("WHARF_BENCH_RUNS", 3)
	proto := os.Getenv("WHARF_BENCH_PROTOCOL") // git's protocol.version
	if proto == "" {
		proto = "2"
	}
	bin := buildWharf(t)
	work := t.TempDir()
	data := filepath.Join(work, "data")
	const token = "hf_benchbenchbenchbenchbench"
	run(t, "", nil, bin, "admin", "user", "add", "bench", "--token", token, "--data", data)

	srv := startWharf(t, bin, data)
	createRepo(t, srv.url, token, "big")
	g := &gitEnv{t: t, home: work, env: []string{"HOME=" + work, "PATH=" + os.Getenv("PATH"), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0"}}
	remote := srv.url + "/bench/big"
	authed := strings.Replace(remote, "http://", "http://bench:"+token+"@", 1)

	// A bare repo with the same first commit as the Wharf repo, plus one
	// commit adding the files: 1000 files per folder, ~100 bytes each.
	bare := filepath.Join(work, "big.git")
	g.run("", "clone", "-q", "--bare", remote, bare)
	start := time.Now()
	fastImport(t, g, bare, files)
	g.run(bare, "repack", "-q", "-a", "-d")
	t.Logf("generated %d files with git fast-import in %v", files, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	g.run(bare, "push", "-q", authed, "main")
	t.Logf("push of %d files to wharf: %v (wharf VmHWM %s)", files, time.Since(start).Round(time.Millisecond), mb(srv.hwm(t)))
	srv.stop(t)

	// Clone from a fresh wharf process, so its peak memory is the clone's.
	var wharfTimes []time.Duration
	var wharfHWM, idleHWM int64
	for i := range runs {
		srv = startWharf(t, bin, data)
		if resp, err := http.Get(srv.url + "/bench/big/info/refs?service=git-upload-pack"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		idleHWM = max(idleHWM, srv.hwm(t))
		dst := filepath.Join(work, fmt.Sprintf("wharf-clone-%d", i))
		start = time.Now()
		g.run("", "-c", "protocol.version="+proto, "clone", "-q", "--bare", srv.url+"/bench/big", dst)
		wharfTimes = append(wharfTimes, time.Since(start))
		wharfHWM = max(wharfHWM, srv.hwm(t))
		srv.stop(t)
		if i == 0 {
			if n := strings.TrimSpace(g.run(dst, "ls-tree", "-r", "--name-only", "HEAD")); strings.Count(n, "\n")+1 != files+1 {
				t.Fatalf("wharf clone has %d files, want %d", strings.Count(n, "\n")+1, files+1)
			}
			g.run(dst, "fsck", "--full")
		}
		os.RemoveAll(dst)
	}

	// Clone from git http-backend, run by a CGI host in its own process.
	var gitTimes []time.Duration
	var gitRSS int64
	for i := range runs {
		host := startCGIHost(t, work)
		dst := filepath.Join(work, fmt.Sprintf("git-clone-%d", i))
		poll := pollTreeRSS(host.cmd.Process.Pid)
		start = time.Now()
		g.run("", "-c", "protocol.version="+proto, "clone", "-q", "--bare", host.url+"/big.git", dst)
		gitTimes = append(gitTimes, time.Since(start))
		gitRSS = max(gitRSS, host.childMaxRSS(t), poll())
		host.stop(t)
		os.RemoveAll(dst)
	}
	wt, gt := median(wharfTimes), median(gitTimes)
	t.Logf("clone --bare of %d files over protocol v%s, median of %d runs:", files, proto, runs)
	t.Logf("  wharf:            %8v  peak memory %s  (runs %v; %s before the clone)", wt.Round(time.Millisecond), mb(wharfHWM), rounded(wharfTimes), mb(idleHWM))
	t.Logf("  git http-backend: %8v  peak memory %s  (runs %v)", gt.Round(time.Millisecond), mb(gitRSS), rounded(gitTimes))
	t.Logf("  ratio wharf/git:  time %.2fx, memory %.2fx", float64(wt)/float64(gt), float64(wharfHWM)/float64(gitRSS))
}

func envInt(key string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(key)); err == nil && v > 0 {
		return v
	}
	return def
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func rounded(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

func mb(kb int64) string { return fmt.Sprintf("%.1f MB", float64(kb)/1024) }

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// fastImport adds one commit with n files on top of main.
func fastImport(t *testing.T, g *gitEnv, bare string, n int) {
	t.Helper()
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = bare
	cmd.Env = g.env
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(in, 1<<20)
	msg := fmt.Sprintf("add %d files\n", n)
	fmt.Fprintf(w, "commit refs/heads/main\ncommitter Bench <bench@example.com> 1700000000 +0000\ndata %d\n%sfrom refs/heads/main^0\n", len(msg), msg)
	for i := range n {
		body := fmt.Sprintf("file %d of the benchmark repository\n%x\n", i, uint64(i)*0x9E3779B97F4A7C15)
		fmt.Fprintf(w, "M 100644 inline d%03d/f%06d.txt\ndata %d\n%s\n", i/1000, i, len(body), body)
	}
	w.WriteString("\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("git fast-import: %v\n%s", err, stderr.String())
	}
}

// wharfProc is a `wharf serve` process.
type wharfProc struct {
	cmd *exec.Cmd
	url string
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func startWharf(t *testing.T, bin, data string) *wharfProc {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data", data)
	cmd.Stdout = io.Discard
	cmd.Stderr = io.Discard
	if os.Getenv("WHARF_BENCH_DEBUG") != "" {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &wharfProc{cmd: cmd, url: "http://" + addr}
	waitHTTP(t, p.url+"/")
	return p
}

func waitHTTP(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not come up", url)
}

// hwm returns the peak resident memory of the process in KiB.
func (p *wharfProc) hwm(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

func (p *wharfProc) stop(t *testing.T) {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

func createRepo(t *testing.T, base, token, name string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"name": name})
	req, _ := http.NewRequest(http.MethodPost, base+"/api/repos/create", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("create repo: %d %s", resp.StatusCode, b)
	}
}

// cgiHost is this test binary re-run as a CGI host for git http-backend,
// so that its children's peak memory is the clone's alone.
type cgiHost struct {
	cmd *exec.Cmd
	url string
}

func startCGIHost(t *testing.T, root string) *cgiHost {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCGIHost$")
	cmd.Env = append(os.Environ(), "WHARF_BENCH_CGI_ROOT="+root, "WHARF_BENCH_CGI_ADDR="+addr)
	cmd.Stdout = io.Discard
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &cgiHost{cmd: cmd, url: "http://" + addr}
	waitHTTP(t, h.url+"/__rusage")
	return h
}

// childMaxRSS returns the largest RSS (KiB) of the host's finished children.
func (h *cgiHost) childMaxRSS(t *testing.T) int64 {
	t.Helper()
	resp, err := http.Get(h.url + "/__rusage")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ MaxRSS int64 }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v.MaxRSS
}

// pollTreeRSS samples, every 2 ms until the returned function is called,
// the summed resident memory (KiB) of the descendants of pid (not pid
// itself), and returns the largest sum seen.
func pollTreeRSS(pid int) func() int64 {
	stop := make(chan struct{})
	res := make(chan int64)
	go func() {
		var peak int64
		for {
			select {
			case <-stop:
				res <- peak
				return
			case <-time.After(2 * time.Millisecond):
			}
			peak = max(peak, descendantsRSS(pid))
		}
	}()
	return func() int64 {
		close(stop)
		return <-res
	}
}

func descendantsRSS(root int) int64 {
	ents, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	rss := map[int]int64{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil {
			continue
		}
		for l := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PPid:"); ok {
				parent[pid], _ = strconv.Atoi(strings.TrimSpace(v))
			}
			if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
				rss[pid], _ = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			}
		}
	}
	var sum int64
	for pid := range rss {
		for p := parent[pid]; p > 1; p = parent[p] {
			if p == root {
				sum += rss[pid]
				break
			}
		}
	}
	return sum
}

func (h *cgiHost) stop(t *testing.T) {
	h.cmd.Process.Signal(syscall.SIGTERM)
	h.cmd.Wait()
}

// TestCGIHost is not a test: startCGIHost runs it in a child process.
func TestCGIHost(t *testing.T) {
	root, addr := os.Getenv("WHARF_BENCH_CGI_ROOT"), os.Getenv("WHARF_BENCH_CGI_ADDR")
	if root == "" {
		t.Skip("helper process for TestBenchClone")
	}
	git, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	backend := &cgi.Handler{
		Path: git,
		Args: []string{"http-backend"},
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/__rusage", func(w http.ResponseWriter, r *http.Request) {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru)
		json.NewEncoder(w).Encode(map[string]int64{"MaxRSS": ru.Maxrss})
	})
	mux.Handle("/", backend)
	srv := &http.Server{Addr: addr, Handler: mux}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	srv.ListenAndServe()
}
