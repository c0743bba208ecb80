package usage_test

import (
	"testing"

	"github.com/wharfhub/wharf/internal/usage"
)

func TestParseBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{{"500GB", 500e9}, {"1.5 TB", 1.5e12}, {"200MiB", 200 << 20}, {"1024", 1024}, {"10kb", 10000}, {"0", 0}} {
		got, err := usage.ParseBytes(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "GB", "5 parsecs", "-3MB", "1e999GB"} {
		if _, err := usage.ParseBytes(bad); err == nil {
			t.Errorf("ParseBytes(%q) succeeded", bad)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for _, tc := range []struct {
		in   int64
		want string
	}{{0, "0 B"}, {999, "999 B"}, {1000, "1.00 kB"}, {60000, "60.0 kB"}, {100000, "100 kB"}, {3e9, "3.00 GB"}, {500e9, "500 GB"}} {
		if got := usage.FormatBytes(tc.in); got != tc.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
