package hub

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The local state of UploadLargeFolder lives in <folder>/.cache/huggingface,
// in the format of huggingface_hub's upload_large_folder (_local_folder.py),
// so that either tool can finish an upload the other started.

// cacheDirTag marks .cache/huggingface for backup tools
// (https://bford.info/cachedir/), with huggingface_hub's text.
const cacheDirTag = "Signature: 8a477f597d28d172789f06886806bc55\n" +
	"# This file is a cache directory tag created by huggingface_hub.\n" +
	"# For information about cache directory tags, see:\n" +
	"#\thttps://bford.info/cachedir/\n"

// uploadedTTL is how long LFS content uploaded but not committed is assumed
// to stay on the Hub (huggingface_hub: storage is garbage-collected after
// about a day, so it re-uploads after 20 hours).
const uploadedTTL = 20 * time.Hour

// largeMeta is what is known about one file of a large upload.
type largeMeta struct {
	timestamp float64 // Unix time of the last save; 0: never saved
	size      int64
	ignore    int8   // -1 unknown, 0 uploaded, 1 ignored by the Hub's .gitignore
	sha256    string // "" until hashed
	mode      string // "", "regular" or "lfs"
	remoteOID string // what the Hub has at the path (git blob id or sha256), "" if nothing or unknown
	uploaded  bool   // LFS content is on the Hub
	committed bool
}

func freshMeta(size int64) largeMeta { return largeMeta{size: size, ignore: -1} }

// encode writes the 8-line format of huggingface_hub 1.x.
func (m *largeMeta) encode() []byte {
	var b strings.Builder
	b.WriteString(strconv.FormatFloat(m.timestamp, 'f', -1, 64) + "\n")
	b.WriteString(strconv.FormatInt(m.size, 10) + "\n")
	if m.ignore >= 0 {
		b.WriteString(strconv.Itoa(int(m.ignore)))
	}
	b.WriteString("\n" + m.sha256 + "\n" + m.mode + "\n" + m.remoteOID + "\n")
	b.WriteString(boolDigit(m.uploaded) + "\n" + boolDigit(m.committed) + "\n")
	return []byte(b.String())
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// parseLargeMeta reads the 8-line format of huggingface_hub 1.x and the
// 7-line format of 0.2x (no remote oid line).
func parseLargeMeta(data []byte) (largeMeta, error) {
	lines := strings.Split(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) < 7 {
		return largeMeta{}, fmt.Errorf("%d lines, want 7 or 8", len(lines))
	}
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	var m largeMeta
	var err error
	if m.timestamp, err = strconv.ParseFloat(lines[0], 64); err != nil {
		return m, fmt.Errorf("timestamp: %w", err)
	}
	if m.size, err = strconv.ParseInt(lines[1], 10, 64); err != nil || m.size < 0 {
		return m, fmt.Errorf("size %q", lines[1])
	}
	m.ignore = -1
	if lines[2] != "" {
		v, err := strconv.Atoi(lines[2])
		if err != nil {
			return m, fmt.Errorf("should_ignore %q", lines[2])
		}
		m.ignore = 0
		if v != 0 {
			m.ignore = 1
		}
	}
	m.sha256 = lines[3]
	if m.sha256 != "" && (len(m.sha256) != 64 || strings.Trim(m.sha256, "0123456789abcdef") != "") {
		return m, fmt.Errorf("sha256 %q", m.sha256)
	}
	m.mode = lines[4]
	if m.mode != "" && m.mode != "regular" && m.mode != "lfs" {
		return m, fmt.Errorf("invalid upload mode %q", m.mode)
	}
	i := 5
	if len(lines) >= 8 {
		m.remoteOID = lines[5]
		i = 6
	}
	flags := [2]bool{}
	for k := range flags {
		v, err := strconv.Atoi(lines[i+k])
		if err != nil {
			return m, fmt.Errorf("flag %q", lines[i+k])
		}
		flags[k] = v != 0
	}
	m.uploaded, m.committed = flags[0], flags[1]
	return m, nil
}

// largeState reads and writes the metadata files of a folder.
type largeState struct {
	folder string
	dirs   sync.Map // metadata folders known to exist
}

func (s *largeState) root() string { return filepath.Join(s.folder, ".cache", "huggingface") }

func (s *largeState) metaPath(rel string) string {
	return filepath.Join(s.root(), "upload", filepath.FromSlash(rel)+".metadata")
}

// init creates .cache/huggingface with its .gitignore and CACHEDIR.TAG.
func (s *largeState) init() error {
	root := s.root()
	if err := os.MkdirAll(filepath.Join(root, "upload"), 0o755); err != nil {
		return err
	}
	for name, content := range map[string]string{".gitignore": "*", "CACHEDIR.TAG": cacheDirTag} {
		p := filepath.Join(root, name)
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			if err := writeAtomic(p, []byte(content)); err != nil {
				return err
			}
		}
	}
	return nil
}

// read returns the saved state of a file whose current stat is fi, or a
// fresh state when there is none or it is outdated: the file changed after
// the last save (mtime later than the save, or another size). Unreadable
// metadata is deleted unless readOnly.
func (s *largeState) read(rel string, fi fs.FileInfo, readOnly bool) largeMeta {
	p := s.metaPath(rel)
	data, err := os.ReadFile(p)
	if err != nil {
		return freshMeta(fi.Size())
	}
	m, err := parseLargeMeta(data)
	if err != nil {
		if !readOnly {
			os.Remove(p)
		}
		return freshMeta(fi.Size())
	}
	if m.uploaded && !m.committed && unixFloat(time.Now())-m.timestamp > uploadedTTL.Seconds() {
		m.uploaded = false // the Hub has dropped the uncommitted content by now
	}
	if m.changed(fi) {
		return freshMeta(fi.Size())
	}
	return m
}

// changed reports whether the file was modified after m was saved.
func (m *largeMeta) changed(fi fs.FileInfo) bool {
	return m.timestamp == 0 || unixFloat(fi.ModTime()) > m.timestamp || fi.Size() != m.size
}

// unixFloat is a time as Python's time.time() and st_mtime give it.
func unixFloat(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// save stamps m with the current time and writes it atomically: a run
// killed at any moment leaves the old state or the new one.
func (s *largeState) save(rel string, m *largeMeta) error {
	m.timestamp = unixFloat(time.Now())
	p := s.metaPath(rel)
	dir := filepath.Dir(p)
	if _, ok := s.dirs.Load(dir); !ok {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		s.dirs.Store(dir, true)
	}
	return writeAtomic(p, m.encode())
}

// writeAtomic writes data to a unique temporary file next to p, then
// renames it to p.
func writeAtomic(p string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".*.tmp")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
