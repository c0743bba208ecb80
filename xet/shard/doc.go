// Package shard reads and writes Xet shards (MDB files), which register files and
// xorbs with a CAS server and carry its global-dedup answers.
//
// A shard is a 48-byte header (a fixed tag, version 2, footer size 200 or 0),
// a file section, a CAS section, optional lookup tables and an optional 200-byte
// footer. All integers are little-endian, all hashes raw 32 bytes, and every
// record of the two sections is 48 bytes; each section ends with a bookend
// record (32 bytes of 0xff, 16 of zero).
//
// The file section has one block per file: a header (file hash, flags, number of
// terms), one record per term (xorb hash, xorb flags, decoded bytes, chunk range),
// then one verification record per term if [FlagVerification] is set, then one
// metadata record holding the SHA-256 (each 8-byte group reversed) if
// [FlagMetadataExt] is set. The CAS section has one block per xorb: a header
// (xorb hash, flags, number of chunks, decoded bytes, serialized bytes) and one
// record per chunk (hash, offset in the decoded xorb, length, flags).
//
// Uploads ([Shard.AppendUpload]) carry no footer; global-dedup answers
// ([AppendDedup]) carry one with the key of their keyed chunk hashes. [Parse]
// works on a whole shard in memory (uploads are at most [MaxUploadSize]) and
// allocates no more than the data's length justifies.
package shard
