package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/wharfhub/wharf/hub"
)

// progressInterval bounds how often the bars are redrawn.
const progressInterval = 100 * time.Millisecond

// maxFileBars is how many files in flight get a bar of their own.
const maxFileBars = 8

// progressBars draws upload progress on a terminal: a line while the
// files are hashed, then one bar per file being sent and a total bar. A nil
// *progressBars draws nothing, so callers need not check.
type progressBars struct {
	w     io.Writer
	width int

	mu      sync.Mutex
	label   string // shown until the first transfer starts
	begun   time.Time
	files   map[string]*fileProgress
	order   []*fileProgress
	sent    int64
	total   int64
	deduped int64 // of sent: already on the Hub (Xet dedup), not sent
	rate    rate
	first   time.Time // first transfer event
	drawn   int       // lines on screen
	stopped bool

	stop chan struct{}
	done chan struct{}
}

type fileProgress struct {
	path        string
	sent, total int64
	deduped     int64
	rate        rate
}

// newProgress returns bars drawn on w, or nil when w is not a terminal,
// quiet is set, TERM is dumb or HF_HUB_DISABLE_PROGRESS_BARS is set (as
// huggingface_hub honours it).
func newProgress(w io.Writer, quiet bool) *progressBars {
	if quiet || os.Getenv("TERM") == "dumb" || envTrue("HF_HUB_DISABLE_PROGRESS_BARS") {
		return nil
	}
	f, ok := w.(interface{ Fd() uintptr })
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil || width <= 0 {
		width = 80
	}
	return newBars(w, width)
}

func newBars(w io.Writer, width int) *progressBars {
	return &progressBars{w: w, width: width, files: map[string]*fileProgress{}}
}

func envTrue(k string) bool {
	switch strings.ToLower(os.Getenv(k)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// start shows label (what happens before the first byte is sent) and
// starts redrawing.
func (b *progressBars) start(label string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.label, b.begun = label, time.Now()
	b.mu.Unlock()
	b.stop, b.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(b.done)
		t := time.NewTicker(progressInterval)
		defer t.Stop()
		b.tick(time.Now())
		for {
			select {
			case <-b.stop:
				return
			case now := <-t.C:
				b.tick(now)
			}
		}
	}()
}

// update records a hub.Progress event. It is safe for concurrent use.
func (b *progressBars) update(p hub.Progress) {
	if b == nil {
		return
	}
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.first.IsZero() {
		b.first = now
	}
	f := b.files[p.Path]
	if f == nil {
		f = &fileProgress{path: p.Path, total: max(p.Total, 0)}
		b.files[p.Path] = f
		b.order = append(b.order, f)
		b.total += f.total
	}
	// A retried transfer starts over (Sent drops) and parts of a multipart
	// upload that are sent again may count twice: keep within [0, total].
	sent := min(max(p.Sent, 0), f.total)
	b.sent += sent - f.sent
	f.sent = sent
	deduped := min(max(p.Deduped, 0), sent)
	b.deduped += deduped - f.deduped
	f.deduped = deduped
}

// finish stops redrawing, erases the bars, and prints one summary line if
// anything was sent.
func (b *progressBars) finish() {
	if b == nil || b.stop == nil {
		return
	}
	close(b.stop)
	<-b.done
	b.mu.Lock()
	defer b.mu.Unlock()
	var buf bytes.Buffer
	b.erase(&buf)
	if n := len(b.order); n > 0 && b.sent > 0 {
		d := time.Since(b.first)
		took := formatDuration(d)
		if d < 10*time.Second {
			took = fmt.Sprintf("%.1fs", d.Seconds())
		}
		fmt.Fprintf(&buf, "Uploaded %d LFS %s (%s) in %s (%s)", n, plural(n, "file", "files"),
			formatBytes(b.total), took, formatSpeed(float64(b.sent)/max(d.Seconds(), 1e-3)))
		if b.deduped > 0 {
			fmt.Fprintf(&buf, ", %s already on the Hub (deduplicated), %s sent", formatBytes(b.deduped), formatBytes(b.sent-b.deduped))
		}
		buf.WriteByte('\n')
	}
	b.w.Write(buf.Bytes())
	b.stopped = true
}

// tick redraws the bars as of now.
func (b *progressBars) tick(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return
	}
	lines := b.render(now)
	var buf bytes.Buffer
	b.erase(&buf)
	for _, l := range lines {
		buf.WriteString(l)
		buf.WriteString("\x1b[K\n")
	}
	b.drawn = len(lines)
	b.w.Write(buf.Bytes())
}

// erase moves the cursor back to the first line drawn and clears below.
func (b *progressBars) erase(buf *bytes.Buffer) {
	if b.drawn > 0 {
		fmt.Fprintf(buf, "\r\x1b[%dA\x1b[J", b.drawn)
	}
	b.drawn = 0
}

