// Package xorb reads and writes serialized xorbs, the units of storage of Xet.
//
// A serialized xorb is the concatenation, for each chunk, of an 8-byte header and
// a payload; there is no xorb header. The header holds, little-endian: version
// (u8, 0), payload length (u24), compression scheme (u8: 0 none, 1 LZ4, 2 BG4+LZ4)
// and decoded length (u24). An LZ4 payload is one LZ4 frame (not a raw block);
// BG4+LZ4 first regroups the bytes by position mod 4 (positions 0, 4, 8, … first,
// then 1, 5, …), which suits float tensors. A xorb holds at most [MaxChunks]
// chunks and [MaxRawBytes] decoded bytes; a chunk decodes to at most
// [MaxChunkRaw] bytes. Old clients append a footer starting with "XETBLOB" after
// the last chunk ([AppendFooter]); readers stop there.
//
// The xorb hash is the merkle root ([xet.XorbHash]) of the chunks' hashes and
// decoded lengths, so compression and footers never change it.
//
// [Reader] parses and verifies a xorb from a stream with bounded memory (512 KiB);
// [Builder] assembles one on the client side and holds it in memory (up to about
// 64 MiB).
package xorb
