package wire

import (
	"bytes"
	"encoding/json"
)

// This file reads the fields of JSON objects without decoding their values,
// so that the commit decoder can decode a base64 content straight from the
// line and never holds more than a few fields. Its input must be valid JSON
// (checked with json.Valid); on other input it must not panic, but may
// return anything.

// eachField calls fn with the name and the JSON text of each field of the
// object b, until fn returns false. It reports whether b is an object and fn
// never returned false. name is only valid during the call; value is a
// subslice of b.
func eachField(b []byte, fn func(name, value []byte) bool) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	for i < len(b) && b[i] != '}' {
		if b[i] == ',' {
			i = skipSpace(b, i+1)
		}
		end := stringEnd(b, i)
		if end < 0 {
			return false
		}
		name := b[i+1 : end-1]
		if bytes.IndexByte(name, '\\') >= 0 {
			name = decodeString(b[i:end])
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		end = valueEnd(b, i)
		if end < 0 {
			return false
		}
		if !fn(name, b[i:end]) {
			return false
		}
		i = skipSpace(b, end)
	}
	return i < len(b)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// stringEnd returns the index after the JSON string that starts at b[i],
// or -1.
func stringEnd(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	for i++; i < len(b); i++ {
		// Jump to the next quote (IndexByte is fast on long base64
		// strings), then check that it is not escaped.
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return -1
		}
		i += q
		n := 0
		for j := i - 1; j >= 0 && b[j] == '\\'; j-- {
			n++
		}
		if n%2 == 0 {
			return i + 1
		}
	}
	return -1
}

// valueEnd returns the index after the JSON value that starts at b[i], or
// -1.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end := stringEnd(b, i)
				if end < 0 {
					return -1
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
	}
	return i
}

// isString reports whether raw is the text of a JSON string.
func isString(raw []byte) bool {
	return len(raw) >= 2 && raw[0] == '"'
}

// stringValue decodes raw, the text of a JSON value or nil. present is
// false for nil and null; ok is false if raw is present but not a string.
func stringValue(raw []byte) (s string, present, ok bool) {
	if raw == nil || string(raw) == "null" {
		return "", false, true
	}
	if !isString(raw) {
		return "", true, false
	}
	if inner := raw[1 : len(raw)-1]; bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), true, true
	}
	return string(decodeString(raw)), true, true
}

// decodeString decodes the text of a JSON string into a new slice.
func decodeString(raw []byte) []byte {
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return bytes.Clone(inner)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		// Unreachable for valid JSON.
		return bytes.Clone(inner)
	}
	return []byte(s)
}
