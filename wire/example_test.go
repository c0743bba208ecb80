package wire_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/wharfhub/wharf/wire"
)

func ExampleCommitDecoder() {
	body := `{"key": "header", "value": {"summary": "Upload folder", "description": ""}}
{"key": "deletedFolder", "value": {"path": "logs/"}}
{"key": "file", "value": {"content": "aGVsbG8K", "path": "docs/readme.txt", "encoding": "base64"}}
{"key": "lfsFile", "value": {"path": "model.bin", "algo": "sha256", "oid": "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"}}
{"key": "file", "value": {"content": "", "path": "../etc/passwd"}}`

	d := wire.NewCommitDecoder(strings.NewReader(body), 0)
	h, err := d.Header()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("summary: %s\n", h.Summary)
	for {
		op, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err, errors.Is(err, wire.ErrInvalid))
			break
		}
		fmt.Printf("%s %s %q %d\n", op.Kind, op.Path, op.Content, op.Size)
	}
	// Output:
	// summary: Upload folder
	// deletedFolder logs "" 0
	// file docs/readme.txt "hello\n" 6
	// lfsFile model.bin "" -1
	// line 5: file: invalid path "../etc/passwd": must not contain a "." or ".." segment true
}

func ExampleCleanPath() {
	for _, p := range []string{"données/é.txt", `..\ddd`, "a/.GIT/config"} {
		fmt.Println(wire.CleanPath(p))
	}
	// Output:
	// données/é.txt <nil>
	//  invalid path "..\\ddd": must not contain a backslash
	//  invalid path "a/.GIT/config": must not contain a ".git" segment
}
