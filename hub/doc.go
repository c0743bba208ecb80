// Package hub is a Go client for the Hugging Face Hub's upload protocol:
// create repositories, upload files and folders in atomic commits (with
// LFS for large files), preupload LFS content, run uploads in the
// background, and download files back. It speaks only the public protocol,
// so it works against huggingface.co and against a self-hosted Wharf.
//
// A Client resolves its endpoint and token the way huggingface_hub does:
// explicit options first, then HF_ENDPOINT and HF_TOKEN, then the token
// file under HF_HOME (default ~/.cache/huggingface/token).
package hub
