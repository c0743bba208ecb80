package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzCommitDecoder(f *testing.F) {
	for _, name := range []string{"commit_python.ndjson", "commit_js.ndjson"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint16(0))
	}
	f.Add([]byte("{\"key\":\"header\",\"value\":{\"summary\":\"s\"}}\r\n{\"key\":\"deletedFolder\",\"value\":{\"path\":\"a/\"}}"), uint16(40))
	f.Add([]byte(`{"key":"header","value":{"summary":"s","parentCommit":"abcde"}}`+"\n"+
		`{"key":"file","value":{"path":"a\u00e9","content":"a\u0041==","oldPath":"b"}}`), uint16(0))
	f.Add([]byte(`{"key":"header","value":{"summary":"s"}}`+"\n"+
		`{"key":"lfsFile","value":{"path":"x","oid":"`+testOID+`","size":1,"extra":[{"}":"]"}]}}`), uint16(0))
	f.Add([]byte(`{"key":"header","value":{"summary":"s"}}`+"\n"+`{"key":"file","value":{"path":"..\\ddd","content":""}}`), uint16(0))
	f.Fuzz(func(t *testing.T, body []byte, maxLine uint16) {
		d := NewCommitDecoder(bytes.NewReader(body), int(maxLine))
		checkErr := func(err error) {
			t.Helper()
			var lerr *LineError
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLarge) || !errors.As(err, &lerr) || lerr.Line < 1 {
				t.Fatalf("error %q (%T) matches neither ErrInvalid nor ErrTooLarge or has no line", err, err)
			}
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error %q does not start with the line", err)
			}
		}
		h, err := d.Header()
		if err != nil {
			checkErr(err)
			if _, err2 := d.Next(); err2 != err {
				t.Fatalf("Next after a header error = %v, want %v", err2, err)
			}
			return
		}
		if strings.TrimSpace(h.Summary) == "" || h.ParentCommit != "" && !IsAbbrevCommitID(h.ParentCommit) {
			t.Fatalf("bad header %#v", h)
		}
		for range len(body) + 1 {
			op, err := d.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				checkErr(err)
				return
			}
			if _, err := CleanPath(op.Path); err != nil {
				t.Fatalf("op %#v: %v", op, err)
			}
			if op.OldPath != "" {
				if _, err := CleanPath(op.OldPath); err != nil {
					t.Fatalf("op %#v: %v", op, err)
				}
			}
			switch op.Kind {
			case OpFile:
				if op.Size != int64(len(op.Content)) || op.OID != "" {
					t.Fatalf("op %#v", op)
				}
			case OpLFSFile:
				if oid, err := ParseOID(string(op.OID)); err != nil || oid != op.OID || op.Size < -1 || op.Content != nil {
					t.Fatalf("op %#v", op)
				}
			case OpDeletedFile, OpDeletedFolder:
				if op.Size != 0 || op.OID != "" || op.Content != nil || op.OldPath != "" {
					t.Fatalf("op %#v", op)
				}
			default:
				t.Fatalf("op %#v: bad kind", op)
			}
		}
		t.Fatal("Next did not end")
	})
}

// FuzzEachField checks the object scanner of the commit decoder against
// encoding/json.
func FuzzEachField(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { "a" : 1 , "b" : [ "]" , { "c" : "}" } ] } `, `{"a\"b": "x\\", "c": null, "d": true, "e": -1.5e3}`,
		`{"a": 1, "a": 2}`, `{"\u0061": {"x": [[], {}]}}`, `[1]`, `"s"`, `{"a": "\ud83e\udd17"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte(s)
		if !json.Valid(b) || !utf8.Valid(b) {
			return
		}
		got := map[string]json.RawMessage{}
		ok := eachField(b, func(name, value []byte) bool {
			if !json.Valid(value) {
				t.Fatalf("field %q: invalid value %q", name, value)
			}
			got[string(name)] = json.RawMessage(value)
			return true
		})
		var want map[string]json.RawMessage
		err := json.Unmarshal(b, &want)
		if ok != (err == nil && want != nil) {
			t.Fatalf("eachField(%q) ok=%v, json.Unmarshal: %v", s, ok, err)
		}
		if ok && !reflect.DeepEqual(got, want) {
			t.Fatalf("eachField(%q) = %q, want %q", s, got, want)
		}
		for _, v := range want {
			if v[0] != '"' {
				continue
			}
			str, present, ok := stringValue(v)
			var ws string
			if !present || !ok || json.Unmarshal(v, &ws) != nil || str != ws {
				t.Fatalf("stringValue(%q) = %q, want %q", v, str, ws)
			}
		}
	})
}
