package xorb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/pierrec/lz4/v4"
)

// LZ4 frame format (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md).
const (
	lz4Magic = 0x184d2204

	flgVersion        = 0x40 // bits 7-6 = 01
	flgBlockIndep     = 0x20
	flgBlockChecksum  = 0x10
	flgContentSize    = 0x08
	flgContentCheck   = 0x04
	flgReserved       = 0x02
	flgDictID         = 0x01
	bdReservedBits    = 0x8f
	frameBlockSize    = 64 << 10 // the block size this package writes
	frameBlockSizeIdx = 4        // BD code of 64 KiB
	maxFrameBlockSize = 4 << 20  // the largest block size a frame may declare
)

// frameHeader is the header of every frame this package writes: independent
// blocks of at most 64 KiB, no checksums (huggingface.js's LZ4 decoder misreads
// block checksums), no content size, no dictionary.
var frameHeader = func() [7]byte {
	h := [7]byte{0x04, 0x22, 0x4d, 0x18, flgVersion | flgBlockIndep, frameBlockSizeIdx << 4}
	h[6] = byte(xxh32(h[4:6]) >> 8)
	return h
}()

// appendLZ4 appends src as one LZ4 frame. Blocks that do not shrink are stored
// uncompressed, as the format allows.
func appendLZ4(dst, src []byte, c *lz4.Compressor) []byte {
	dst = append(dst, frameHeader[:]...)
	for len(src) > 0 {
		blk := src[:min(len(src), frameBlockSize)]
		src = src[len(blk):]
		off := len(dst)
		dst = slices.Grow(dst, 4+len(blk))[:off+4+len(blk)]
		// Room for one byte less than the block: compression must gain.
		n, err := c.CompressBlock(blk, dst[off+4:off+4+len(blk)-1])
		if err != nil || n <= 0 || n >= len(blk) {
			copy(dst[off+4:], blk)
			binary.LittleEndian.PutUint32(dst[off:], uint32(len(blk))|1<<31)
			continue
		}
		binary.LittleEndian.PutUint32(dst[off:], uint32(n))
		dst = dst[:off+4+n]
	}
	return append(dst, 0, 0, 0, 0) // end mark
}

var errShortFrame = errors.New("truncated lz4 frame")

// decodeLZ4 decodes the single LZ4 frame src, which must decode to exactly rawLen
// bytes, into dst[:rawLen] (dst is grown if needed). Checksums present in the frame
// are verified, dependent blocks are supported, dictionary frames are not, and no
// bytes may follow the frame.
func decodeLZ4(dst, src []byte, rawLen int) ([]byte, error) {
	if len(src) < 7 {
		return nil, errShortFrame
	}
	if binary.LittleEndian.Uint32(src) != lz4Magic {
		return nil, fmt.Errorf("not an lz4 frame (magic %x)", src[:4])
	}
	flg, bd := src[4], src[5]
	switch {
	case flg&0xc0 != flgVersion:
		return nil, fmt.Errorf("lz4 frame version %d", flg>>6)
	case flg&flgReserved != 0 || bd&bdReservedBits != 0:
		return nil, errors.New("lz4 frame has reserved bits set")
	case flg&flgDictID != 0:
		return nil, errors.New("lz4 frame needs a dictionary")
	}
	idx := bd >> 4 & 7
	if idx < 4 {
		return nil, fmt.Errorf("lz4 frame block size code %d", idx)
	}
	maxBlock := 1 << (8 + 2*idx)
	p := 6
	var contentSize uint64
	if flg&flgContentSize != 0 {
		if len(src) < p+9 {
			return nil, errShortFrame
		}
		contentSize = binary.LittleEndian.Uint64(src[p:])
		p += 8
	}
	if byte(xxh32(src[4:p])>>8) != src[p] {
		return nil, errors.New("lz4 frame header checksum mismatch")
	}
	p++

	out := slices.Grow(dst[:0], rawLen)[:rawLen]
	n := 0
	for {
		if len(src)-p < 4 {
			return nil, errShortFrame
		}
		size := binary.LittleEndian.Uint32(src[p:])
		p += 4
		if size == 0 {
			break // end mark
		}
		stored := size>>31 == 1
		size &^= 1 << 31
		if int(size) > maxBlock {
			return nil, fmt.Errorf("lz4 block of %d bytes exceeds the frame's block size %d", size, maxBlock)
		}
		end := p + int(size)
		if flg&flgBlockChecksum != 0 {
			end += 4
		}
		if end > len(src) {
			return nil, errShortFrame
		}
		blk := src[p : p+int(size)]
		if flg&flgBlockChecksum != 0 && xxh32(blk) != binary.LittleEndian.Uint32(src[p+int(size):]) {
			return nil, errors.New("lz4 block checksum mismatch")
		}
		p = end
		if stored {
			if len(blk) > rawLen-n {
				return nil, fmt.Errorf("lz4 frame decodes to more than %d bytes", rawLen)
			}
			n += copy(out[n:], blk)
			continue
		}
		room := out[n:min(rawLen, n+maxBlock)]
		var k int
		var err error
		if flg&flgBlockIndep != 0 {
			k, err = lz4.UncompressBlock(blk, room)
		} else {
			k, err = lz4.UncompressBlockWithDict(blk, room, out[max(0, n-64<<10):n])
		}
		if err != nil {
			if len(room) < maxBlock {
				return nil, fmt.Errorf("corrupt lz4 block, or it decodes to more than %d bytes", rawLen)
			}
			return nil, errors.New("corrupt lz4 block")
		}
		n += k
	}
	if flg&flgContentCheck != 0 {
		if len(src)-p < 4 {
			return nil, errShortFrame
		}
		if xxh32(out[:n]) != binary.LittleEndian.Uint32(src[p:]) {
			return nil, errors.New("lz4 content checksum mismatch")
		}
		p += 4
	}
	if p != len(src) {
		return nil, fmt.Errorf("%d bytes after the lz4 frame", len(src)-p)
	}
	if flg&flgContentSize != 0 && contentSize != uint64(n) {
		return nil, fmt.Errorf("lz4 frame declares %d bytes but holds %d", contentSize, n)
	}
	if n != rawLen {
		return nil, fmt.Errorf("lz4 frame decodes to %d bytes, header says %d", n, rawLen)
	}
	return out, nil
}

// bg4Split writes src to dst (of the same length) as four streams: the bytes at
// positions 0, 4, 8, …, then 1, 5, 9, …, then 2, …, then 3, ….
func bg4Split(dst, src []byte) {
	q, r := len(src)/4, len(src)%4
	s0 := dst[:q]
	s1 := dst[q+min(1, r):][:q]
	s2 := dst[2*q+min(2, r):][:q]
	s3 := dst[3*q+min(3, r):][:q]
	for j := range q {
		g := src[4*j : 4*j+4 : 4*j+4]
		s0[j], s1[j], s2[j], s3[j] = g[0], g[1], g[2], g[3]
	}
	for k := range r {
		dst[(k+1)*q+k] = src[4*q+k]
	}
}

// bg4Join is the inverse of bg4Split.
func bg4Join(dst, src []byte) {
	q, r := len(src)/4, len(src)%4
	s0 := src[:q]
	s1 := src[q+min(1, r):][:q]
	s2 := src[2*q+min(2, r):][:q]
	s3 := src[3*q+min(3, r):][:q]
	for j := range q {
		g := dst[4*j : 4*j+4 : 4*j+4]
		g[0], g[1], g[2], g[3] = s0[j], s1[j], s2[j], s3[j]
	}
	for k := range r {
		dst[4*q+k] = src[(k+1)*q+k]
	}
}
