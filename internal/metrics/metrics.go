package metrics

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// durationBuckets are the upper bounds (seconds) of the latency histograms.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}

// Registry holds the metrics of one server. It is safe for concurrent use.
type Registry struct {
	mu       sync.Mutex
	counters map[string]*family
	hists    map[string]*histFamily
	gauges   []GaugeFunc
}

type family struct {
	help   string
	labels []string
	values map[string]float64 // key: label values joined by \xff
}

type histFamily struct {
	help   string
	labels []string
	series map[string]*histogram
}

type histogram struct {
	counts []uint64 // per bucket, not cumulative
	count  uint64
	sum    float64
}

// GaugeFunc reports gauges computed when metrics are scraped (database
// pool, sessions in flight). It writes samples with [Sample].
type GaugeFunc func(w io.Writer)

// New returns a Registry with Wharf's metrics declared.
func New() *Registry {
	r := &Registry{counters: map[string]*family{}, hists: map[string]*histFamily{}}
	r.counter("wharf_http_requests_total", "HTTP requests by route, method and status.", "route", "method", "code")
	r.counter("wharf_http_response_bytes_total", "Bytes sent in response bodies, by route.", "route")
	r.counter("wharf_http_request_bytes_total", "Bytes received in request bodies (declared length), by route.", "route")
	r.histogram("wharf_http_request_duration_seconds", "HTTP request latency by route.", "route")
	r.counter("wharf_quota_refusals_total", "Uploads refused because a namespace would pass its quota, by kind (lfs, xorb, shard).", "kind")
	r.counter("wharf_gc_runs_total", "Garbage collections, by result (ok, busy, error).", "result")
	r.counter("wharf_gc_freed_bytes_total", "Bytes of blobs deleted by garbage collection.")
	r.counter("wharf_gc_objects_removed_total", "Git objects no ref reached, removed by garbage collection.")
	return r
}

func (r *Registry) counter(name, help string, labels ...string) {
	r.counters[name] = &family{help: help, labels: labels, values: map[string]float64{}}
}

func (r *Registry) histogram(name, help string, labels ...string) {
	r.hists[name] = &histFamily{help: help, labels: labels, series: map[string]*histogram{}}
}

// Add adds v to the counter name with the given label values (in the
// order the counter declares them). Unknown names are ignored.
func (r *Registry) Add(name string, v float64, labelValues ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f, ok := r.counters[name]; ok {
		f.values[strings.Join(labelValues, "\xff")] += v
	}
}

// Observe records v in the histogram name.
func (r *Registry) Observe(name string, v float64, labelValues ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.hists[name]
	if !ok {
		return
	}
	k := strings.Join(labelValues, "\xff")
	h := f.series[k]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(durationBuckets))}
		f.series[k] = h
	}
	for i, b := range durationBuckets {
		if v <= b {
			h.counts[i]++
			break
		}
	}
	h.count++
	h.sum += v
}

// ObserveRequest records one HTTP request. route is the route pattern
// name (never the path: label values must stay few).
func (r *Registry) ObserveRequest(route, method string, status int, d time.Duration, respBytes, reqBytes int64) {
	if route == "" {
		route = "other"
	}
	r.Add("wharf_http_requests_total", 1, route, method, strconv.Itoa(status))
	r.Add("wharf_http_response_bytes_total", float64(respBytes), route)
	if reqBytes > 0 {
		r.Add("wharf_http_request_bytes_total", float64(reqBytes), route)
	}
	r.Observe("wharf_http_request_duration_seconds", d.Seconds(), route)
}

// AddGauges registers fn, called at every scrape.
func (r *Registry) AddGauges(fn GaugeFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gauges = append(r.gauges, fn)
}

// Sample writes one sample line; labels are name, value pairs.
func Sample(w io.Writer, name string, v float64, labels ...string) {
	io.WriteString(w, name)
	writeLabels(w, labels)
	fmt.Fprintf(w, " %s\n", formatFloat(v))
}

// Header writes the HELP and TYPE lines of a metric.
func Header(w io.Writer, name, typ, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

func writeLabels(w io.Writer, labels []string) {
	if len(labels) == 0 {
		return
	}
	io.WriteString(w, "{")
	for i := 0; i+1 < len(labels); i += 2 {
		if i > 0 {
			io.WriteString(w, ",")
		}
		fmt.Fprintf(w, "%s=\"%s\"", labels[i], escape(labels[i+1]))
	}
	io.WriteString(w, "}")
}

func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func pairs(names []string, key string) []string {
	vals := strings.Split(key, "\xff")
	out := make([]string, 0, 2*len(names))
	for i, n := range names {
		v := ""
		if i < len(vals) {
			v = vals[i]
		}
		out = append(out, n, v)
	}
	return out
}

// Write writes every metric in the text format.
func (r *Registry) Write(w io.Writer) {
	r.mu.Lock()
	names := make([]string, 0, len(r.counters))
	for n := range r.counters {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f := r.counters[n]
		Header(w, n, "counter", f.help)
		keys := sortedKeys(f.values)
		if len(f.labels) == 0 && len(keys) == 0 {
			Sample(w, n, 0)
		}
		for _, k := range keys {
			if len(f.labels) == 0 {
				Sample(w, n, f.values[k])
				continue
			}
			Sample(w, n, f.values[k], pairs(f.labels, k)...)
		}
	}
	hnames := make([]string, 0, len(r.hists))
	for n := range r.hists {
		hnames = append(hnames, n)
	}
	sort.Strings(hnames)
	for _, n := range hnames {
		f := r.hists[n]
		Header(w, n, "histogram", f.help)
		keys := make([]string, 0, len(f.series))
		for k := range f.series {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			h := f.series[k]
			lp := pairs(f.labels, k)
			var cum uint64
			for i, b := range durationBuckets {
				cum += h.counts[i]
				Sample(w, n+"_bucket", float64(cum), append(lp[:len(lp):len(lp)], "le", formatFloat(b))...)
			}
			Sample(w, n+"_bucket", float64(h.count), append(lp[:len(lp):len(lp)], "le", "+Inf")...)
			Sample(w, n+"_sum", h.sum, lp...)
			Sample(w, n+"_count", float64(h.count), lp...)
		}
	}
	gauges := append([]GaugeFunc(nil), r.gauges...)
	r.mu.Unlock()
	for _, g := range gauges {
		g(w)
	}
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Handler serves the metrics at any path.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		r.Write(w)
	})
}
