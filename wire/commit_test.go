package wire

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// decodeAll reads a whole commit body.
func decodeAll(body string, maxLine int) (CommitHeader, []CommitOp, error) {
	return decodeReader(strings.NewReader(body), maxLine)
}

func decodeReader(r io.Reader, maxLine int) (CommitHeader, []CommitOp, error) {
	d := NewCommitDecoder(r, maxLine)
	h, err := d.Header()
	if err != nil {
		return h, nil, err
	}
	var ops []CommitOp
	for {
		op, err := d.Next()
		if err == io.EOF {
			return h, ops, nil
		}
		if err != nil {
			return h, ops, err
		}
		ops = append(ops, op)
	}
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCommitDecoderPython(t *testing.T) {
	// json.dumps output, as huggingface_hub sends it: ", " separators,
	// \uXXXX escapes and a newline after every line.
	h, ops, err := decodeAll(readTestdata(t, "commit_python.ndjson"), 0)
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := CommitHeader{Summary: "Upload folder using huggingface_hub", ParentCommit: "3f1c0a2b"}
	if h != wantHeader {
		t.Errorf("header = %#v, want %#v", h, wantHeader)
	}
	want := []CommitOp{
		{Kind: OpDeletedFolder, Path: "logs"},
		{Kind: OpFile, Path: "données/é.txt", Content: []byte("héllo\n"), Size: 7},
		{Kind: OpLFSFile, Path: "model.safetensors", OID: testOID, Size: 497933648},
		{Kind: OpDeletedFile, Path: "old.txt"},
	}
	if !reflect.DeepEqual(ops, want) {
		t.Errorf("ops =\n%#v\nwant\n%#v", ops, want)
	}
}

func TestCommitDecoderJS(t *testing.T) {
	// JSON.stringify output joined with "\n": no spaces, raw UTF-8, no
	// newline after the last line, no description.
	body := readTestdata(t, "commit_js.ndjson")
	if strings.HasSuffix(body, "\n") {
		t.Fatal("testdata must not end in a newline")
	}
	h, ops, err := decodeAll(body, 0)
	if err != nil {
		t.Fatal(err)
	}
	if h != (CommitHeader{Summary: "Add 2 files"}) {
		t.Errorf("header = %#v", h)
	}
	want := []CommitOp{
		{Kind: OpFile, Path: "notes/é.md", Content: []byte("line 1\nline \"2\"\n"), Size: 16},
		{Kind: OpLFSFile, Path: "weights.bin", OID: testOID, Size: 3},
	}
	if !reflect.DeepEqual(ops, want) {
		t.Errorf("ops =\n%#v\nwant\n%#v", ops, want)
	}
}

func TestCommitDecoderLineEnds(t *testing.T) {
	lines := []string{
		`{"key":"header","value":{"summary":"s"}}`,
		`{"key":"deletedFile","value":{"path":"a"}}`,
		`{"key":"deletedFile","value":{"path":"b"}}`,
	}
	tests := []struct {
		name string
		body string
	}{
		{"LF", strings.Join(lines, "\n") + "\n"},
		{"CRLF", strings.Join(lines, "\r\n") + "\r\n"},
		{"CRLF without last end", strings.Join(lines, "\r\n")},
		{"mixed", lines[0] + "\r\n" + lines[1] + "\n" + lines[2]},
		{"blank lines", "\n\n" + lines[0] + "\n\n \t\n" + lines[1] + "\r\n\r\n" + lines[2] + "\n\n"},
		{"leading whitespace", "  " + lines[0] + "\n\t" + lines[1] + "\n" + lines[2] + " \n"},
	}
	want := []CommitOp{{Kind: OpDeletedFile, Path: "a"}, {Kind: OpDeletedFile, Path: "b"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, r := range map[string]io.Reader{
				"whole":    strings.NewReader(tt.body),
				"one byte": iotest.OneByteReader(strings.NewReader(tt.body)),
			} {
				d := NewCommitDecoder(r, 64)
				var ops []CommitOp
				for {
					op, err := d.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					ops = append(ops, op)
				}
				if !reflect.DeepEqual(ops, want) {
					t.Errorf("%s: ops = %#v", name, ops)
				}
				if h, err := d.Header(); err != nil || h.Summary != "s" {
					t.Errorf("%s: Header() after Next = %#v, %v", name, h, err)
				}
			}
		})
	}
}

