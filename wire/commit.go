package wire

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultMaxLine is the default limit on the length of one line of a commit
// body. A base64 file line of 64 MiB carries 48 MiB of content.
const DefaultMaxLine = 64 << 20

// CommitHeader is the first line of a commit body:
//
//	{"key": "header", "value": {"summary": "...", "description": "", "parentCommit": "3f1c..."}}
type CommitHeader struct {
	Summary     string // the commit title; never empty
	Description string // optional
	// ParentCommit is the full or abbreviated commit id the client based
	// its changes on, or "" when the client did not send one.
	ParentCommit string
}

// OpKind is the kind of a commit operation, given by the line's "key".
type OpKind int

// Commit operation kinds.
const (
	OpFile          OpKind = iota + 1 // "file": add or replace a regular file
	OpLFSFile                         // "lfsFile": add or replace a file stored in LFS
	OpDeletedFile                     // "deletedFile": delete a file
	OpDeletedFolder                   // "deletedFolder": delete a folder and everything in it
)

// String returns the key of the commit line: "file", "lfsFile",
// "deletedFile" or "deletedFolder".
func (k OpKind) String() string {
	switch k {
	case OpFile:
		return "file"
	case OpLFSFile:
		return "lfsFile"
	case OpDeletedFile:
		return "deletedFile"
	case OpDeletedFolder:
		return "deletedFolder"
	}
	return "OpKind(" + strconv.Itoa(int(k)) + ")"
}

// CommitOp is one operation of a commit.
type CommitOp struct {
	Kind OpKind
	// Path is the file or folder the operation applies to. It passes
	// [CleanPath]; for OpDeletedFolder it has no trailing "/" and is never
	// the root.
	Path    string
	Content []byte // OpFile: the decoded content
	OID     OID    // OpLFSFile: the sha256 of the content
	// Size is the size of the content: len(Content) for OpFile; for
	// OpLFSFile the "size" of the line, or -1 when the line has none because
	// the client copies an LFS file by reference (PROTOCOL.md §5.6). It is 0
	// for deletions.
	Size int64
	// OldPath is the optional "oldPath" of an OpFile or OpLFSFile: the file
	// is renamed from there. It passes [CleanPath] when set.
	OldPath string
}

// LineError is an error in a commit body. It matches [ErrInvalid] or
// [ErrTooLarge] with errors.Is, or is an error of the underlying reader.
type LineError struct {
	Line int   // 1-based
	Err  error // what is wrong with the line
	msg  string
}

