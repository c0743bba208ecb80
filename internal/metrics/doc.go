// Package metrics keeps the server's counters and histograms and writes
// them in the Prometheus text exposition format (version 0.0.4).
package metrics
