// Package xet implements the hashes and wire types of Hugging Face's Xet storage protocol.
//
// All hashes are 32 bytes ([Hash]) made with BLAKE3 in keyed mode:
//   - a chunk hash is keyed with [DataKey] over the chunk's bytes ([ChunkHash]);
//   - a xorb hash is the root of a merkle tree over (chunk hash, length) pairs whose
//     internal nodes are keyed with [InternalNodeKey] over a text listing their children
//     ([MerkleRoot], [XorbHash]);
//   - a file hash is the merkle root over all chunks of a file, hashed once more with
//     the all-zero key ([FileHash]); an empty file has the all-zero hash;
//   - a term's verification ("range") hash is keyed with [VerificationKey] over the
//     concatenated chunk hashes ([RangeHash]);
//   - global-dedup answers replace chunk hashes with a hash keyed by a per-shard key
//     ([KeyedChunkHash]).
//
// As text (URLs, JSON, merkle node text) a hash is written in the Xet convention:
// each of the four 8-byte groups is reversed, then the 32 bytes are written as
// lowercase hex ([Hash.String], [ParseHash]). Binary formats store the raw bytes.
//
// The JSON types ([Reconstruction], [TokenInfo], …) are the bodies of the CAS and Hub
// token endpoints, with the field names the clients expect.
//
// Subpackages implement content-defined chunking (xet/chunk), the xorb format
// (xet/xorb) and the shard format (xet/shard).
package xet
