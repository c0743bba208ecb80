package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/wire"
)

type accessRequest struct {
	RequestID string `json:"requestId"`
	Status    string `json:"status"`
	Timestamp string `json:"timestamp"`
	User      struct {
		User  string  `json:"user"`
		Email *string `json:"email"`
	} `json:"user"`
	Fields          map[string]any `json:"fields"`
	RejectionReason string         `json:"rejectionReason"`
}

func lfsDownloadBatch(oid string, size int) servertest.Raw {
	data, _ := json.Marshal(map[string]any{
		"operation": "download", "transfers": []string{"basic"}, "hash_algo": "sha256",
		"objects": []any{map[string]any{"oid": oid, "size": size}},
	})
	return servertest.Raw{ContentType: "application/vnd.git-lfs+json", Data: data}
}

// TestGatedRepoFilesNeedAccess: every way to a gated repo's bytes answers
// GatedRepo (401 anonymous, 403 signed in) until access is given; listings
// stay open; the owner, org members and admins always have access.
func TestGatedRepoFilesNeedAccess(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		const r = "acme/gated"
		h.CreateRepo(t, h.Bob, r, false)
		weights := []byte("gated weights\x00\x01")
		oid := h.UploadLFS(t, h.Bob, r, weights)
		h.Commit(t, h.Bob, r, "main", servertest.File("README.md", []byte("# gated\n")), servertest.LFSFile("w.bin", oid, int64(len(weights))))
		h.JSON(t, http.MethodPut, servertest.API(r)+"/settings", h.Bob, map[string]any{"gated": "manual"}, http.StatusOK, nil)

		var info struct {
			Gated any `json:"gated"`
		}
		h.JSON(t, http.MethodGet, servertest.API(r), h.Alice, nil, http.StatusOK, &info)
		if info.Gated != "manual" {
			t.Errorf("gated %v, want manual", info.Gated)
		}
		var list []struct {
			ID    string `json:"id"`
			Gated any    `json:"gated"`
		}
		h.JSON(t, http.MethodGet, "/api/models?author=acme", "", nil, http.StatusOK, &list)
		if len(list) != 1 || list[0].Gated != "manual" {
			t.Errorf("listing: %+v, want acme/gated gated manual", list)
		}
		sameSet(t, "files listed to anyone", h.Files(t, "", r, "main"), []string{".gitattributes", "README.md", "w.bin"})

		resolve := servertest.Web(r) + "/resolve/main/w.bin"
		for _, tc := range []struct {
			name, token string
			status      int
			msg         string
		}{
			{"anonymous", "", http.StatusUnauthorized, "Access to model acme/gated is restricted. You must have access to it and be authenticated to access it. Please log in."},
			{"alice", h.Alice, http.StatusForbidden, "Access to model acme/gated is restricted and you are not in the authorized list. Visit " + h.URL + "/acme/gated to ask for access."},
		} {
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				servertest.ExpectError(t, h.Do(t, method, resolve, tc.token, nil), tc.status, wire.CodeGatedRepo, tc.msg)
			}
			servertest.ExpectError(t, h.Do(t, http.MethodGet, servertest.Web(r)+"/resolve/main/README.md", tc.token, nil), tc.status, wire.CodeGatedRepo, "restricted")
			servertest.ExpectError(t, h.Do(t, http.MethodGet, servertest.API(r)+"/auth-check", tc.token, nil), tc.status, wire.CodeGatedRepo, "restricted")
			servertest.ExpectError(t, h.Do(t, http.MethodGet, servertest.API(r)+"/xet-read-token/main", tc.token, nil), tc.status, wire.CodeGatedRepo, "restricted")
			servertest.ExpectError(t, h.Do(t, http.MethodPost, servertest.Web(r)+".git/info/lfs/objects/batch", tc.token, lfsDownloadBatch(oid, len(weights))), tc.status, wire.CodeGatedRepo, "restricted")
			// git gets text, which it prints.
			resp := h.Do(t, http.MethodGet, servertest.Web(r)+".git/info/refs?service=git-upload-pack", tc.token, nil)
			if resp.StatusCode != tc.status || resp.Header.Get(wire.HeaderErrorCode) != wire.CodeGatedRepo || strings.TrimSpace(string(servertest.Body(resp))) != tc.msg {
				t.Errorf("git clone by %s: %d %q %q", tc.name, resp.StatusCode, resp.Header.Get(wire.HeaderErrorCode), servertest.Body(resp))
			}
		}
		for name, tok := range map[string]string{"owner org member": h.Bob, "admin": h.Admin} {
			if got := h.Download(t, tok, r, "main", "w.bin"); string(got) != string(weights) {
				t.Errorf("%s downloads %q", name, got)
			}
			h.JSON(t, http.MethodGet, servertest.API(r)+"/auth-check", tok, nil, http.StatusOK, nil)
		}
		h.JSON(t, http.MethodGet, servertest.API(r)+"/auth-check/write", h.Bob, nil, http.StatusOK, nil)
		resp := h.Do(t, http.MethodGet, servertest.API(r)+"/auth-check/write", h.Alice, nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("auth-check/write by a reader: %d, want 403", resp.StatusCode)
		}

		// Alice asks; the request waits for a maintainer.
		var asked accessRequest
		h.JSON(t, http.MethodPost, servertest.API(r)+"/ask-access", h.Alice, map[string]any{"company": "ACME"}, http.StatusOK, &asked)
		if asked.Status != "pending" || asked.User.User != "alice" {
			t.Errorf("ask-access: %+v", asked)
		}
		servertest.ExpectError(t, h.Do(t, http.MethodGet, resolve, h.Alice, nil), http.StatusForbidden, wire.CodeGatedRepo, "Your request to access model acme/gated is awaiting a review from the repo authors.")
		// Only writers see and handle requests.
		servertest.ExpectError(t, h.Do(t, http.MethodGet, servertest.API(r)+"/user-access-request/pending", h.Alice, nil), http.StatusForbidden, "", "rights")
		pending := servertest.Pages[accessRequest](t, h, h.Bob, servertest.API(r)+"/user-access-request/pending")
		if len(pending) != 1 || pending[0].User.User != "alice" || pending[0].Fields["company"] != "ACME" || pending[0].User.Email == nil || pending[0].Timestamp == "" {
			t.Fatalf("pending requests: %+v", pending)
		}
		handle := servertest.API(r) + "/user-access-request/handle"
		h.JSON(t, http.MethodPost, handle, h.Bob, map[string]any{"user": "alice", "status": "accepted"}, http.StatusOK, nil)
		if got := h.Download(t, h.Alice, r, "main", "w.bin"); string(got) != string(weights) {
			t.Errorf("accepted alice downloads %q", got)
		}
		h.JSON(t, http.MethodPost, servertest.Web(r)+".git/info/lfs/objects/batch", h.Alice, lfsDownloadBatch(oid, len(weights)), http.StatusOK, nil)
		h.JSON(t, http.MethodGet, servertest.API(r)+"/auth-check", h.Alice, nil, http.StatusOK, nil)
		// The client's tests: the same transition twice is an error.
		servertest.ExpectError(t, h.Do(t, http.MethodPost, handle, h.Bob, map[string]any{"user": "alice", "status": "accepted"}), http.StatusNotFound, "", "already accepted")
		h.JSON(t, http.MethodPost, handle, h.Bob, map[string]any{"requestId": pending[0].RequestID, "status": "rejected", "rejectionReason": "no"}, http.StatusOK, nil)
		servertest.ExpectError(t, h.Do(t, http.MethodGet, resolve, h.Alice, nil), http.StatusForbidden, wire.CodeGatedRepo, "has been rejected by the repo's authors")
		rejected := servertest.Pages[accessRequest](t, h, h.Bob, servertest.API(r)+"/user-access-request/rejected")
		if len(rejected) != 1 || rejected[0].RejectionReason != "no" {
			t.Errorf("rejected requests: %+v", rejected)
		}
		servertest.ExpectError(t, h.Do(t, http.MethodPost, servertest.API(r)+"/ask-access", h.Alice, nil), http.StatusForbidden, wire.CodeGatedRepo, "rejected")
		h.JSON(t, http.MethodPost, handle, h.Bob, map[string]any{"user": "alice", "status": "pending"}, http.StatusOK, nil)
		servertest.ExpectError(t, h.Do(t, http.MethodPost, handle, h.Bob, map[string]any{"user": "alice", "status": "pending"}), http.StatusNotFound, "", "already pending")
		servertest.ExpectError(t, h.Do(t, http.MethodPost, handle, h.Bob, map[string]any{"user": "carol", "status": "accepted"}), http.StatusNotFound, "", "no access request")
		servertest.ExpectError(t, h.Do(t, http.MethodPost, handle, h.Bob, map[string]any{"user": "nobody", "status": "accepted"}), http.StatusNotFound, "", "not found")

		// Grant: access without a request; twice is a 400.
		grant := servertest.API(r) + "/user-access-request/grant"
		h.JSON(t, http.MethodPost, grant, h.Bob, map[string]any{"user": "carol"}, http.StatusOK, nil)
		servertest.ExpectError(t, h.Do(t, http.MethodPost, grant, h.Bob, map[string]any{"user": "carol"}), http.StatusBadRequest, "", "already has access")
		if got := h.Download(t, h.Carol, r, "main", "README.md"); string(got) != "# gated\n" {
			t.Errorf("granted carol downloads %q", got)
		}
		accepted := servertest.Pages[accessRequest](t, h, h.Bob, servertest.API(r)+"/user-access-request/accepted")
		if len(accepted) != 1 || accepted[0].User.User != "carol" || accepted[0].User.Email != nil {
			t.Errorf("accepted requests: %+v (granted access shares no email)", accepted)
		}

		// Not gated: no requests to list or grant.
		h.JSON(t, http.MethodPut, servertest.API(r)+"/settings", h.Bob, map[string]any{"gated": false}, http.StatusOK, nil)
		servertest.ExpectError(t, h.Do(t, http.MethodGet, servertest.API(r)+"/user-access-request/pending", h.Bob, nil), http.StatusBadRequest, "", "not gated")
		servertest.ExpectError(t, h.Do(t, http.MethodPost, grant, h.Bob, map[string]any{"user": "alice"}), http.StatusBadRequest, "", "not gated")
		h.Download(t, "", r, "main", "w.bin")
	})
}

