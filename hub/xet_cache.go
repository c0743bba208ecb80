package hub

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/wharfhub/wharf/xet/shard"
)

// xetCacheMaxBytes bounds the disk cache of a client's XetCacheDir; the
// oldest shards go first.
const xetCacheMaxBytes = 1 << 30

// xetCache is the disk cache of one CAS URL: the shards this client
// uploaded (their CAS blocks list the xorbs it created, with raw chunk
// hashes) in shards/, and the global dedup answers of the CAS (chunk
// hashes keyed, valid until the key's expiry) in dedup/. Both let a later
// upload, even from another process, reference chunks the CAS holds
// without asking. Files are written under a temp name and renamed, so
// concurrent processes see whole shards or none.
type xetCache struct {
	root string // the client's XetCacheDir
	dir  string // root/<CAS URL, sanitized>
}

// xetCacheFor returns the cache of a CAS URL, or nil if the client has no
// cache directory.
func (c *Client) xetCacheFor(casURL string) *xetCache {
	if c.opts.XetCacheDir == "" {
		return nil
	}
	return &xetCache{root: c.opts.XetCacheDir, dir: filepath.Join(c.opts.XetCacheDir, cacheName(casURL))}
}

// cacheName turns a URL into a directory name: the URL with every byte
// but letters, digits, '.' and '-' replaced by '_' (at most 100 bytes),
// then 8 hex digits of its sha256 so that different URLs never share one.
func cacheName(u string) string {
	var b strings.Builder
	for i := 0; i < len(u) && b.Len() < 100; i++ {
		ch := u[i]
		switch {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9', ch == '.', ch == '-':
			b.WriteByte(ch)
		default:
			b.WriteByte('_')
		}
	}
	sum := sha256.Sum256([]byte(u))
	return b.String() + "-" + hex.EncodeToString(sum[:4])
}

// each calls fn with every cached shard, newest first, one at a time (so
// that memory does not grow with the cache), dropping expired dedup
// answers and files that do not parse. keyed is set for dedup answers,
// whose chunk hashes are keyed with sh.Footer.HMACKey. Errors reading the
// cache are ignored: it only saves uploads.
func (xc *xetCache) each(now time.Time, fn func(sh *shard.Shard, keyed bool)) {
	type entry struct {
		path  string
		keyed bool
		mod   time.Time
	}
	var entries []entry
	for _, sub := range []string{"shards", "dedup"} {
		des, _ := os.ReadDir(filepath.Join(xc.dir, sub))
		for _, de := range des {
			if !strings.HasSuffix(de.Name(), ".mdb") {
				continue
			}
			fi, err := de.Info()
			if err != nil {
				continue
			}
			entries = append(entries, entry{filepath.Join(xc.dir, sub, de.Name()), sub == "dedup", fi.ModTime()})
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return b.mod.Compare(a.mod) })
	for _, e := range entries {
		data, err := os.ReadFile(e.path)
		if err != nil {
			continue
		}
		sh, err := shard.Parse(data)
		if err != nil {
			os.Remove(e.path)
			continue
		}
		if e.keyed {
			if sh.Footer == nil || sh.Footer.KeyExpiry == 0 || int64(sh.Footer.KeyExpiry) <= now.Unix() {
				os.Remove(e.path)
				continue
			}
		}
		fn(sh, e.keyed)
	}
}

// saveUpload keeps the body of a shard this client uploaded.
func (xc *xetCache) saveUpload(body []byte) error { return xc.save("shards", body) }

// saveDedup keeps a global dedup answer.
func (xc *xetCache) saveDedup(body []byte) error { return xc.save("dedup", body) }

func (xc *xetCache) save(sub string, body []byte) error {
	dir := filepath.Join(xc.dir, sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	name := filepath.Join(dir, hex.EncodeToString(sum[:16])+".mdb")
	if _, err := os.Stat(name); err == nil {
		now := time.Now()
		return os.Chtimes(name, now, now) // newest again
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	return xc.evict(xetCacheMaxBytes)
}

// evict removes the oldest cached shards of every CAS URL until the cache
// holds at most max bytes.
func (xc *xetCache) evict(max int64) error {
	type entry struct {
		path string
		size int64
		mod  time.Time
	}
	var entries []entry
	var total int64
	err := filepath.WalkDir(xc.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".mdb") {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		entries = append(entries, entry{p, fi.Size(), fi.ModTime()})
		total += fi.Size()
		return nil
	})
	if err != nil || total <= max {
		return err
	}
	slices.SortFunc(entries, func(a, b entry) int { return a.mod.Compare(b.mod) })
	for _, e := range entries {
		if total <= max {
			break
		}
		if os.Remove(e.path) == nil {
			total -= e.size
		}
	}
	return nil
}

// drop forgets everything cached for this CAS URL.
func (xc *xetCache) drop() error { return os.RemoveAll(xc.dir) }
