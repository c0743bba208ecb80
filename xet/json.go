package xet

import "encoding/json"

// ChunkRange is a range of chunk indexes within a xorb; End is exclusive.
type ChunkRange struct {
	Start uint32 `json:"start"`
	End   uint32 `json:"end"`
}

// ByteRange is a range of bytes; End is inclusive, as in an HTTP Range header.
type ByteRange struct {
	Start uint64 `json:"start"`
	End   uint64 `json:"end"`
}

// Term is one piece of a file's reconstruction: chunks Range of xorb Hash, which
// decode to UnpackedLength bytes.
type Term struct {
	Hash           Hash       `json:"hash"`
	UnpackedLength uint32     `json:"unpacked_length"`
	Range          ChunkRange `json:"range"`
}

// FetchInfo tells a client where to download chunks Range of a xorb: the bytes
// URLRange of URL.
type FetchInfo struct {
	Range    ChunkRange `json:"range"`
	URL      string     `json:"url"`
	URLRange ByteRange  `json:"url_range"`
}

// Reconstruction is the body of GET /v1/reconstructions/{file}. It marshals nil
// Terms and FetchInfo as [] and {}, as clients expect.
type Reconstruction struct {
	OffsetIntoFirstRange uint64               `json:"offset_into_first_range"`
	Terms                []Term               `json:"terms"`
	FetchInfo            map[Hash][]FetchInfo `json:"fetch_info"`
}

// MarshalJSON implements [json.Marshaler], writing nil slices and maps as empty.
func (r Reconstruction) MarshalJSON() ([]byte, error) {
	type plain Reconstruction
	p := plain(r)
	if p.Terms == nil {
		p.Terms = []Term{}
	}
	if p.FetchInfo == nil {
		p.FetchInfo = map[Hash][]FetchInfo{}
	}
	return json.Marshal(p)
}

// XorbRangeV2 is a range of chunks of a xorb and the bytes (inclusive range) that
// hold them.
type XorbRangeV2 struct {
	Chunks ChunkRange `json:"chunks"`
	Bytes  ByteRange  `json:"bytes"`
}

// XorbFetchV2 is one URL from which ranges of a xorb can be fetched. It marshals
// nil Ranges as [].
type XorbFetchV2 struct {
	URL    string        `json:"url"`
	Ranges []XorbRangeV2 `json:"ranges"`
}

// MarshalJSON implements [json.Marshaler], writing nil Ranges as [].
func (x XorbFetchV2) MarshalJSON() ([]byte, error) {
	type plain XorbFetchV2
	p := plain(x)
	if p.Ranges == nil {
		p.Ranges = []XorbRangeV2{}
	}
	return json.Marshal(p)
}

// ReconstructionV2 is the body of GET /v2/reconstructions/{file}. It marshals nil
// Terms and Xorbs as [] and {}.
type ReconstructionV2 struct {
	OffsetIntoFirstRange uint64                 `json:"offset_into_first_range"`
	Terms                []Term                 `json:"terms"`
	Xorbs                map[Hash][]XorbFetchV2 `json:"xorbs"`
}

// MarshalJSON implements [json.Marshaler], writing nil slices and maps as empty.
func (r ReconstructionV2) MarshalJSON() ([]byte, error) {
	type plain ReconstructionV2
	p := plain(r)
	if p.Terms == nil {
		p.Terms = []Term{}
	}
	if p.Xorbs == nil {
		p.Xorbs = map[Hash][]XorbFetchV2{}
	}
	return json.Marshal(p)
}

// TokenInfo is the JSON body of the Hub's xet-read-token and xet-write-token
// endpoints.
type TokenInfo struct {
	AccessToken string `json:"accessToken"`
	Exp         int64  `json:"exp"` // unix seconds
	CASURL      string `json:"casUrl"`
}

// UploadXorbResponse is the body of POST /v1/xorbs/default/{hash}.
type UploadXorbResponse struct {
	WasInserted bool `json:"was_inserted"`
}

// UploadShardResponse is the body of POST /v1/shards: 1 if the shard registered
// new files, 0 if everything was known. FileSHA256 is a Wharf extension
// (other clients ignore it, other CAS servers do not send it): the sha256
// of every file of the shard, by file hash (hex), as the server computed
// it from the stored content, so that a client may leave it out of the
// shard (see FeaturesHeader). Only the answer to POST /v1/shards carries
// it (the NDJSON result frame of /v2/shards does not).
type UploadShardResponse struct {
	Result     int               `json:"result"`
	FileSHA256 map[string]string `json:"wharf_file_sha256,omitempty"`
}

// FeaturesHeader is a Wharf extension: a CAS that sends it on its answers
// lists what it does beyond the Xet protocol. FeatureFileSHA256: shards
// may leave out a file's sha256 (its metadata extension); the CAS computes
// it and returns it in UploadShardResponse.FileSHA256.
const (
	FeaturesHeader    = "X-Wharf-Cas-Features"
	FeatureFileSHA256 = "file-sha256"
)
