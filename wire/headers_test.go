package wire

import (
	"testing"
	"time"
)

func TestFormatTime(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2024, 11, 16, 0, 27, 2, 0, time.UTC), "2024-11-16T00:27:02.000Z"},
		{time.Date(2024, 11, 16, 0, 27, 2, 123456789, time.UTC), "2024-11-16T00:27:02.123Z"},
		{time.Date(2024, 11, 16, 2, 27, 2, 0, time.FixedZone("CEST", 2*3600)), "2024-11-16T00:27:02.000Z"},
		{time.Date(2024, 1, 1, 0, 0, 0, 0, time.FixedZone("X", -5*3600)), "2024-01-01T05:00:00.000Z"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := FormatTime(tt.in)
			if got != tt.want {
				t.Errorf("FormatTime(%v) = %q, want %q", tt.in, got, tt.want)
			}
			back, err := time.Parse(time.RFC3339, got)
			if err != nil || !back.Equal(tt.in.Truncate(time.Millisecond)) {
				t.Errorf("time.Parse(RFC3339, %q) = %v, %v", got, back, err)
			}
		})
	}
}

func TestParseBool(t *testing.T) {
	tests := []struct {
		in        string
		value, ok bool
	}{
		{"1", true, true},
		{"true", true, true},
		{"True", true, true},
		{"TRUE", true, true},
		{"yes", true, true},
		{"Yes", true, true},
		{"0", false, true},
		{"false", false, true},
		{"False", false, true},
		{"FALSE", false, true},
		{"no", false, true},
		{"", false, true},
		{"2", false, false},
		{"on", false, false},
		{"t", false, false},
		{" true", false, false},
		{"truee", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			value, ok := ParseBool(tt.in)
			if value != tt.value || ok != tt.ok {
				t.Errorf("ParseBool(%q) = %v, %v; want %v, %v", tt.in, value, ok, tt.value, tt.ok)
			}
		})
	}
}
