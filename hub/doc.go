// Package hub is a Go client for the Hugging Face Hub's upload protocol:
// create repositories, upload files and folders in atomic commits (with
// LFS for large files), preupload LFS content, run uploads in the
// background, and download files back. It speaks only the public protocol,
// so it works against huggingface.co and against a self-hosted Wharf.
//
// A Client resolves its endpoint and token the way huggingface_hub does:
// explicit options first, then HF_ENDPOINT and HF_TOKEN, then the token
// file under HF_HOME (default ~/.cache/huggingface/token).
//
// Large files go through Xet when the Hub offers it (the "xet" transfer of
// the LFS batch API), and through LFS otherwise or when Options.DisableXet
// (or HF_HUB_DISABLE_XET=1) is set. Xet sends only the content-defined
// chunks the Hub lacks: it remembers earlier uploads and the Hub's dedup
// answers under Options.XetCacheDir (default $HF_XET_CACHE, else
// $HF_HOME/xet), so that re-uploading a changed file sends little more
// than the change. An upload holds at most about 260 MiB of xorbs in
// memory (one being filled and three being sent, 64 MiB each), plus 12 MiB
// buffers per file being hashed, about 100 bytes per 64 KiB chunk of
// the files being uploaded, and the files of up to 64 KiB themselves, up
// to 256 MiB of them (read once, kept until they are sent). Downloads of files stored through Xet fetch
// and decode their chunk ranges in parallel, at most 64 MiB ahead of what
// is written, and check the sha256 before DownloadFile moves the file in
// place.
package hub