// TestGatedAutoAcceptsAtOnce: with "auto", asking gives access.
func TestGatedAutoAcceptsAtOnce(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		const r = "datasets/alice/auto"
		h.CreateRepo(t, h.Alice, r, false)
		h.Commit(t, h.Alice, r, "main", servertest.File("d.csv", []byte("a,b\n")))
		h.JSON(t, http.MethodPut, servertest.API(r)+"/settings", h.Alice, map[string]any{"gated": "auto"}, http.StatusOK, nil)
		servertest.ExpectError(t, h.Do(t, http.MethodGet, servertest.Web(r)+"/resolve/main/d.csv", h.Carol, nil), http.StatusForbidden, wire.CodeGatedRepo, "Access to dataset alice/auto is restricted")
		servertest.ExpectError(t, h.Do(t, http.MethodPost, servertest.API(r)+"/ask-access", "", nil), http.StatusUnauthorized, "", "authenticated")
		// The web form posts to the repo page's URL.
		var asked accessRequest
		h.JSON(t, http.MethodPost, servertest.Web(r)+"/ask-access", h.Carol, map[string]any{}, http.StatusOK, &asked)
		if asked.Status != "accepted" {
			t.Errorf("ask-access with auto: %+v", asked)
		}
		if got := h.Download(t, h.Carol, r, "main", "d.csv"); string(got) != "a,b\n" {
			t.Errorf("download after auto acceptance: %q", got)
		}
	})
}
