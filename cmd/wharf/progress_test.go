package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wharfhub/wharf/hub"
)

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

// screen splits what the bars wrote into frames, without escape codes.
func frames(out string) []string {
	return strings.Split(ansi.ReplaceAllString(out, ""), "\r")
}

func TestProgressRender(t *testing.T) {
	var buf bytes.Buffer
	b := newBars(&buf, 100)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	b.label, b.begun = "Hashing 3 files (12.0 MB)", t0

	b.tick(t0.Add(2 * time.Second))
	if got := buf.String(); got != "Hashing 3 files (12.0 MB)... 2s\x1b[K\n" {
		t.Fatalf("first frame %q", got)
	}
	buf.Reset()

	// The SDK announces each transfer with Sent 0, then reports bytes.
	b.update(hub.Progress{Path: "weights/model-00001-of-00002.safetensors", Total: 8_000_000})
	b.update(hub.Progress{Path: "b.bin", Total: 2_000_000})
	b.tick(t0.Add(3 * time.Second))
	b.update(hub.Progress{Path: "weights/model-00001-of-00002.safetensors", Sent: 4_000_000, Total: 8_000_000})
	b.update(hub.Progress{Path: "b.bin", Sent: 2_000_000, Total: 2_000_000})
	buf.Reset()
	b.tick(t0.Add(4 * time.Second))
	out := buf.String()
	// Back over the three lines drawn before, then two lines: the file
	// still in flight and the total (b.bin is done, so it has no bar).
	if !strings.HasPrefix(out, "\r\x1b[3A\x1b[J") {
		t.Errorf("frame does not start by going back up three lines: %q", out)
	}
	got := strings.Split(strings.TrimSuffix(ansi.ReplaceAllString(strings.TrimPrefix(out, "\r"), ""), "\n"), "\n")
	if len(got) != 2 {
		t.Fatalf("lines %q", got)
	}
	for _, l := range got {
		if n := utf8.RuneCountInString(l); n > 99 {
			t.Errorf("line of %d columns, terminal has 100: %q", n, l)
		}
	}
	if !regexp.MustCompile(`^weights/model-00001-of-00002\.safetensors \[=====> +\]  50% +4\.0 MB/8\.0 MB +4\.0 MB/s ETA 1s$`).MatchString(got[0]) {
		t.Errorf("file line %q", got[0])
	}
	if !regexp.MustCompile(`^Total 1/2 +\[======> +\]  60% +6\.0 MB/10\.0 MB +6\.0 MB/s ETA 1s$`).MatchString(got[1]) {
		t.Errorf("total line %q", got[1])
	}

	// Retries make Sent go back or overshoot: the total stays within bounds.
	b.update(hub.Progress{Path: "b.bin", Sent: 9_000_000, Total: 2_000_000})
	b.update(hub.Progress{Path: "weights/model-00001-of-00002.safetensors", Sent: 8_000_000, Total: 8_000_000})
	buf.Reset()
	b.tick(t0.Add(5 * time.Second))
	if got := frames(buf.String()); !strings.Contains(got[len(got)-1], "Sent 2, committing") || !strings.Contains(got[len(got)-1], "100%   10.0 MB/10.0 MB") || !strings.HasSuffix(got[len(got)-1], " done\n") {
		t.Errorf("last frame %q", got[len(got)-1])
	}
}

func TestProgressManyFiles(t *testing.T) {
	var buf bytes.Buffer
	b := newBars(&buf, 40) // narrow: no bar, names cut
	b.begun = time.Now()
	for i := range maxFileBars + 3 {
		b.update(hub.Progress{Path: strings.Repeat("x", 50) + string(rune('a'+i)), Total: 100})
	}
	b.tick(time.Now())
	got := strings.Split(strings.TrimSuffix(ansi.ReplaceAllString(buf.String(), ""), "\n"), "\n")
	if len(got) != maxFileBars+2 || got[maxFileBars] != "... and 3 more" {
		t.Fatalf("lines %q", got)
	}
	for _, l := range got {
		if n := utf8.RuneCountInString(l); n > 39 {
			t.Errorf("line of %d columns: %q", n, l)
		}
	}
}

