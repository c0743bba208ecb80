package xet

import (
	"strconv"
	"sync"

	"github.com/zeebo/blake3"
)

// The keys of Xet's keyed hashes, as raw bytes.
var (
	// DataKey keys chunk hashes.
	DataKey = Hash{
		0x66, 0x97, 0xf5, 0x77, 0x5b, 0x95, 0x50, 0xde, 0x31, 0x35, 0xcb, 0xac, 0xa5, 0x97, 0x18, 0x1c,
		0x9d, 0xe4, 0x21, 0x10, 0x9b, 0xeb, 0x2b, 0x58, 0xb4, 0xd0, 0xb0, 0x4b, 0x93, 0xad, 0xf2, 0x29,
	}
	// InternalNodeKey keys merkle tree nodes.
	InternalNodeKey = Hash{
		0x01, 0x7e, 0xc5, 0xc7, 0xa5, 0x47, 0x29, 0x96, 0xfd, 0x94, 0x66, 0x66, 0xb4, 0x8a, 0x02, 0xe6,
		0x5d, 0xdd, 0x53, 0x6f, 0x37, 0xc7, 0x6d, 0xd2, 0xf8, 0x63, 0x52, 0xe6, 0x4a, 0x53, 0x71, 0x3f,
	}
	// VerificationKey keys the verification hashes of file terms.
	VerificationKey = Hash{
		0x7f, 0x18, 0x57, 0xd6, 0xce, 0x56, 0xed, 0x66, 0x12, 0x7f, 0xf9, 0x13, 0xe7, 0xa5, 0xc3, 0xf3,
		0xa4, 0xcd, 0x26, 0xd5, 0xb5, 0xdb, 0x49, 0xe6, 0x41, 0x24, 0x98, 0x7f, 0x28, 0xfb, 0x94, 0xc3,
	}
	// ZeroKey keys file hashes.
	ZeroKey = Hash{}
)

// keyedHasher is a BLAKE3 hasher together with the key it was made with, so that
// it can be reset and reused instead of allocating a new one (about 10 KiB) per hash.
type keyedHasher struct {
	key Hash
	h   *blake3.Hasher
}

// Pools for the fixed keys, which are hot, and one for any other key (a shard's
// dedup key, a salt), whose hashers are kept only while the key stays the same.
var (
	dataPool, nodePool, verificationPool, zeroPool, otherPool sync.Pool
)

func poolFor(key *Hash) *sync.Pool {
	switch *key {
	case DataKey:
		return &dataPool
	case InternalNodeKey:
		return &nodePool
	case VerificationKey:
		return &verificationPool
	case ZeroKey:
		return &zeroPool
	}
	return &otherPool
}

func getHasher(key *Hash) (*keyedHasher, *sync.Pool) {
	p := poolFor(key)
	if kh, ok := p.Get().(*keyedHasher); ok && kh.key == *key {
		kh.h.Reset()
		return kh, p
	}
	h, err := blake3.NewKeyed(key[:])
	if err != nil {
		// Unreachable: the key is always 32 bytes.
		panic(err)
	}
	return &keyedHasher{key: *key, h: h}, p
}

func (kh *keyedHasher) sum() Hash {
	var out Hash
	kh.h.Sum(out[:0])
	return out
}

// Keyed returns the 32-byte BLAKE3 keyed hash of msg.
func Keyed(key Hash, msg []byte) Hash {
	kh, p := getHasher(&key)
	_, _ = kh.h.Write(msg)
	out := kh.sum()
	p.Put(kh)
	return out
}

// ChunkHash returns the hash of a chunk: the keyed hash of its uncompressed bytes
// with [DataKey].
func ChunkHash(data []byte) Hash {
	return Keyed(DataKey, data)
}

// KeyedChunkHash returns a chunk hash as global-dedup answers carry it: the keyed
// hash of the raw chunk hash with the shard's key.
func KeyedChunkHash(key Hash, chunk Hash) Hash {
	return Keyed(key, chunk[:])
}