func (e *LineError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// A CommitDecoder reads the NDJSON body of a commit request (PROTOCOL.md
// §5.5) one line at a time, so that memory use is bounded by the longest
// line. Lines end in "\n" or "\r\n"; the last one may have no end, as the
// JavaScript client sends it. Blank lines are skipped.
//
// The first line is the header, then each line is an operation. A line is
// an object with exactly the fields "key" and "value"; fields of the value
// that are not part of the protocol are ignored, but a field of the wrong
// JSON type is an error. A null field counts as absent.
//
// A CommitDecoder is not safe for concurrent use.
type CommitDecoder struct {
	r       *bufio.Reader
	maxLine int
	line    int    // number of the last line read
	buf     []byte // holds a line that is longer than r's buffer

	headerRead bool
	header     CommitHeader
	headerErr  error
	err        error // sticky: returned by every later call
}

// readBufferSize is the size of the read buffer; longer lines are copied to
// a buffer of their own.
const readBufferSize = 64 << 10

// keepBufferSize is the largest line buffer kept for the next line.
const keepBufferSize = 1 << 20

// NewCommitDecoder returns a decoder that reads a commit body from r.
// maxLine is the limit in bytes on each line without its end; a longer line
// is an error that matches [ErrTooLarge]. maxLine <= 0 means
// [DefaultMaxLine].
func NewCommitDecoder(r io.Reader, maxLine int) *CommitDecoder {
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	size := readBufferSize
	if maxLine < size-2 {
		size = max(maxLine+2, 16)
	}
	return &CommitDecoder{r: bufio.NewReaderSize(r, size), maxLine: maxLine}
}

// Header reads and returns the header line. Later calls return the same
// result. [CommitDecoder.Next] reads the header if Header has not been
// called.
func (d *CommitDecoder) Header() (CommitHeader, error) {
	if d.headerRead {
		return d.header, d.headerErr
	}
	d.headerRead = true
	d.header, d.headerErr = d.readHeader()
	d.err = d.headerErr
	d.release()
	return d.header, d.headerErr
}

func (d *CommitDecoder) readHeader() (CommitHeader, error) {
	line, err := d.nextLine()
	if err == io.EOF {
		return CommitHeader{}, &LineError{Line: 1, Err: invalidf("the first line must be the header, but the body is empty")}
	}
	if err != nil {
		return CommitHeader{}, err
	}
	key, raw, err := d.parseLine(line)
	if err != nil {
		return CommitHeader{}, err
	}
	if key != "header" {
		return CommitHeader{}, d.invalid("the first line must be the header, not a line with the key %s", quote(key))
	}
	v, err := d.parseValue(key, raw)
	if err != nil {
		return CommitHeader{}, err
	}
	var h CommitHeader
	for _, f := range []struct {
		name string
		raw  []byte
		dst  *string
	}{
		{"summary", v.summary, &h.Summary},
		{"description", v.description, &h.Description},
		{"parentCommit", v.parentCommit, &h.ParentCommit},
	} {
		s, present, ok := stringValue(f.raw)
		if !ok {
			return CommitHeader{}, d.invalid("header: %s must be a string", strconv.Quote(f.name))
		}
		if f.name == "parentCommit" && present && !IsAbbrevCommitID(s) {
			return CommitHeader{}, d.invalid("header: invalid parentCommit %s: must be 5 to 40 hexadecimal digits", quote(s))
		}
		*f.dst = s
	}
	if strings.TrimSpace(h.Summary) == "" {
		return CommitHeader{}, d.invalid("header: commit summary must not be empty")
	}
	return h, nil
}

// Next reads the next operation. It returns io.EOF after the last one, and
// an error that matches [ErrInvalid] or [ErrTooLarge] (or an error of the
// reader) for a bad line; the message starts with "line N". After an error
// or io.EOF, every call returns the same error.
func (d *CommitDecoder) Next() (CommitOp, error) {
	if _, err := d.Header(); err != nil {
		return CommitOp{}, err
	}
	op, err := d.next()
	if err != nil {
		d.err = err
	}
	d.release()
	return op, err
}

func (d *CommitDecoder) next() (CommitOp, error) {
	line, err := d.nextLine()
	if err != nil {
		return CommitOp{}, err
	}
	key, raw, err := d.parseLine(line)
	if err != nil {
		return CommitOp{}, err
	}
	var kind OpKind
	switch key {
	case "file":
		kind = OpFile
	case "lfsFile":
		kind = OpLFSFile
	case "deletedFile":
		kind = OpDeletedFile
	case "deletedFolder":
		kind = OpDeletedFolder
	case "header":
		return CommitOp{}, d.invalid("a second header is not allowed: only the first line is the header")
	default:
		return CommitOp{}, d.invalid("unknown key %s: add a line with the key \"lfsFile\", \"file\", \"deletedFile\" or \"deletedFolder\"", quote(key))
	}
	v, err := d.parseValue(key, raw)
	if err != nil {
		return CommitOp{}, err
	}
	switch kind {
	case OpFile:
		return d.fileOp(v)
	case OpLFSFile:
		return d.lfsFileOp(v)
	}
	path, _, err := d.paths(kind, v)
	if err != nil {
		return CommitOp{}, err
	}
	return CommitOp{Kind: kind, Path: path}, nil
}

// release drops a large line buffer, so that a decoder does not keep tens
// of MiB alive while its caller handles the content it returned.
func (d *CommitDecoder) release() {
	if cap(d.buf) > keepBufferSize {
		d.buf = nil
	}
}

// invalid returns an ErrInvalid error about the current line.
func (d *CommitDecoder) invalid(format string, args ...any) error {
	return &LineError{Line: d.line, Err: invalidf(format, args...)}
}

// nextLine returns the next line that is not blank, without its end. The
// line is only valid until the next call. It returns io.EOF at the end of
// the body.
func (d *CommitDecoder) nextLine() ([]byte, error) {
	if d.err != nil {
		return nil, d.err
	}
	for {
		line, err := d.readLine()
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimLeft(line, " \t\r")) > 0 {
			return line, nil
		}
	}
}

// readLine returns the next line without its end, or io.EOF.
func (d *CommitDecoder) readLine() ([]byte, error) {
	d.line++
	d.buf = d.buf[:0]
	for {
		chunk, err := d.r.ReadSlice('\n')
		switch err {
		case bufio.ErrBufferFull:
			d.buf = append(d.buf, chunk...)
			// One byte more than maxLine may be the '\r' of "\r\n".
			if len(d.buf) > d.maxLine+1 {
				return nil, d.tooLarge()
			}
			continue
		case nil, io.EOF:
		default:
			return nil, &LineError{Line: d.line, Err: err}
		}
		line := chunk
		if len(d.buf) > 0 {
			d.buf = append(d.buf, chunk...)
			line = d.buf
		}
		if err == io.EOF && len(line) == 0 {
			d.line--
			return nil, io.EOF
		}
		line = bytes.TrimSuffix(line, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) > d.maxLine {
			return nil, d.tooLarge()
		}
		return line, nil
	}
}

