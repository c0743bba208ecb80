package web

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"
)

var funcs = template.FuncMap{
	"size":    humanSize,
	"ago":     ago,
	"date":    func(t time.Time) string { return t.UTC().Format("Jan 2, 2006, 15:04 UTC") },
	"iso":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"short":   shortOID,
	"plural":  plural,
	"typeURL": func(t string) string { return "/" + t + "s" },
}

// humanSize writes a byte count as the Hub does (decimal units).
func humanSize(n int64) string {
	if n < 1000 {
		return fmt.Sprintf("%d Bytes", n)
	}
	f := float64(n)
	for _, unit := range []string{"kB", "MB", "GB", "TB", "PB"} {
		f /= 1000
		if f < 1000 || unit == "PB" {
			if f < 10 {
				return fmt.Sprintf("%.2f %s", f, unit)
			}
			if f < 100 {
				return fmt.Sprintf("%.1f %s", f, unit)
			}
			return fmt.Sprintf("%.0f %s", f, unit)
		}
	}
	return ""
}

func ago(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 24*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	case d < 30*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	}
	return t.UTC().Format("Jan 2, 2006")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func shortOID(s string) string {
	if len(s) > 7 {
		return s[:7]
	}
	return s
}

// escapePath escapes each segment of a repo path for a URL, keeping the
// slashes: "a b/c#d" becomes "a%20b/c%23d".
func escapePath(p string) string {
	if p == "" {
		return ""
	}
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}