func TestCommitDecoderOps(t *testing.T) {
	const header = `{"key": "header", "value": {"summary": "s"}}` + "\n"
	tests := []struct {
		name string
		line string
		want CommitOp
	}{
		{"base64", `{"key": "file", "value": {"path": "a", "content": "aGVsbG8=", "encoding": "base64"}}`,
			CommitOp{Kind: OpFile, Path: "a", Content: []byte("hello"), Size: 5}},
		{"base64 upper", `{"key": "file", "value": {"path": "a", "content": "aGVsbG8=", "encoding": "BASE64"}}`,
			CommitOp{Kind: OpFile, Path: "a", Content: []byte("hello"), Size: 5}},
		{"base64 unpadded", `{"key": "file", "value": {"path": "a", "content": "aGVsbG8", "encoding": "base64"}}`,
			CommitOp{Kind: OpFile, Path: "a", Content: []byte("hello"), Size: 5}},
		{"base64 escaped slash", `{"key": "file", "value": {"path": "a", "content": "\/\/8=", "encoding": "base64"}}`,
			CommitOp{Kind: OpFile, Path: "a", Content: []byte{0xff, 0xff}, Size: 2}},
		{"no encoding means base64", `{"key": "file", "value": {"path": "a", "content": "aGk="}}`,
			CommitOp{Kind: OpFile, Path: "a", Content: []byte("hi"), Size: 2}},
		{"null encoding means base64", `{"key": "file", "value": {"path": "a", "content": "aGk=", "encoding": null}}`,
			CommitOp{Kind: OpFile, Path: "a", Content: []byte("hi"), Size: 2}},
		{"empty file", `{"key": "file", "value": {"path": "a", "content": "", "encoding": "base64"}}`,
			CommitOp{Kind: OpFile, Path: "a", Content: []byte{}, Size: 0}},
		{"utf-8", `{"key": "file", "value": {"path": "a", "content": "h\u00e9 \"x\"\n", "encoding": "utf-8"}}`,
			CommitOp{Kind: OpFile, Path: "a", Content: []byte("hé \"x\"\n"), Size: 8}},
		{"utf8", `{"key": "file", "value": {"path": "a", "content": "plain", "encoding": "utf8"}}`,
			CommitOp{Kind: OpFile, Path: "a", Content: []byte("plain"), Size: 5}},
		{"surrogate pair", `{"key": "file", "value": {"path": "\ud83e\udd17.md", "content": "", "encoding": "utf-8"}}`,
			CommitOp{Kind: OpFile, Path: "🤗.md", Content: []byte{}, Size: 0}},
		{"rename", `{"key": "file", "value": {"path": "b", "content": "", "oldPath": "a"}}`,
			CommitOp{Kind: OpFile, Path: "b", Content: []byte{}, OldPath: "a"}},
		{"null oldPath", `{"key": "file", "value": {"path": "b", "content": "", "oldPath": null}}`,
			CommitOp{Kind: OpFile, Path: "b", Content: []byte{}}},
		{"unknown value fields", `{"key": "file", "value": {"path": "a", "content": "", "mode": 644, "x": {"y": [1, "}"]}}}`,
			CommitOp{Kind: OpFile, Path: "a", Content: []byte{}}},
		{"lfs", `{"key": "lfsFile", "value": {"path": "m.bin", "algo": "sha256", "oid": "` + testOID + `", "size": 10}}`,
			CommitOp{Kind: OpLFSFile, Path: "m.bin", OID: testOID, Size: 10}},
		{"lfs upper oid", `{"key": "lfsFile", "value": {"path": "m.bin", "oid": "` + strings.ToUpper(testOID) + `", "size": 0}}`,
			CommitOp{Kind: OpLFSFile, Path: "m.bin", OID: testOID, Size: 0}},
		{"lfs copy without size", `{"key": "lfsFile", "value": {"path": "m.bin", "algo": "sha256", "oid": "` + testOID + `"}}`,
			CommitOp{Kind: OpLFSFile, Path: "m.bin", OID: testOID, Size: -1}},
		{"lfs null size", `{"key": "lfsFile", "value": {"path": "m.bin", "oid": "` + testOID + `", "size": null}}`,
			CommitOp{Kind: OpLFSFile, Path: "m.bin", OID: testOID, Size: -1}},
		{"lfs rename", `{"key": "lfsFile", "value": {"path": "b.bin", "oid": "` + testOID + `", "size": 1, "oldPath": "a.bin"}}`,
			CommitOp{Kind: OpLFSFile, Path: "b.bin", OID: testOID, Size: 1, OldPath: "a.bin"}},
		{"lfs ignores file fields", `{"key": "lfsFile", "value": {"path": "m.bin", "oid": "` + testOID + `", "content": 5, "encoding": 1}}`,
			CommitOp{Kind: OpLFSFile, Path: "m.bin", OID: testOID, Size: -1}},
		{"deleted file", `{"key": "deletedFile", "value": {"path": "a/b.txt"}}`,
			CommitOp{Kind: OpDeletedFile, Path: "a/b.txt"}},
		{"deleted file ignores oldPath", `{"key": "deletedFile", "value": {"path": "a", "oldPath": 1}}`,
			CommitOp{Kind: OpDeletedFile, Path: "a"}},
		{"deleted folder", `{"key": "deletedFolder", "value": {"path": "logs/"}}`,
			CommitOp{Kind: OpDeletedFolder, Path: "logs"}},
		{"deleted folder without slash", `{"key": "deletedFolder", "value": {"path": "a/b"}}`,
			CommitOp{Kind: OpDeletedFolder, Path: "a/b"}},
		{"fields in any order", `{"value": {"path": "x"}, "key": "deletedFile"}`,
			CommitOp{Kind: OpDeletedFile, Path: "x"}},
		{"escaped field names", `{"k\u0065y": "deletedFile", "value": {"p\u0061th": "x"}}`,
			CommitOp{Kind: OpDeletedFile, Path: "x"}},
		{"whitespace", " { \"key\" :\t\"deletedFile\" , \"value\" : { \"path\" : \"x\" } } ",
			CommitOp{Kind: OpDeletedFile, Path: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ops, err := decodeAll(header+tt.line+"\n", 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(ops) != 1 || !reflect.DeepEqual(ops[0], tt.want) {
				t.Fatalf("ops = %#v, want %#v", ops, tt.want)
			}
		})
	}
}

func TestCommitDecoderHeader(t *testing.T) {
	tests := []struct {
		name string
		line string
		want CommitHeader
	}{
		{"python", `{"key": "header", "value": {"summary": "Add x", "description": "long\ntext", "parentCommit": "` + strings.Repeat("a", 40) + `"}}`,
			CommitHeader{Summary: "Add x", Description: "long\ntext", ParentCommit: strings.Repeat("a", 40)}},
		{"abbreviated parent", `{"key":"header","value":{"summary":"s","parentCommit":"ABCDE"}}`,
			CommitHeader{Summary: "s", ParentCommit: "ABCDE"}},
		{"null parent", `{"key":"header","value":{"summary":"s","parentCommit":null,"description":null}}`,
			CommitHeader{Summary: "s"}},
		{"extra fields", `{"key":"header","value":{"summary":"s","hotReload":true,"author":{"name":"x"}}}`,
			CommitHeader{Summary: "s"}},
		{"unicode", `{"key":"header","value":{"summary":"\u00e9t\u00e9 \ud83e\udd17"}}`,
			CommitHeader{Summary: "été 🤗"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, ops, err := decodeAll(tt.line, 0)
			if err != nil {
				t.Fatal(err)
			}
			if h != tt.want || len(ops) != 0 {
				t.Fatalf("header = %#v, ops = %v; want %#v", h, ops, tt.want)
			}
		})
	}
}

func TestCommitDecoderErrors(t *testing.T) {
	const (
		header = `{"key": "header", "value": {"summary": "s"}}` + "\n"
		oid    = `"oid": "` + testOID + `"`
	)
	tests := []struct {
		name string
		body string
		want string // the whole message
	}{
		{"empty body", "", "line 1: the first line must be the header, but the body is empty"},
		{"blank body", "\n\n", "line 1: the first line must be the header, but the body is empty"},
		{"no header", `{"key": "file", "value": {"path": "a", "content": ""}}`,
			`line 1: the first line must be the header, not a line with the key "file"`},
		{"header after blank lines", "\n" + `{"key": "deletedFile", "value": {"path": "a"}}`,
			`line 2: the first line must be the header, not a line with the key "deletedFile"`},
		{"empty summary", `{"key": "header", "value": {"summary": "  \n"}}`,
			"line 1: header: commit summary must not be empty"},
		{"missing summary", `{"key": "header", "value": {"description": "d"}}`,
			"line 1: header: commit summary must not be empty"},
		{"summary not a string", `{"key": "header", "value": {"summary": 1}}`,
			`line 1: header: "summary" must be a string`},
		{"description not a string", `{"key": "header", "value": {"summary": "s", "description": []}}`,
			`line 1: header: "description" must be a string`},
		{"bad parent", `{"key": "header", "value": {"summary": "s", "parentCommit": "main"}}`,
			`line 1: header: invalid parentCommit "main": must be 5 to 40 hexadecimal digits`},
		{"empty parent", `{"key": "header", "value": {"summary": "s", "parentCommit": ""}}`,
			`line 1: header: invalid parentCommit "": must be 5 to 40 hexadecimal digits`},
		{"header value missing", `{"key": "header"}`, `line 1: header: missing "value"`},
		{"header value not object", `{"key": "header", "value": "s"}`, `line 1: header: "value" must be a JSON object`},
		{"second header", header + header, "line 2: a second header is not allowed: only the first line is the header"},
		{"unknown key", header + "\n" + `{"key": "foo", "value": {}}`,
			`line 3: unknown key "foo": add a line with the key "lfsFile", "file", "deletedFile" or "deletedFolder"`},
		{"key case", header + `{"key": "File", "value": {}}`, `line 2: unknown key "File": add a line with the key`},
		{"missing key", header + `{"value": {}}`,
			`line 2: missing "key": add a line with the key "lfsFile", "file", "deletedFile" or "deletedFolder"`},
		{"null key", header + `{"key": null, "value": {}}`, `line 2: missing "key"`},
		{"key not a string", header + `{"key": 1, "value": {}}`, `line 2: "key" must be a string`},
		{"unknown top field", header + `{"key": "deletedFile", "value": {"path": "a"}, "extra": 1}`,
			`line 2: unknown field "extra": a line has only the fields "key" and "value"`},
		{"duplicate key", header + `{"key": "deletedFile", "key": "file", "value": {"path": "a"}}`, `line 2: duplicate field "key"`},
		{"duplicate value", header + `{"key": "deletedFile", "value": {"path": "a"}, "value": {"path": "b"}}`, `line 2: duplicate field "value"`},
		{"duplicate path", header + `{"key": "deletedFile", "value": {"path": "a", "path": "b"}}`, `line 2: deletedFile: duplicate field "path"`},
		{"duplicate null path", header + `{"key": "deletedFile", "value": {"path": null, "path": "b"}}`, `line 2: deletedFile: duplicate field "path"`},
		{"not JSON", header + "hello", "line 2: invalid JSON at byte 1: invalid character 'h' looking for beginning of value"},
		{"truncated JSON", header + `{"key": "file"`, "line 2: invalid JSON"},
		{"two objects", header + `{"key": "deletedFile", "value": {"path": "a"}} {}`, "line 2: invalid JSON at byte"},
		{"array", header + `[1, 2]`, `line 2: must be a JSON object {"key": ..., "value": {...}}`},
		{"string", header + `"file"`, `line 2: must be a JSON object`},
		{"invalid UTF-8", header + "{\"key\": \"deletedFile\", \"value\": {\"path\": \"a\xff\"}}", "line 2: invalid JSON: not valid UTF-8"},
		{"value missing", header + `{"key": "file"}`, `line 2: file: missing "value"`},
		{"value null", header + `{"key": "file", "value": null}`, `line 2: file: missing "value"`},
		{"value array", header + `{"key": "file", "value": []}`, `line 2: file: "value" must be a JSON object`},

		{"missing path", header + `{"key": "file", "value": {"content": ""}}`, `line 2: file: missing "path"`},
		{"null path", header + `{"key": "deletedFile", "value": {"path": null}}`, `line 2: deletedFile: missing "path"`},
		{"path not a string", header + `{"key": "lfsFile", "value": {"path": 1}}`, `line 2: lfsFile: "path" must be a string`},
		{"traversal", header + `{"key": "file", "value": {"path": "..\\ddd", "content": ""}}`,
			`line 2: file: invalid path "..\\ddd": must not contain a backslash`},
		{"dotdot", header + `{"key": "deletedFile", "value": {"path": "a/../b"}}`,
			`line 2: deletedFile: invalid path "a/../b": must not contain a "." or ".." segment`},
		{"git", header + `{"key": "lfsFile", "value": {"path": ".git/config", ` + oid + `}}`,
			`line 2: lfsFile: invalid path ".git/config": must not contain a ".git" segment`},
		{"NUL escape", header + `{"key": "file", "value": {"path": "a\u0000b", "content": ""}}`,
			`line 2: file: invalid path "a\x00b": must not contain control characters`},
		{"leading slash", header + `{"key": "deletedFile", "value": {"path": "/a"}}`,
			`line 2: deletedFile: invalid path "/a": must not start with "/"`},
		{"file with trailing slash", header + `{"key": "deletedFile", "value": {"path": "a/"}}`,
			`line 2: deletedFile: invalid path "a/": must not end with "/"`},
		{"delete root slash", header + `{"key": "deletedFolder", "value": {"path": "/"}}`,
			"line 2: deletedFolder: cannot delete the root folder"},
		{"delete root empty", header + `{"key": "deletedFolder", "value": {"path": ""}}`,
			"line 2: deletedFolder: cannot delete the root folder"},
		{"delete root dot", header + `{"key": "deletedFolder", "value": {"path": "."}}`,
			"line 2: deletedFolder: cannot delete the root folder"},
		{"bad folder", header + `{"key": "deletedFolder", "value": {"path": "../"}}`,
			`line 2: deletedFolder: invalid folder path "../": must not contain a "." or ".." segment`},
		{"bad oldPath", header + `{"key": "file", "value": {"path": "a", "content": "", "oldPath": "../a"}}`,
			`line 2: file "a": oldPath: invalid path "../a": must not contain a "." or ".." segment`},
		{"oldPath not a string", header + `{"key": "lfsFile", "value": {"path": "a", ` + oid + `, "oldPath": 1}}`,
			`line 2: lfsFile "a": "oldPath" must be a string`},

		{"missing content", header + `{"key": "file", "value": {"path": "a"}}`, `line 2: file "a": missing "content"`},
		{"null content", header + `{"key": "file", "value": {"path": "a", "content": null}}`, `line 2: file "a": missing "content"`},
		{"content not a string", header + `{"key": "file", "value": {"path": "a", "content": 12}}`, `line 2: file "a": "content" must be a string`},
		{"content array", header + `{"key": "file", "value": {"path": "a", "content": ["aGk="]}}`, `line 2: file "a": "content" must be a string`},
		{"bad base64", header + `{"key": "file", "value": {"path": "docs/a.txt", "content": "aGVs*G8=", "encoding": "base64"}}`,
			`line 2: file "docs/a.txt": content is not valid base64: illegal base64 data at input byte 4`},
		{"url-safe base64", header + `{"key": "file", "value": {"path": "a", "content": "__8="}}`,
			`line 2: file "a": content is not valid base64`},
		{"bad padding", header + `{"key": "file", "value": {"path": "a", "content": "aGk=="}}`,
			`line 2: file "a": content is not valid base64`},
		{"unknown encoding", header + `{"key": "file", "value": {"path": "a", "content": "", "encoding": "hex"}}`,
			`line 2: file "a": unknown encoding "hex": must be "base64" or "utf-8"`},
		{"encoding not a string", header + `{"key": "file", "value": {"path": "a", "content": "", "encoding": true}}`,
			`line 2: file "a": "encoding" must be a string`},

		{"missing oid", header + `{"key": "lfsFile", "value": {"path": "a", "size": 1}}`, `line 2: lfsFile "a": missing "oid"`},
		{"oid not a string", header + `{"key": "lfsFile", "value": {"path": "a", "oid": 1}}`, `line 2: lfsFile "a": "oid" must be a string`},
		{"bad oid", header + `{"key": "lfsFile", "value": {"path": "a", "oid": "abc"}}`,
			`line 2: lfsFile "a": invalid oid "abc": must be 64 hexadecimal digits (sha256)`},
		{"bad algo", header + `{"key": "lfsFile", "value": {"path": "a", "algo": "sha1", ` + oid + `}}`,
			`line 2: lfsFile "a": unsupported algo "sha1": must be "sha256"`},
		{"algo not a string", header + `{"key": "lfsFile", "value": {"path": "a", "algo": 256, ` + oid + `}}`,
			`line 2: lfsFile "a": "algo" must be a string`},
		{"negative size", header + `{"key": "lfsFile", "value": {"path": "a", ` + oid + `, "size": -1}}`,
			`line 2: lfsFile "a": "size" must be a non-negative integer, not -1`},
		{"float size", header + `{"key": "lfsFile", "value": {"path": "a", ` + oid + `, "size": 1.5}}`,
			`line 2: lfsFile "a": "size" must be a non-negative integer, not 1.5`},
		{"exponent size", header + `{"key": "lfsFile", "value": {"path": "a", ` + oid + `, "size": 1e3}}`,
			`line 2: lfsFile "a": "size" must be a non-negative integer, not 1e3`},
		{"string size", header + `{"key": "lfsFile", "value": {"path": "a", ` + oid + `, "size": "1"}}`,
			`line 2: lfsFile "a": "size" must be a non-negative integer, not "1"`},
		{"huge size", header + `{"key": "lfsFile", "value": {"path": "a", ` + oid + `, "size": 99999999999999999999}}`,
			`line 2: lfsFile "a": "size" must be a non-negative integer, not 99999999999999999999`},
		{"error after good lines", header + `{"key": "deletedFile", "value": {"path": "a"}}` + "\r\n\r\n" + `{"key": "deletedFile", "value": {"path": ""}}`,
			`line 4: deletedFile: invalid path "": must not be empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := decodeAll(tt.body, 0)
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !errors.Is(err, ErrInvalid) || errors.Is(err, ErrTooLarge) {
				t.Errorf("error %q does not match ErrInvalid only", err)
			}
			var lerr *LineError
			if !errors.As(err, &lerr) || !strings.HasPrefix(err.Error(), "line ") {
				t.Errorf("error %q is not a *LineError", err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error\n%q\nwant\n%q", err, tt.want)
			}
		})
	}
}

func TestCommitDecoderErrorIsSticky(t *testing.T) {
	body := `{"key":"header","value":{"summary":"s"}}` + "\n" +
		`{"key":"deletedFile","value":{"path":"/a"}}` + "\n" +
		`{"key":"deletedFile","value":{"path":"b"}}` + "\n"
	d := NewCommitDecoder(strings.NewReader(body), 0)
	_, err1 := d.Next()
	_, err2 := d.Next()
	if err1 == nil || err1 != err2 {
		t.Fatalf("errors %v, %v: want the same error twice", err1, err2)
	}
	d = NewCommitDecoder(strings.NewReader(`{"key":"header","value":{"summary":"s"}}`), 0)
	for range 3 {
		if _, err := d.Next(); err != io.EOF {
			t.Fatalf("Next() = %v, want io.EOF", err)
		}
	}
	d = NewCommitDecoder(strings.NewReader(`{"key":"file"}`), 0)
	_, err1 = d.Header()
	_, err2 = d.Next()
	if err1 == nil || err1 != err2 {
		t.Fatalf("errors %v, %v: want the header error twice", err1, err2)
	}
}

func TestCommitDecoderMaxLine(t *testing.T) {
	const header = `{"key":"header","value":{"summary":"s"}}` // 40 bytes
	line := `{"key":"deletedFile","value":{"path":"abcdef"}}` // 47 bytes
	if len(header) != 40 || len(line) != 47 {
		t.Fatal("fix the test")
	}
	tests := []struct {
		name    string
		body    string
		maxLine int
		wantErr string
	}{
		{"fits", header + "\n" + line + "\n", 47, ""},
		{"fits CRLF", header + "\r\n" + line + "\r\n", 47, ""},
		{"fits without end", header + "\n" + line, 47, ""},
		{"too long", header + "\n" + line + "\n", 46, "line 2 is longer than 46 bytes"},
		{"too long CRLF", header + "\r\n" + line + "\r\n", 46, "line 2 is longer than 46 bytes"},
		{"too long without end", header + "\n" + line, 46, "line 2 is longer than 46 bytes"},
		{"header too long", header + "\n", 39, "line 1 is longer than 39 bytes"},
		{"long line after blank", header + "\n\n" + line + "\n", 46, "line 3 is longer than 46 bytes"},
		{"huge line", header + "\n" + strings.Repeat(" ", 1<<20), 100, "line 2 is longer than 100 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, r := range map[string]io.Reader{
				"whole":    strings.NewReader(tt.body),
				"one byte": iotest.OneByteReader(strings.NewReader(tt.body)),
			} {
				_, ops, err := decodeReader(r, tt.maxLine)
				if tt.wantErr == "" {
					if err != nil || len(ops) != 1 {
						t.Fatalf("%s: %v, %v", name, ops, err)
					}
					continue
				}
				if err == nil || err.Error() != tt.wantErr || !errors.Is(err, ErrTooLarge) || errors.Is(err, ErrInvalid) {
					t.Fatalf("%s: error %v, want %q matching ErrTooLarge", name, err, tt.wantErr)
				}
			}
		})
	}
}

func TestCommitDecoderLargeContent(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	var body bytes.Buffer
	body.WriteString(`{"key":"header","value":{"summary":"s"}}` + "\n")
	for i := range 3 {
		body.WriteString(`{"key":"file","value":{"path":"f` + string(rune('0'+i)) + `","content":"`)
		body.WriteString(base64.StdEncoding.EncodeToString(content))
		body.WriteString(`","encoding":"base64"}}` + "\n")
	}
	_, ops, err := decodeAll(body.String(), 2<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 3 {
		t.Fatalf("got %d ops", len(ops))
	}
	for _, op := range ops {
		if !bytes.Equal(op.Content, content) {
			t.Fatalf("%s: content differs", op.Path)
		}
	}
}

func TestCommitDecoderReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader(`{"key":"header","value":{"summary":"s"}}`+"\n{"), iotest.ErrReader(boom))
	d := NewCommitDecoder(r, 0)
	if _, err := d.Header(); err != nil {
		t.Fatal(err)
	}
	_, err := d.Next()
	if !errors.Is(err, boom) || errors.Is(err, ErrInvalid) || err.Error() != "line 2: boom" {
		t.Fatalf("Next() = %v, want the read error", err)
	}
}

func TestOpKindString(t *testing.T) {
	for k, want := range map[OpKind]string{OpFile: "file", OpLFSFile: "lfsFile", OpDeletedFile: "deletedFile", OpDeletedFolder: "deletedFolder", 0: "OpKind(0)"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(k), k.String(), want)
		}
	}
}

func BenchmarkCommitDecoderBase64(b *testing.B) {
	content := bytes.Repeat([]byte("0123456789abcdef"), 1<<19) // 8 MiB
	body := []byte(`{"key": "header", "value": {"summary": "s"}}` + "\n" +
		`{"key": "file", "value": {"content": "` + base64.StdEncoding.EncodeToString(content) +
		`", "path": "big.bin", "encoding": "base64"}}` + "\n")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		d := NewCommitDecoder(bytes.NewReader(body), 0)
		op, err := d.Next()
		if err != nil || len(op.Content) != len(content) {
			b.Fatal(err)
		}
	}
}