func (d *CommitDecoder) tooLarge() error {
	return &LineError{
		Line: d.line,
		Err:  ErrTooLarge,
		msg:  fmt.Sprintf("line %d is longer than %d bytes", d.line, d.maxLine),
	}
}

// parseLine checks that line is a JSON object {"key": K, "value": V} and
// returns K and the JSON text of V, nil if absent.
func (d *CommitDecoder) parseLine(line []byte) (key string, raw []byte, err error) {
	if !json.Valid(line) {
		// Decode again only to get a message that says what is wrong.
		var v struct{}
		err := json.Unmarshal(line, &v)
		var serr *json.SyntaxError
		if errors.As(err, &serr) {
			return "", nil, d.invalid("invalid JSON at byte %d: %v", serr.Offset, err)
		}
		return "", nil, d.invalid("invalid JSON: %v", err)
	}
	if !utf8.Valid(line) {
		return "", nil, d.invalid("invalid JSON: not valid UTF-8")
	}
	var keyRaw []byte
	var unknown string
	ok := eachField(line, func(name, value []byte) bool {
		var dst *[]byte
		switch string(name) {
		case "key":
			dst = &keyRaw
		case "value":
			dst = &raw
		default:
			unknown = string(name)
			return false
		}
		if *dst != nil {
			err = d.invalid("duplicate field %s", quote(string(name)))
			return false
		}
		*dst = value
		return true
	})
	switch {
	case err != nil:
		return "", nil, err
	case unknown != "":
		return "", nil, d.invalid("unknown field %s: a line has only the fields \"key\" and \"value\"", quote(unknown))
	case !ok:
		return "", nil, d.invalid("must be a JSON object {\"key\": ..., \"value\": {...}}")
	}
	key, present, ok := stringValue(keyRaw)
	switch {
	case !present:
		return "", nil, d.invalid("missing \"key\": add a line with the key \"lfsFile\", \"file\", \"deletedFile\" or \"deletedFolder\"")
	case !ok:
		return "", nil, d.invalid("\"key\" must be a string")
	}
	return key, raw, nil
}

// value holds the JSON text of the fields of a line's value that the
// protocol defines. A field that is absent or null is nil.
type value struct {
	summary, description, parentCommit []byte // header
	path, oldPath, content, encoding   []byte // ops
	oid, algo, size                    []byte // lfsFile
}

// parseValue returns the fields of the value of a line with the given key.
// Other fields are ignored, so that clients may add some.
func (d *CommitDecoder) parseValue(key string, raw []byte) (value, error) {
	var v value
	if raw == nil || string(raw) == "null" {
		return v, d.invalid("%s: missing \"value\"", key)
	}
	var err error
	ok := eachField(raw, func(name, fieldRaw []byte) bool {
		dst := v.field(key, string(name))
		if dst == nil {
			return true
		}
		if *dst != nil {
			err = d.invalid("%s: duplicate field %s", key, quote(string(name)))
			return false
		}
		if string(fieldRaw) != "null" {
			*dst = fieldRaw
		} else {
			*dst = fieldRaw[:0] // seen, but absent
		}
		return true
	})
	if err != nil {
		return v, err
	}
	if !ok {
		return v, d.invalid("%s: \"value\" must be a JSON object", key)
	}
	for _, p := range []*[]byte{&v.summary, &v.description, &v.parentCommit, &v.path, &v.oldPath, &v.content, &v.encoding, &v.oid, &v.algo, &v.size} {
		if len(*p) == 0 {
			*p = nil
		}
	}
	return v, nil
}

// field returns where to keep the field name of a line with the given key,
// or nil if the field is not part of the protocol.
func (v *value) field(key, name string) *[]byte {
	if key == "header" {
		switch name {
		case "summary":
			return &v.summary
		case "description":
			return &v.description
		case "parentCommit":
			return &v.parentCommit
		}
		return nil
	}
	switch name {
	case "path":
		return &v.path
	}
	switch {
	case key == "file" && name == "content":
		return &v.content
	case key == "file" && name == "encoding":
		return &v.encoding
	case key == "lfsFile" && name == "oid":
		return &v.oid
	case key == "lfsFile" && name == "algo":
		return &v.algo
	case key == "lfsFile" && name == "size":
		return &v.size
	case (key == "file" || key == "lfsFile") && name == "oldPath":
		return &v.oldPath
	}
	return nil
}