// render returns the lines to show, each narrower than the terminal so
// that none wraps (which would break the cursor arithmetic).
func (b *progressBars) render(now time.Time) []string {
	if len(b.order) == 0 {
		return b.fit([]string{fmt.Sprintf("%s... %s", b.label, formatDuration(now.Sub(b.begun)))})
	}
	type row struct {
		name        string
		sent, total int64
		bps         float64
	}
	var rows []row
	active, done := 0, 0
	for _, f := range b.order {
		f.rate.observe(now, f.sent)
		if f.sent >= f.total {
			done++
			continue
		}
		if active++; active <= maxFileBars {
			rows = append(rows, row{f.path, f.sent, f.total, f.rate.bps})
		}
	}
	b.rate.observe(now, b.sent)
	name := fmt.Sprintf("Total %d/%d", done, len(b.order))
	if b.deduped > 0 {
		name += fmt.Sprintf(", %s dedup", formatBytes(b.deduped))
	}
	if b.sent >= b.total {
		name = fmt.Sprintf("Sent %d, committing", len(b.order))
	}
	total := row{name, b.sent, b.total, b.rate.bps}

	// One layout for all rows, so that the bars line up: the names get
	// what the stats and a bar of 10 leave, the bar the rest (up to 30).
	nameW := utf8.RuneCountInString(total.name)
	for _, r := range rows {
		nameW = max(nameW, utf8.RuneCountInString(r.name))
	}
	avail := b.width - 1 - statsWidth - 1
	nameW = min(nameW, avail-13)
	barW := min(30, avail-nameW-3)
	if nameW < 8 {
		nameW, barW = max(avail, 0), 0 // too narrow for a bar
	}
	var lines []string
	for _, r := range rows {
		lines = append(lines, barLine(r.name, nameW, barW, r.sent, r.total, r.bps))
	}
	if active > maxFileBars {
		lines = append(lines, fmt.Sprintf("... and %d more", active-maxFileBars))
	}
	lines = append(lines, barLine(total.name, nameW, barW, total.sent, total.total, total.bps))
	return b.fit(lines)
}

func (b *progressBars) fit(lines []string) []string {
	for i, l := range lines {
		lines[i] = truncate(l, b.width-1)
	}
	return lines
}

// statsWidth is the width of the stats barLine writes after the bar.
const statsWidth = 4 + 1 + 17 + 1 + 10 + 1 + 10

// barLine formats "name [=====>     ]  45%   1.2 GB/2.7 GB  48.3 MB/s ETA 31s",
// the name in nameW columns and the bar in barW (none if 0).
func barLine(name string, nameW, barW int, sent, total int64, bps float64) string {
	pct := 100
	if total > 0 {
		pct = int(sent * 100 / total)
	}
	eta := "done"
	if sent < total {
		eta = "ETA -"
		if bps > 0 {
			eta = "ETA " + formatDuration(time.Duration(float64(total-sent)/bps*float64(time.Second)))
		}
	}
	var s strings.Builder
	s.WriteString(padRight(truncateLeft(name, nameW), nameW))
	if barW > 0 {
		fill := barW * pct / 100
		s.WriteString(" [")
		s.WriteString(strings.Repeat("=", fill))
		if fill < barW {
			s.WriteString(">")
			s.WriteString(strings.Repeat(" ", barW-fill-1))
		}
		s.WriteString("]")
	}
	fmt.Fprintf(&s, " %3d%% %17s %10s %-10s", pct, formatBytes(sent)+"/"+formatBytes(total), formatSpeed(bps), eta)
	return strings.TrimRight(s.String(), " ")
}

// rate is a transfer speed smoothed over a few seconds.
type rate struct {
	bps   float64
	last  time.Time
	lastN int64
}

func (r *rate) observe(now time.Time, n int64) {
	if r.last.IsZero() {
		r.last, r.lastN = now, n
		return
	}
	dt := now.Sub(r.last).Seconds()
	if dt <= 0 {
		return
	}
	inst := float64(n-r.lastN) / dt
	if r.bps == 0 {
		r.bps = inst
	} else {
		r.bps += (1 - math.Exp(-dt/3)) * (inst - r.bps)
	}
	r.bps = max(r.bps, 0)
	r.last, r.lastN = now, n
}

// formatBytes renders a size with SI units, as huggingface_hub's bars do.
func formatBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), 0
	for v >= unit && i < 5 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %cB", v, "kMGTP"[i-1])
}

func formatSpeed(bps float64) string {
	if bps <= 0 {
		return "- B/s"
	}
	return formatBytes(int64(bps)) + "/s"
}

// formatDuration renders 7s, 3m05s or 2h03m.
func formatDuration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 100*3600:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return ">99h"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// truncateLeft keeps the end of s (the file name) within n runes.
func truncateLeft(s string, n int) string {
	if n <= 0 {
		return ""
	}
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	if n <= 3 {
		return string(rs[len(rs)-n:])
	}
	return "..." + string(rs[len(rs)-n+3:])
}

func padRight(s string, n int) string {
	if k := utf8.RuneCountInString(s); k < n {
		return s + strings.Repeat(" ", n-k)
	}
	return s
}
