// Package chunk splits data into chunks at content-defined boundaries, as Xet does.
//
// A gear hash runs over the bytes of each chunk: h = h<<1 + [Table][b], modulo
// 2^64, starting at 0. A chunk ends after the byte where it has at least [MinSize]
// bytes and the 16 high bits of h ([Mask]) are zero, or where it reaches [MaxSize]
// bytes; the remainder of the data is the last chunk, whatever its size. Chunks
// average about [TargetSize] bytes on random data, and empty data has no chunks.
// Since h after a byte depends only on the last 64 bytes, the first
// MinSize-64-1 bytes of each chunk are skipped without hashing.
//
// [Next] and [Boundaries] work on data in memory. [Chunker] works on a stream
// with a fixed buffer of 512 KiB, and gives the same chunks however the stream is
// split into reads.
package chunk
