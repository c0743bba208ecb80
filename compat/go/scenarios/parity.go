package main

import (
	"bytes"
	"errors"
	"strings"

	"github.com/wharfhub/wharf/hub"
)

// Hub parity rows (issue 16) through the SDK: gated repos with access
// requests, renamed repos.
func init() {
	reg("go", "gated_access", gatedAccess)
	reg("go", "renamed_repo", renamedRepo)
	reg("go", "super_squash_pr", superSquashPR)
	reg("go", "delete_folder_implicit", deleteFolderImplicit)
	reg("go", "lfs_files", lfsFiles)
	reg("go", "hub_error_texts", hubErrorTexts)
	reg("go", "annotated_tags", annotatedTagsAPI)
	reg("go", "readme_metadata", func() {
		skip("the SDK does not validate README metadata before a commit (the server's refusal is in the Python rows)")
	})
	reg("go", "repo_settings_xet", func() { skip("hub.RepoSettings has no Xet setting (huggingface_hub dropped it in 1.0)") })
	reg("go", "org_private_default", func() { skip("the SDK has no organization settings call (the Python rows set it with a raw request)") })
	reg("go", "expand_properties", func() { skip("hub.RepoInfo has no expand option") })
}

func deleteFolderImplicit() {
	r := repoOf("delete-folder", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	must(api.CreateCommit(ctx, r, []hub.Operation{
		hub.Add("dir/a.txt", hub.FromBytes([]byte("a"))), hub.Add("dir/sub/b.txt", hub.FromBytes([]byte("b"))),
		hub.Add("dirty.txt", hub.FromBytes([]byte("keep"))),
	}, &hub.CommitOptions{Message: "setup"}))
	// No trailing slash: a file delete line, which the Hub applies to the folder.
	must(api.CreateCommit(ctx, r, []hub.Operation{hub.Delete("dir")}, &hub.CommitOptions{Message: "delete dir"}))
	assertRemote(r, map[string][]byte{"dirty.txt": []byte("keep")}, "")
}

func superSquashPR() {
	r := repoOf("squash-pr", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	must(api.UploadFile(ctx, r, "base.txt", hub.FromBytes([]byte("base\n")), nil))
	pr := must(api.UploadFile(ctx, r, "a.txt", hub.FromBytes([]byte("a\n")), &hub.CommitOptions{CreatePR: true}))
	must(api.UploadFile(ctx, r, "b.txt", hub.FromBytes([]byte("b\n")), &hub.CommitOptions{Revision: pr.PRRevision}))
	must(api.SuperSquashHistory(ctx, r, pr.PRRevision, "squashed PR"))
	commits := must(api.ListCommits(ctx, r, pr.PRRevision))
	check(len(commits) == 1 && commits[0].Title == "squashed PR", "PR history after SuperSquashHistory: %+v", commits)
	assertRemote(r, map[string][]byte{"base.txt": []byte("base\n"), "a.txt": []byte("a\n"), "b.txt": []byte("b\n")}, pr.PRRevision)
	eq(len(must(api.ListCommits(ctx, r, ""))), 2, "main keeps its history")
}

func gatedAccess() {
	r := repoOf("gated", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	must(api.UploadFile(ctx, r, "s.txt", hub.FromBytes([]byte("secret\n")), nil))
	ok(api.UpdateRepoSettings(ctx, r, &hub.RepoSettings{Gated: ptr("manual")}), "UpdateRepoSettings(gated)")
	eq(must(bob.RepoInfo(ctx, r, nil)).Gated, hub.GatedMode("manual"), "gated in RepoInfo")
	var buf bytes.Buffer
	_, err := bob.Download(ctx, r, "s.txt", &buf, nil)
	wantErr(err, hub.ErrGatedRepo, 403, "bob downloads from a gated repo")
	wantErr(bob.AuthCheck(ctx, r, false), hub.ErrGatedRepo, 403, "bob's AuthCheck")
	ok(api.AuthCheck(ctx, r, true), "the owner's AuthCheck")
	eq(must(bob.AskAccess(ctx, r, map[string]string{"reason": "research"})), "pending", "AskAccess")
	pending := must(api.ListAccessRequests(ctx, r, "pending"))
	check(len(pending) == 1 && pending[0].Username == "bob" && pending[0].Fields["reason"] == "research", "pending requests: %+v", pending)
	ok(api.AcceptAccessRequest(ctx, r, "bob"), "AcceptAccessRequest")
	buf.Reset()
	_, err = bob.Download(ctx, r, "s.txt", &buf, nil)
	ok(err, "accepted bob downloads")
	eq(buf.String(), "secret\n", "bytes bob downloads")
	wantErr(api.AcceptAccessRequest(ctx, r, "bob"), nil, 404, "accepting an accepted request")
	ok(api.RejectAccessRequest(ctx, r, "bob", "not now"), "RejectAccessRequest")
	wantErr(bob.AuthCheck(ctx, r, false), hub.ErrGatedRepo, 403, "rejected bob's AuthCheck")
	ok(api.CancelAccessRequest(ctx, r, "bob"), "CancelAccessRequest")
	ok(api.GrantAccess(ctx, r, "bob"), "GrantAccess")
	wantErr(api.GrantAccess(ctx, r, "bob"), nil, 400, "granting twice")
	ok(bob.AuthCheck(ctx, r, false), "granted bob's AuthCheck")
}

func renamedRepo() {
	r := repoOf("rename-src", hub.Model)
	must(api.CreateRepo(ctx, r, &hub.CreateRepoOptions{Private: ptr(true)}))
	must(api.UploadFile(ctx, r, "m.txt", hub.FromBytes([]byte("moved\n")), nil))
	moved := repoOf("rename-dst", hub.Model, "acme")
	ok(api.MoveRepo(ctx, r, moved.ID), "MoveRepo")
	eq(download(r, "m.txt", ""), []byte("moved\n"), "download through the old id")
	eq(must(api.RepoInfo(ctx, r, nil)).ID, moved.ID, "RepoInfo through the old id")
	_, err := bob.RepoInfo(ctx, r, nil)
	wantErr(err, hub.ErrRepoNotFound, 404, "bob reads the old id of a private repo")
	must(api.UploadFile(ctx, r, "two.txt", hub.FromBytes([]byte("two\n")), nil))
	assertRemote(moved, map[string][]byte{"m.txt": []byte("moved\n"), "two.txt": []byte("two\n")}, "")
	must(api.CreateRepo(ctx, r, nil))
	eq(must(api.ListRepoFiles(ctx, r, "")), []string{".gitattributes"}, "files of the repo created at the old id")
}

func lfsFiles() {
	r := repoOf("lfs-files", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	a, b := bytes.Repeat([]byte{0, 'a'}, 150_000), bytes.Repeat([]byte{0, 'b'}, 100_000)
	must(api.UploadFile(ctx, r, "w1.bin", hub.FromBytes(a), nil))
	must(api.UploadFile(ctx, r, "dir/w2.bin", hub.FromBytes(b), nil))
	files := map[string]hub.LFSFileInfo{}
	for _, f := range must(api.ListLFSFiles(ctx, r)) {
		files[f.Filename] = f
	}
	check(len(files) == 2 && files["w1.bin"].Size == int64(len(a)), "ListLFSFiles: %+v", files)
	ok(api.PermanentlyDeleteLFSFiles(ctx, r, []string{files["w1.bin"].FileOID}, true), "PermanentlyDeleteLFSFiles")
	left := must(api.ListLFSFiles(ctx, r))
	check(len(left) == 1 && left[0].Filename == "dir/w2.bin", "ListLFSFiles after a delete: %+v", left)
	for _, c := range must(api.ListCommits(ctx, r, "")) {
		for _, f := range must(api.ListRepoFiles(ctx, r, c.ID)) {
			check(f != "w1.bin", "commit %s still names w1.bin", c.ID)
		}
	}
	assertRemote(r, map[string][]byte{"dir/w2.bin": b}, "")
}

func hubErrorTexts() {
	r := repoOf("texts", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	first := must(api.UploadFile(ctx, r, "a.txt", hub.FromBytes([]byte("a")), nil)).OID
	must(api.UploadFile(ctx, r, "b.txt", hub.FromBytes([]byte("b")), nil))
	_, err := api.CreateCommit(ctx, r, []hub.Operation{hub.Add("c.txt", hub.FromBytes([]byte("c")))},
		&hub.CommitOptions{Message: "stale", ParentCommit: first})
	wantErr(err, hub.ErrPreconditionFailed, 412, "a stale ParentCommit")
	wantText(err, "A commit has happened since. Please refresh and try again.")
	ok(api.CreateBranch(ctx, r, "dev", nil), "CreateBranch")
	err = api.CreateBranch(ctx, r, "dev", nil)
	wantErr(err, nil, 409, "an existing branch")
	wantText(err, "Reference refs/heads/dev already exists")
	ok(api.CreateBranch(ctx, r, "dev", &hub.CreateBranchOptions{ExistOK: true}), "CreateBranch(ExistOK)")
	wantText(api.DeleteBranch(ctx, r, "main"), "Cannot delete refs/heads/main")
	wantErr(api.CreateTag(ctx, r, "bad..name", &hub.CreateTagOptions{Revision: "no-such-rev"}), hub.ErrRevisionNotFound, 404,
		"CreateTag on a missing revision with a bad name")
	other := repoOf("texts-other", hub.Model)
	must(api.CreateRepo(ctx, other, nil))
	wantText(api.MoveRepo(ctx, other, r.ID), "A model repository called "+r.ID+" already exists")
}

// wantText checks that err's message holds text.
func wantText(err error, text string) {
	var he *hub.Error
	if !errors.As(err, &he) || !strings.Contains(he.Message, text) {
		failf("error %v does not say %q", err, text)
	}
}

// annotatedTagsAPI: CreateTag with a message makes an annotated tag, which
// ListRefs and revisions peel to its commit (the git column and the
// Python rows clone it).
func annotatedTagsAPI() {
	r := repoOf("annotated-tags", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	head := must(api.UploadFile(ctx, r, "a.txt", hub.FromBytes([]byte("a\n")), nil)).OID
	ok(api.CreateTag(ctx, r, "v-api", &hub.CreateTagOptions{Message: "Release from the SDK"}), "CreateTag(Message)")
	refs := must(api.ListRefs(ctx, r, false))
	check(len(refs.Tags) == 1 && refs.Tags[0].TargetCommit == head, "tags: %+v, want v-api at %s", refs.Tags, head)
	eq(download(r, "a.txt", "v-api"), []byte("a\n"), "download at the annotated tag")
	ok(api.DeleteTag(ctx, r, "v-api"), "DeleteTag")
	check(len(must(api.ListRefs(ctx, r, false)).Tags) == 0, "tags after DeleteTag")
}