// RangeHash returns the verification hash of a file term: the keyed hash with
// [VerificationKey] of the concatenated raw hashes of the term's chunks.
func RangeHash(chunkHashes []Hash) Hash {
	kh, p := getHasher(&VerificationKey)
	for i := range chunkHashes {
		_, _ = kh.h.Write(chunkHashes[i][:])
	}
	out := kh.sum()
	p.Put(kh)
	return out
}

// DedupEligible reports whether a chunk hash is one that clients query for global
// dedup and servers index: its [Hash.Mod] 1024 is 0. (The first chunk of each
// file is indexed as well, whatever its hash.)
func DedupEligible(h Hash) bool {
	return h.Mod(1024) == 0
}

// Leaf is an element of a merkle tree: a chunk, or a subtree, with the number of
// bytes it covers.
type Leaf struct {
	Hash Hash
	Size uint64
}

// maxGroup is the largest number of children of a merkle node.
const maxGroup = 9

// MerkleRoot returns the root of Xet's merkle tree over leaves: the zero hash for
// no leaves, the leaf's own hash for one leaf. Otherwise each level is cut into
// groups of 3 to 9 elements (the last group of a level may have 1 or 2), a group
// ending at the first element from its third on whose hash mod 4 is 0; each group
// becomes a node whose hash is the keyed hash with [InternalNodeKey] of the text
// "<hash> : <size>\n" for each member, and whose size is the sum of theirs.
func MerkleRoot(leaves []Leaf) Hash {
	switch len(leaves) {
	case 0:
		return Hash{}
	case 1:
		return leaves[0].Hash
	}
	level := make([]Leaf, len(leaves))
	copy(level, leaves)
	kh, p := getHasher(&InternalNodeKey)
	defer p.Put(kh)
	// A node's text has at most 9 lines of 64 + 3 + 20 + 1 bytes.
	var buf [maxGroup * 88]byte
	for len(level) > 1 {
		// Nodes are written over the level being read: node k is written after
		// reading its group, which starts at index k or later.
		out := level[:0]
		for i := 0; i < len(level); {
			n := groupLen(level[i:])
			text := buf[:0]
			var size uint64
			for _, l := range level[i : i+n] {
				text = l.Hash.appendText(text)
				text = append(text, " : "...)
				text = strconv.AppendUint(text, l.Size, 10)
				text = append(text, '\n')
				size += l.Size
			}
			kh.h.Reset()
			_, _ = kh.h.Write(text)
			out = append(out, Leaf{Hash: kh.sum(), Size: size})
			i += n
		}
		level = out
	}
	return level[0].Hash
}

// groupLen returns the length of the group that starts the remaining elements of
// a level.
func groupLen(rest []Leaf) int {
	if len(rest) <= 2 {
		return len(rest)
	}
	end := min(len(rest), maxGroup)
	for i := 2; i < end; i++ {
		if rest[i].Hash.Mod(4) == 0 {
			return i + 1
		}
	}
	return end
}

// XorbHash returns the hash of a xorb whose chunks are leaves, in order. It is
// [MerkleRoot].
func XorbHash(leaves []Leaf) Hash {
	return MerkleRoot(leaves)
}

// FileHash returns the hash of a file whose chunks are leaves, in file order:
// the zero hash for an empty file, else the keyed hash with [ZeroKey] of the
// merkle root.
func FileHash(leaves []Leaf) Hash {
	return FileHashWithSalt(leaves, ZeroKey)
}

// FileHashWithSalt is [FileHash] with another key than [ZeroKey]. The Hub uses
// only the zero salt.
func FileHashWithSalt(leaves []Leaf, salt Hash) Hash {
	if len(leaves) == 0 {
		return Hash{}
	}
	root := MerkleRoot(leaves)
	return Keyed(salt, root[:])
}
