package repo

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/wharfhub/wharf/wire"
)

// Annotated tags: refs/tags/NAME may name a tag object (git's encoding,
// kept byte for byte, signatures included) instead of a commit. Revisions
// peel them to the commit they tag.

// maxTagChain bounds tags of tags.
const maxTagChain = 8

// DecodeTagTarget returns the object a tag object points to and its type
// ("commit", "tag", …).
func DecodeTagTarget(data []byte) (target, typ string, err error) {
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" {
			break
		}
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "object":
			target = v
		case "type":
			typ = v
		}
	}
	if !wire.IsCommitID(target) || typ == "" {
		return "", "", errorf(wire.ErrInvalid, "malformed tag object")
	}
	return target, typ, nil
}

// peel follows tag objects from oid to the object they tag; other objects
// are returned as they are.
func peel(ctx context.Context, q querier, repoKey int64, oid string) (string, error) {
	for range maxTagChain {
		var kind int
		var data []byte
		err := q.QueryRowContext(ctx, `SELECT kind, data FROM objects WHERE repo_id = $1 AND oid = $2`, repoKey, oid).Scan(&kind, &data)
		if errors.Is(err, sql.ErrNoRows) {
			return oid, nil
		}
		if err != nil {
			return "", err
		}
		if Kind(kind) != KindTag {
			return oid, nil
		}
		if oid, _, err = DecodeTagTarget(data); err != nil {
			return "", err
		}
	}
	return "", errorf(wire.ErrInvalid, "tag chain longer than %d", maxTagChain)
}

// Peel returns the commit a ref target names: the target itself, or what
// an annotated tag tags.
func (e *Engine) Peel(ctx context.Context, r *Repo, oid string) (string, error) {
	return peel(ctx, e.db, r.Key, oid)
}

// CreateAnnotatedTag creates refs/tags/name as a tag object with message,
// tagging the commit revision resolves to.
func (e *Engine) CreateAnnotatedTag(ctx context.Context, r *Repo, name, revision, message string, tagger Author) error {
	return e.db.Tx(ctx, func(tx *sql.Tx) error {
		// As on the Hub, a missing revision is reported before the name
		// is judged.
		from, err := resolve(ctx, tx, r, revision)
		if err != nil {
			return err
		}
		if err := wire.ValidateTagName(name); err != nil {
			return err
		}
		var b bytes.Buffer
		b.WriteString("object " + from.Commit + "\ntype commit\ntag " + name + "\ntagger " + tagger.signature(e.now()).encode() + "\n\n")
		b.WriteString(strings.TrimRight(message, "\n") + "\n")
		oid, err := writeObject(ctx, tx, r.Key, KindTag, b.Bytes(), nil)
		if err != nil {
			return err
		}
		return createRef(ctx, tx, r, "refs/tags/"+name, oid, false, "tag")
	})
}