// paths decodes and validates "path" and "oldPath" for kind.
func (d *CommitDecoder) paths(kind OpKind, v value) (path, oldPath string, err error) {
	path, present, ok := stringValue(v.path)
	switch {
	case !present:
		return "", "", d.invalid("%s: missing \"path\"", kind)
	case !ok:
		return "", "", d.invalid("%s: \"path\" must be a string", kind)
	}
	if kind == OpDeletedFolder {
		if path, err = CleanFolder(path); err != nil {
			return "", "", d.invalid("%s: %v", kind, err)
		}
		if path == "" {
			return "", "", d.invalid("%s: cannot delete the root folder", kind)
		}
	} else if _, err = CleanPath(path); err != nil {
		return "", "", d.invalid("%s: %v", kind, err)
	}
	oldPath, present, ok = stringValue(v.oldPath)
	switch {
	case !present:
		return path, "", nil
	case !ok:
		return "", "", d.invalid("%s %s: \"oldPath\" must be a string", kind, quote(path))
	}
	if _, err = CleanPath(oldPath); err != nil {
		return "", "", d.invalid("%s %s: oldPath: %v", kind, quote(path), err)
	}
	return path, oldPath, nil
}

func (d *CommitDecoder) fileOp(v value) (CommitOp, error) {
	path, oldPath, err := d.paths(OpFile, v)
	if err != nil {
		return CommitOp{}, err
	}
	encoding, _, ok := stringValue(v.encoding)
	if !ok {
		return CommitOp{}, d.invalid("file %s: \"encoding\" must be a string", quote(path))
	}
	var utf8Content bool
	switch {
	case encoding == "" || strings.EqualFold(encoding, "base64"):
	case strings.EqualFold(encoding, "utf-8") || strings.EqualFold(encoding, "utf8"):
		utf8Content = true
	default:
		return CommitOp{}, d.invalid("file %s: unknown encoding %s: must be \"base64\" or \"utf-8\"", quote(path), quote(encoding))
	}
	switch {
	case v.content == nil:
		return CommitOp{}, d.invalid("file %s: missing \"content\"", quote(path))
	case !isString(v.content):
		return CommitOp{}, d.invalid("file %s: \"content\" must be a string", quote(path))
	}
	var content []byte
	if utf8Content {
		content = decodeString(v.content)
	} else if content, err = decodeBase64(v.content); err != nil {
		return CommitOp{}, d.invalid("file %s: content is not valid base64: %v", quote(path), err)
	}
	return CommitOp{Kind: OpFile, Path: path, Content: content, Size: int64(len(content)), OldPath: oldPath}, nil
}

func (d *CommitDecoder) lfsFileOp(v value) (CommitOp, error) {
	path, oldPath, err := d.paths(OpLFSFile, v)
	if err != nil {
		return CommitOp{}, err
	}
	algo, present, ok := stringValue(v.algo)
	switch {
	case !ok:
		return CommitOp{}, d.invalid("lfsFile %s: \"algo\" must be a string", quote(path))
	case present && algo != "sha256":
		return CommitOp{}, d.invalid("lfsFile %s: unsupported algo %s: must be \"sha256\"", quote(path), quote(algo))
	}
	s, present, ok := stringValue(v.oid)
	switch {
	case !present:
		return CommitOp{}, d.invalid("lfsFile %s: missing \"oid\"", quote(path))
	case !ok:
		return CommitOp{}, d.invalid("lfsFile %s: \"oid\" must be a string", quote(path))
	}
	oid, err := ParseOID(s)
	if err != nil {
		return CommitOp{}, d.invalid("lfsFile %s: %v", quote(path), err)
	}
	size := int64(-1)
	if v.size != nil {
		var err error = errNotInteger
		if isDigits(v.size) {
			size, err = strconv.ParseInt(string(v.size), 10, 64)
		}
		if err != nil {
			return CommitOp{}, d.invalid("lfsFile %s: \"size\" must be a non-negative integer, not %s", quote(path), truncate(v.size))
		}
	}
	return CommitOp{Kind: OpLFSFile, Path: path, OID: oid, Size: size, OldPath: oldPath}, nil
}

var errNotInteger = errors.New("not an integer")

// truncate returns raw JSON text for an error message.
func truncate(raw []byte) string {
	if len(raw) > 32 {
		return string(raw[:32]) + "..."
	}
	return string(raw)
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// decodeBase64 decodes the base64 content of a JSON string. Padding is
// optional, as in the Node.js Buffer decoder.
func decodeBase64(raw []byte) ([]byte, error) {
	src := raw[1 : len(raw)-1]
	if bytes.IndexByte(src, '\\') >= 0 {
		// Rare: a JSON encoder that writes "/" as "\/".
		src = decodeString(raw)
	}
	enc := base64.StdEncoding
	if len(src)%4 != 0 && bytes.IndexByte(src, '=') < 0 {
		enc = base64.RawStdEncoding
	}
	dst := make([]byte, enc.DecodedLen(len(src)))
	n, err := enc.Decode(dst, src)
	if err != nil {
		return nil, err
	}
	return dst[:n], nil
}
