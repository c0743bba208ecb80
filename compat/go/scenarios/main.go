// Command scenarios is the Go side of the compat suite (compat/README.md):
// the "go" column runs the Python rows through the hub SDK and the wharf
// CLI; the "git" column drives the real git and git-lfs binaries against
// the server's smart HTTP endpoint.
//
//	scenarios -suite go|git -wharf /path/to/wharf
//
// Environment: WHARF_ENDPOINT, WHARF_TOKEN_ALICE, WHARF_TOKEN_BOB,
// WHARF_TOKEN_READ, WHARF_COMPAT_CLIENT (column name, also the repo-name
// prefix), WHARF_COMPAT_RESULTS (JSON-lines file), WHARF_COMPAT_ONLY
// (optional comma-separated scenario names). Exit status: 0 all passed,
// 3 some scenario failed (reported), anything else: the suite broke.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"
)

type scenario struct {
	suite, name string
	fn          func()
}

var scenarios []scenario

// reg registers a scenario of a suite ("go" or "git").
func reg(suite, name string, fn func()) {
	scenarios = append(scenarios, scenario{suite, name, fn})
}

func main() {
	suite := flag.String("suite", "go", "go (SDK + CLI) or git (git and git-lfs binaries)")
	flag.StringVar(&wharfBin, "wharf", os.Getenv("WHARF_COMPAT_WHARF_BIN"), "the wharf binary")
	timeout := flag.Duration("timeout", 3*time.Minute, "time limit of one scenario")
	flag.Parse()
	ctx = context.Background()
	E = strings.TrimRight(os.Getenv("WHARF_ENDPOINT"), "/")
	tokAlice, tokBob, tokRead = os.Getenv("WHARF_TOKEN_ALICE"), os.Getenv("WHARF_TOKEN_BOB"), os.Getenv("WHARF_TOKEN_READ")
	column = os.Getenv("WHARF_COMPAT_CLIENT")
	if column == "" {
		column = *suite
	}
	prefix = strings.ReplaceAll(column, "_", "-")
	if E == "" || tokAlice == "" || tokBob == "" || tokRead == "" || wharfBin == "" {
		fmt.Fprintln(os.Stderr, "scenarios: need WHARF_ENDPOINT, WHARF_TOKEN_ALICE, WHARF_TOKEN_BOB, WHARF_TOKEN_READ and -wharf")
		os.Exit(2)
	}
	var err error
	if wharfBin, err = filepath.Abs(wharfBin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	only := map[string]bool{}
	for _, s := range strings.Split(os.Getenv("WHARF_COMPAT_ONLY"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			only[s] = true
		}
	}
	if work, err = os.MkdirTemp("", "compat-"+prefix+"-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	api = newClient(tokAlice, false, rec)
	bob = newClient(tokBob, false, nil)
	reader = newClient(tokRead, false, nil)
	anon = newClient("", true, nil)
	if *suite == "git" {
		if err := gitSetup(); err != nil {
			fmt.Fprintln(os.Stderr, "git setup:", err)
			os.Exit(2)
		}
	}

	fmt.Printf("%s suite against %s (wharf %s)\n", *suite, E, wharfBin)
	failed := 0
	for _, s := range scenarios {
		if s.suite != *suite || (len(only) > 0 && !only[s.name]) {
			continue
		}
		t := time.Now()
		status, detail := runOne(s, *timeout)
		secs := time.Since(t).Seconds()
		switch status {
		case "pass":
			fmt.Printf("PASS %s (%.1fs)\n", s.name, secs)
		case "skip":
			fmt.Printf("SKIP %s: %s\n", s.name, detail)
		default:
			failed++
			fmt.Printf("FAIL %s (%.1fs)\n%s\n", s.name, secs, detail)
			if i := strings.Index(detail, "\n"); i >= 0 {
				detail = detail[:i] // the stack stays in the log
			}
		}
		emit(s.name, status, detail, secs)
	}
	os.RemoveAll(work)
	if failed > 0 {
		os.Exit(3)
	}
}

func runOne(s scenario, timeout time.Duration) (status, detail string) {
	c, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ctx = c
	rec.reset()
	defer func() {
		switch v := recover().(type) {
		case nil:
			status = "pass"
		case skipped:
			status, detail = "skip", v.reason
		case failure:
			status, detail = "fail", v.msg
		default:
			status, detail = "fail", fmt.Sprintf("panic: %v\n%s", v, debug.Stack())
		}
	}()
	s.fn()
	return
}

func emit(name, status, detail string, secs float64) {
	path := os.Getenv("WHARF_COMPAT_RESULTS")
	if path == "" {
		return
	}
	line, _ := json.Marshal(map[string]any{
		"client": column, "scenario": name, "status": status, "detail": detail,
		"seconds": float64(int(secs*100)) / 100,
	})
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "results:", err)
		os.Exit(2)
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		fmt.Fprintln(os.Stderr, "results:", err)
		os.Exit(2)
	}
}