func TestProgressOnlyOnTerminals(t *testing.T) {
	t.Setenv("HF_HUB_DISABLE_PROGRESS_BARS", "")
	var buf bytes.Buffer
	if newProgress(&buf, false) != nil {
		t.Error("bars on a bytes.Buffer")
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if newProgress(f, false) != nil {
		t.Error("bars on a regular file")
	}
	// A nil *progressBars does nothing.
	var b *progressBars
	b.start("x")
	b.update(hub.Progress{Path: "p", Total: 1})
	b.finish()
}

func TestFormat(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 1_500_000: "1.5 MB", 3 << 30: "3.2 GB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{0: "0s", 59 * time.Second: "59s", 185 * time.Second: "3m05s", 2*time.Hour + 3*time.Minute: "2h03m", 200 * time.Hour: ">99h"} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	if got := truncateLeft("abcdefghij", 6); got != "...hij" {
		t.Errorf("truncateLeft = %q", got)
	}
}

// TestProgressFromSDK checks what the bars rely on: every LFS transfer is
// announced with Sent 0 and its Total before bytes flow, and ends at Total.
// The events also go through real bars, concurrently (run with -race).
func TestProgressFromSDK(t *testing.T) {
	h := newHub(t)
	c, err := hub.New(&hub.Options{Endpoint: h.URL, Token: h.Alice})
	if err != nil {
		t.Fatal(err)
	}
	r := hub.Repo{ID: "alice/prog"}
	if _, err := c.CreateRepo(t.Context(), r, &hub.CreateRepoOptions{LFSMultipartThreshold: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"small.bin": binary(10_000), "big.bin": binary(3<<20 + 5), "text.txt": "regular"})

	var buf bytes.Buffer
	bars := newBars(&lockedWriter{w: &buf}, 100)
	bars.start("Hashing")
	var mu sync.Mutex
	events := map[string][]hub.Progress{}
	_, err = c.UploadFolder(t.Context(), r, dir, &hub.UploadFolderOptions{CommitOptions: hub.CommitOptions{Progress: func(p hub.Progress) {
		mu.Lock()
		events[p.Path] = append(events[p.Path], p)
		mu.Unlock()
		bars.update(p)
	}}})
	bars.finish()
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events["text.txt"] != nil {
		t.Fatalf("events for %d paths: %v", len(events), events)
	}
	for p, evs := range events {
		first, last := evs[0], evs[len(evs)-1]
		if first.Sent != 0 || first.Total == 0 {
			t.Errorf("%s: first event %+v, want Sent 0 and the total", p, first)
		}
		if last.Sent != last.Total {
			t.Errorf("%s: last event %+v", p, last)
		}
	}
	fr := frames(buf.String())
	if last := fr[len(fr)-1]; !regexp.MustCompile(`^Uploaded 2 LFS files \(3\.2 MB\) in \d+\.\ds \(.+/s\)(, .+ already on the Hub \(deduplicated\), .+ sent)?\n$`).MatchString(last) {
		t.Errorf("summary %q", last)
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestProgressDedup: bytes the Hub already has (Xet dedup) show on the
// total bar and in the summary.
func TestProgressDedup(t *testing.T) {
	var buf bytes.Buffer
	b := newBars(&lockedWriter{w: &buf}, 120)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	b.begun = t0
	b.update(hub.Progress{Path: "a.bin", Total: 10_000_000})
	b.update(hub.Progress{Path: "b.bin", Total: 10_000_000})
	b.update(hub.Progress{Path: "a.bin", Sent: 6_000_000, Total: 10_000_000, Deduped: 5_000_000})
	b.tick(t0.Add(time.Second))
	got := frames(buf.String())
	if last := got[len(got)-1]; !strings.Contains(last, "Total 0/2, 5.0 MB dedup") {
		t.Errorf("total line %q", last)
	}
	b.update(hub.Progress{Path: "a.bin", Sent: 10_000_000, Total: 10_000_000, Deduped: 9_900_000})
	b.update(hub.Progress{Path: "b.bin", Sent: 10_000_000, Total: 10_000_000})
	b.start("Hashing")
	b.finish()
	if out := buf.String(); !strings.Contains(out, "9.9 MB already on the Hub (deduplicated), 10.1 MB sent") {
		t.Errorf("summary %q", out)
	}
}
