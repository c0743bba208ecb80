package xet

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestJSONEmpty(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{Reconstruction{}, `{"offset_into_first_range":0,"terms":[],"fetch_info":{}}`},
		{&Reconstruction{}, `{"offset_into_first_range":0,"terms":[],"fetch_info":{}}`},
		{ReconstructionV2{}, `{"offset_into_first_range":0,"terms":[],"xorbs":{}}`},
		{&ReconstructionV2{}, `{"offset_into_first_range":0,"terms":[],"xorbs":{}}`},
		{XorbFetchV2{URL: "u"}, `{"url":"u","ranges":[]}`},
		{TokenInfo{AccessToken: "t", Exp: 5, CASURL: "http://c"}, `{"accessToken":"t","exp":5,"casUrl":"http://c"}`},
		{UploadXorbResponse{WasInserted: true}, `{"was_inserted":true}`},
		{UploadShardResponse{Result: 1}, `{"result":1}`},
	} {
		b, err := json.Marshal(c.v)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != c.want {
			t.Errorf("%T: %s, want %s", c.v, b, c.want)
		}
	}
}

func TestReconstructionJSON(t *testing.T) {
	x := Hash{1, 2, 3, 4, 5, 6, 7, 8, 9}
	r := Reconstruction{
		OffsetIntoFirstRange: 7,
		Terms:                []Term{{Hash: x, UnpackedLength: 100, Range: ChunkRange{0, 2}}},
		FetchInfo: map[Hash][]FetchInfo{x: {{
			Range: ChunkRange{0, 2}, URL: "http://x", URLRange: ByteRange{0, 99},
		}}},
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"offset_into_first_range":7,"terms":[{"hash":"` + x.String() + `","unpacked_length":100,"range":{"start":0,"end":2}}],` +
		`"fetch_info":{"` + x.String() + `":[{"range":{"start":0,"end":2},"url":"http://x","url_range":{"start":0,"end":99}}]}}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	var back Reconstruction
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r) {
		t.Fatalf("round trip: %+v, want %+v", back, r)
	}

	v2 := ReconstructionV2{
		Terms: r.Terms,
		Xorbs: map[Hash][]XorbFetchV2{x: {{URL: "http://x", Ranges: []XorbRangeV2{{Chunks: ChunkRange{0, 2}, Bytes: ByteRange{0, 99}}}}}},
	}
	b, err = json.Marshal(v2)
	if err != nil {
		t.Fatal(err)
	}
	want = `{"offset_into_first_range":0,"terms":[{"hash":"` + x.String() + `","unpacked_length":100,"range":{"start":0,"end":2}}],` +
		`"xorbs":{"` + x.String() + `":[{"url":"http://x","ranges":[{"chunks":{"start":0,"end":2},"bytes":{"start":0,"end":99}}]}]}}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	var back2 ReconstructionV2
	if err := json.Unmarshal(b, &back2); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back2, v2) {
		t.Fatalf("round trip: %+v, want %+v", back2, v2)
	}
	if err := json.Unmarshal([]byte(`{"terms":[{"hash":"zz"}]}`), &back2); err == nil {
		t.Fatal("bad hash accepted")
	}
}
