package main

// The "go" column: the rows of compat/python/scenarios.py through the hub
// SDK (and the wharf CLI for cli_upload and the CLI parts of the download
// rows; continuous.go has the pull request, scheduler and large-folder
// rows). Every upload is downloaded back and compared byte for byte.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/wharfhub/wharf/hub"
)

func init() {
	reg("go", "create_repo", createRepo)
	reg("go", "permissions", permissions)
	reg("go", "upload_file", uploadFile)
	reg("go", "readme_validate_yaml", readmeValidateYAML)
	reg("go", "upload_folder_gitignore", uploadFolderGitignore)
	reg("go", "upload_folder_patterns", uploadFolderPatterns)
	reg("go", "upload_folder_delete_patterns", uploadFolderDeletePatterns)
	reg("go", "create_commit_ops", createCommitOps)
	reg("go", "parent_commit", parentCommit)
	reg("go", "pull_request", pullRequest)
	reg("go", "branches_tags", branchesTags)
	reg("go", "lfs_basic", lfsBasic)
	reg("go", "lfs_multipart", lfsMultipart)
	reg("go", "lfs_multipart_repo", lfsMultipartRepo)
	reg("go", "preupload_shards", preuploadShards)
	reg("go", "run_as_future", runAsFuture)
	reg("go", "cli_upload", cliUpload)
	reg("go", "download_files", downloadFiles)
	reg("go", "snapshot_download", snapshotDownload)
	reg("go", "listing", listing)
	reg("go", "errors", errorsScenario)
	reg("go", "repo_id_case", repoIDCase)
	reg("go", "pr_merge", prMerge) // continuous.go
	reg("go", "super_squash", superSquash)
	reg("go", "commit_scheduler", commitScheduler)      // continuous.go
	reg("go", "upload_large_folder", uploadLargeFolder) // continuous.go
	reg("go", "pagination", pagination)
	reg("go", "git_repository", goGitRepository)
	reg("go", "repo_admin", repoAdmin)
	reg("go", "tree_expand", treeExpand)
	// Python rows the SDK has no counterpart for: reported as skips so the
	// table says why the cell is empty.
	for _, s := range [][2]string{
		{"hf_file_system", "fsspec (HfFileSystem) is Python only"},
	} {
		reg("go", s[0], func() { skip("%s", s[1]) })
	}
}

func createRepo() {
	for _, t := range []hub.RepoType{hub.Model, hub.Dataset, hub.Space} {
		r := repoOf("create-"+string(t), t)
		opts := &hub.CreateRepoOptions{}
		if t == hub.Space {
			opts.SpaceSDK = "gradio"
		}
		url := must(api.CreateRepo(ctx, r, opts))
		eq(url, webURL(r), "CreateRepo URL")
		// ExistOK twice: the 409 body carries the URL.
		for range 2 {
			again := must(api.CreateRepo(ctx, r, &hub.CreateRepoOptions{ExistOK: true, SpaceSDK: opts.SpaceSDK}))
			eq(again, url, "CreateRepo URL with ExistOK")
		}
		_, err := api.CreateRepo(ctx, r, opts)
		wantErr(err, hub.ErrConflict, 409, "CreateRepo on an existing repo")
		info := must(api.RepoInfo(ctx, r, nil))
		eq(info.ID, r.ID, "RepoInfo.ID")
		check(hex40.MatchString(info.SHA), "RepoInfo.SHA is %q", info.SHA)
		check(must(api.RepoExists(ctx, r)), "RepoExists(%s)", r.ID)
		eq(must(api.ListRepoFiles(ctx, r, "")), []string{".gitattributes"}, "files of a new repo")
	}
	// private: visible to alice (and her read token), not to bob or anonymous
	r := repoOf("private", hub.Model)
	must(api.CreateRepo(ctx, r, &hub.CreateRepoOptions{Private: ptr(true)}))
	eq(must(api.RepoInfo(ctx, r, nil)).Private, true, "RepoInfo.Private")
	eq(must(reader.RepoInfo(ctx, r, nil)).ID, r.ID, "private repo seen with alice's read token")
	_, err := bob.RepoInfo(ctx, r, nil)
	wantErr(err, hub.ErrRepoNotFound, 404, "bob reads alice's private repo")
	_, err = anon.RepoInfo(ctx, r, nil)
	wantErr(err, hub.ErrRepoNotFound, 0, "anonymous reads a private repo")
	check(!must(bob.RepoExists(ctx, r)), "RepoExists is true for bob")
	// organization namespace
	o := repoOf("org-model", hub.Model, "acme")
	eq(must(api.CreateRepo(ctx, o, nil)), webURL(o), "org repo URL")
	eq(must(api.RepoInfo(ctx, o, nil)).ID, o.ID, "org repo info")
	// ids the Hub refuses are refused before any request
	rec.reset()
	for _, bad := range []string{"alice/a--b", "alice/x.git", "no-namespace-but/too/many", "alice/" + strings.Repeat("x", 97)} {
		_, err := api.CreateRepo(ctx, hub.Repo{ID: bad}, nil)
		check(err != nil, "CreateRepo(%q) succeeded", bad)
	}
	eq(rec.count(func(string, string) bool { return true }), 0, "requests sent for invalid repo ids")
}

func permissions() {
	r := repoOf("perm", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	must(api.UploadFile(ctx, r, "a.txt", hub.FromBytes([]byte("alice\n")), nil))
	eq(must(reader.Whoami(ctx)).Name, "alice", "Whoami with the read token")
	_, err := reader.CreateRepo(ctx, repoOf("perm-ro", hub.Model), nil)
	wantErr(err, hub.ErrForbidden, 403, "CreateRepo with a read token")
	_, err = reader.UploadFile(ctx, r, "ro.txt", hub.FromBytes([]byte("x")), nil)
	wantErr(err, hub.ErrForbidden, 0, "UploadFile with a read token")
	_, err = bob.UploadFile(ctx, r, "bob.txt", hub.FromBytes([]byte("x")), nil)
	wantErr(err, hub.ErrForbidden, 0, "bob uploads to alice's repo")
	_, err = bob.CreateRepo(ctx, repoOf("bob-in-acme", hub.Model, "acme"), nil)
	wantErr(err, hub.ErrForbidden, 0, "bob creates a repo in acme")
	bad := newClient("hf_"+strings.Repeat("x", 34), false, nil)
	_, err = bad.Whoami(ctx)
	wantErr(err, hub.ErrUnauthorized, 401, "Whoami with an invalid token")
	_, err = bad.RepoInfo(ctx, r, nil)
	wantErr(err, hub.ErrUnauthorized, 401, "RepoInfo with an invalid token")
	who := must(api.Whoami(ctx))
	eq(who.Name, "alice", "Whoami name")
	eq(who.Fullname, "Alice Compat", "Whoami fullname")
	eq(who.Auth.AccessToken.Role, "write", "Whoami token role")
	eq(must(reader.Whoami(ctx)).Auth.AccessToken.Role, "read", "Whoami role of the read token")
	var orgs []string
	for _, o := range who.Orgs {
		orgs = append(orgs, o.Name)
	}
	check(slices.Contains(orgs, "acme"), "alice's orgs: %v", orgs)
	assertRemote(r, map[string][]byte{"a.txt": []byte("alice\n")}, "")
	// the CLI's whoami with HF_TOKEN
	res := run(work, []string{"HF_TOKEN=" + tokRead}, wharfBin, "whoami")
	check(res.code == 0, "wharf whoami: exit %d: %s", res.code, res.tail())
	check(strings.Contains(res.stdout, "alice"), "wharf whoami printed %q", res.stdout)
}

// notSeekable hides the ReaderAt of a reader (FromReader then spools it).
type notSeekable struct{ io.Reader }

func uploadFile() {
	r := repoOf("upload-file", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	local := filepath.Join(tmpdir("uf"), "local.txt")
	write(filepath.Dir(local), map[string][]byte{"local.txt": []byte("hello from a path\n")})
	c1 := must(api.UploadFile(ctx, r, "from_path.txt", must(hub.FromPath(local)), nil))
	check(hex40.MatchString(c1.OID), "commit oid %q", c1.OID)
	eq(c1.URL, E+"/"+r.ID+"/commit/"+c1.OID, "CommitInfo.URL")
	must(api.UploadFile(ctx, r, "dir/from_bytes.txt", hub.FromBytes([]byte("hello from bytes\n")), nil))
	blob := rand(10_000, "fileobj")
	must(api.UploadFile(ctx, r, "from_readerat.bin", hub.FromReader(bytes.NewReader(blob), int64(len(blob))), nil))
	streamed := rand(150_000, "stream")
	must(api.UploadFile(ctx, r, "from_stream.bin", hub.FromReader(notSeekable{bytes.NewReader(streamed)}, int64(len(streamed))), nil))
	f := must(os.Open(local))
	must(api.UploadFile(ctx, r, "dir/sub/from_open_file.txt", hub.FromReader(f, must(f.Stat()).Size()), nil))
	f.Close()
	must(api.UploadFile(ctx, r, "empty.txt", hub.FromBytes(nil), nil))
	// overwrite; an unchanged re-upload makes no commit
	must(api.UploadFile(ctx, r, "dir/from_bytes.txt", hub.FromBytes([]byte("hello again\n")), nil))
	n := len(titles(r, ""))
	same := must(api.UploadFile(ctx, r, "dir/from_bytes.txt", hub.FromBytes([]byte("hello again\n")), nil))
	eq(same.Skipped, true, "CommitInfo.Skipped of an unchanged re-upload")
	eq(same.OID, head(r, ""), "OID of a skipped commit is the head")
	eq(len(titles(r, "")), n, "commits after an unchanged re-upload")
	eq(titles(r, "")[0], "Upload dir/from_bytes.txt with huggingface_hub", "default commit title")
	// a reader shorter than announced fails and commits nothing
	_, err := api.UploadFile(ctx, r, "short.txt", hub.FromReader(notSeekable{strings.NewReader("abc")}, 5), nil)
	check(err != nil, "a reader of 3 bytes announced as 5 was committed")
	eq(len(titles(r, "")), n, "commits after a failed upload")
	// dataset + custom message and description
	d := repoOf("upload-file-ds", hub.Dataset)
	must(api.CreateRepo(ctx, d, nil))
	c := must(api.UploadFile(ctx, d, "data/train.csv", hub.FromBytes([]byte("a,b\n1,2\n")),
		&hub.CommitOptions{Message: "add train split", Description: "two rows"}))
	eq(c.URL, E+"/datasets/"+d.ID+"/commit/"+c.OID, "dataset commit URL")
	commits := must(api.ListCommits(ctx, d, ""))
	eq(commits[0].Title, "add train split", "commit title")
	msg := strings.TrimSpace(commits[0].Message)
	check(msg == "two rows" || msg == "add train split\n\ntwo rows", "commit message %q", commits[0].Message)
	assertRemote(d, map[string][]byte{"data/train.csv": []byte("a,b\n1,2\n")}, "")
	assertRemote(r, map[string][]byte{
		"from_path.txt":              []byte("hello from a path\n"),
		"dir/from_bytes.txt":         []byte("hello again\n"),
		"from_readerat.bin":          blob,
		"from_stream.bin":            streamed,
		"dir/sub/from_open_file.txt": []byte("hello from a path\n"),
		"empty.txt":                  {},
	}, "")
}

func validateYAMLCalls() int {
	return rec.count(func(m, p string) bool { return m == http.MethodPost && p == "/api/validate-yaml" })
}

func readmeValidateYAML() {
	r := repoOf("readme", hub.Dataset)
	must(api.CreateRepo(ctx, r, nil))
	readme := []byte("---\nlicense: mit\ntags:\n- compat\n---\n# Compat\n\nHello.\n")
	rec.reset()
	must(api.UploadFile(ctx, r, "README.md", hub.FromBytes(readme), nil))
	eq(validateYAMLCalls(), 1, "validate-yaml calls for README.md")
	h := head(r, "")
	bad := []byte("---\nlicense: mit\n# the metadata block is never closed\n")
	_, err := api.UploadFile(ctx, r, "README.md", hub.FromBytes(bad), nil)
	check(err != nil, "README.md with unclosed YAML metadata was committed")
	check(strings.Contains(err.Error(), "README.md"), "error does not name README.md: %v", err)
	eq(head(r, ""), h, "head after a refused README.md")
	rec.reset()
	must(api.UploadFile(ctx, r, "docs/README.md", hub.FromBytes(bad), nil))
	eq(validateYAMLCalls(), 0, "validate-yaml calls for docs/README.md")
	assertRemote(r, map[string][]byte{"README.md": readme, "docs/README.md": bad}, "")
}

func uploadFolderGitignore() {
	r := repoOf("folder-gitignore", hub.Space)
	must(api.CreateRepo(ctx, r, &hub.CreateRepoOptions{SpaceSDK: "gradio"}))
	root := tmpdir("space")
	files := map[string][]byte{
		".gitignore":     []byte("*.log\nsecret/\n"),
		"app.py":         []byte("import gradio\n"),
		"README.md":      []byte("---\ntitle: compat\nsdk: gradio\n---\n"),
		"data/x.txt":     []byte("x\n"),
		"data/y.json":    []byte("{\"y\": 1}\n"),
		"model.bin":      rand(50_000, "model.bin"),
		"sub/.gitignore": []byte("*.txt\n"), // nested .gitignore: not applied
		"sub/keep.txt":   []byte("keep\n"),
	}
	ignored := map[string][]byte{
		"debug.log":           []byte("ignored by .gitignore\n"),
		"data/deep/trace.log": []byte("ignored by .gitignore\n"),
		"secret/key.txt":      []byte("ignored by .gitignore\n"),
		".git/HEAD":           []byte("ref: refs/heads/main\n"),
		"sub/.git/config":     []byte("[core]\n"),
	}
	write(root, files)
	write(root, ignored)
	rec.reset()
	c := must(api.UploadFolder(ctx, r, root, nil))
	check(validateYAMLCalls() >= 1, "validate-yaml not called for a root README.md")
	eq(c.URL, E+"/spaces/"+r.ID+"/commit/"+c.OID, "UploadFolder commit URL")
	eq(titles(r, "")[0], "Upload folder using huggingface_hub", "default commit title")
	assertRemote(r, files, "")
	// the .gitignore now on the Hub keeps applying to later uploads
	write(root, map[string][]byte{"later.log": []byte("still ignored\n"), "later.txt": []byte("later\n")})
	must(api.UploadFolder(ctx, r, root, &hub.UploadFolderOptions{AllowPatterns: []string{"later.*"}}))
	want := maps.Clone(files)
	want["later.txt"] = []byte("later\n")
	assertRemote(r, want, "")
	// ... also when the local folder has no .gitignore
	other := tmpdir("space2")
	write(other, map[string][]byte{"again.log": []byte("ignored by the Hub's .gitignore\n"), "again.txt": []byte("again\n")})
	must(api.UploadFolder(ctx, r, other, nil))
	want["again.txt"] = []byte("again\n")
	assertRemote(r, want, "")
}

func uploadFolderPatterns() {
	r := repoOf("folder-patterns", hub.Dataset)
	must(api.CreateRepo(ctx, r, nil))
	root := tmpdir("ds")
	write(root, map[string][]byte{
		"a.csv":              []byte("a\n"),
		"logs/l1.txt":        []byte("l1\n"), // "**/logs/*.txt" needs a directory before logs/
		"nested/logs/l2.txt": []byte("l2\n"),
		"nested/keep.txt":    []byte("keep\n"),
		"notes.md":           []byte("notes\n"),
		"drafts/d.md":        []byte("draft\n"),
	})
	must(api.UploadFolder(ctx, r, root, &hub.UploadFolderOptions{
		PathInRepo: "my-dataset/train", IgnorePatterns: []string{"**/logs/*.txt"},
	}))
	base := map[string][]byte{
		"my-dataset/train/a.csv":           []byte("a\n"),
		"my-dataset/train/logs/l1.txt":     []byte("l1\n"),
		"my-dataset/train/nested/keep.txt": []byte("keep\n"),
		"my-dataset/train/notes.md":        []byte("notes\n"),
		"my-dataset/train/drafts/d.md":     []byte("draft\n"),
	}
	assertRemote(r, base, "")
	must(api.UploadFolder(ctx, r, root, &hub.UploadFolderOptions{
		PathInRepo: "md-only", AllowPatterns: []string{"*.md", "*.csv"}, IgnorePatterns: []string{"drafts/*"},
		CommitOptions: hub.CommitOptions{Message: "md and csv only"},
	}))
	want := maps.Clone(base)
	want["md-only/a.csv"] = []byte("a\n")
	want["md-only/notes.md"] = []byte("notes\n")
	assertRemote(r, want, "")
	eq(titles(r, "")[0], "md and csv only", "commit title")
}

func uploadFolderDeletePatterns() {
	r := repoOf("folder-delete", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	must(api.CreateCommit(ctx, r, []hub.Operation{
		hub.Add("experiment/logs/old1.txt", hub.FromBytes([]byte("old1\n"))),
		hub.Add("experiment/logs/old2.txt", hub.FromBytes([]byte("old2\n"))),
		hub.Add("experiment/logs/keep.csv", hub.FromBytes([]byte("keep\n"))),
		hub.Add("experiment/other.txt", hub.FromBytes([]byte("outside the folder\n"))),
	}, &hub.CommitOptions{Message: "seed logs"}))
	n := len(titles(r, ""))
	logs := tmpdir("logs")
	write(logs, map[string][]byte{"new1.txt": []byte("new1\n"), "new2.txt": []byte("new2\n"), "skip.bin": rand(100, "skip")})
	must(api.UploadFolder(ctx, r, logs, &hub.UploadFolderOptions{
		PathInRepo: "experiment/logs/", AllowPatterns: []string{"*.txt"}, DeletePatterns: []string{"*.txt"},
	}))
	eq(len(titles(r, "")), n+1, "commits after UploadFolder with DeletePatterns")
	assertRemote(r, map[string][]byte{
		"experiment/logs/new1.txt": []byte("new1\n"),
		"experiment/logs/new2.txt": []byte("new2\n"),
		"experiment/logs/keep.csv": []byte("keep\n"),
		"experiment/other.txt":     []byte("outside the folder\n"),
	}, "")
}

func createCommitOps() {
	r := repoOf("commit-ops", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	big := rand(300_000, "big.bin")
	must(api.CreateCommit(ctx, r, []hub.Operation{
		hub.Add("a.txt", hub.FromBytes([]byte("a\n"))),
		hub.Add("folder/x.txt", hub.FromBytes([]byte("x\n"))),
		hub.Add("folder/sub/y.txt", hub.FromBytes([]byte("y\n"))),
		hub.Add("reg.txt", hub.FromBytes([]byte("regular source\n"))),
		hub.Add("big.bin", hub.FromBytes(big)),
	}, &hub.CommitOptions{Message: "seed"}))
	ci := must(api.CreateCommit(ctx, r, []hub.Operation{
		hub.Add("new.txt", hub.FromBytes([]byte("new\n"))),
		hub.Delete("a.txt"),
		hub.Delete("folder/"),
		&hub.CopyOp{SrcPath: "reg.txt", DstPath: "copies/reg_copy.txt"},
		&hub.CopyOp{SrcPath: "big.bin", DstPath: "copies/big_copy.bin"},
	}, &hub.CommitOptions{Message: "add, delete file and folder, copy regular and LFS"}))
	eq(ci.URL, E+"/"+r.ID+"/commit/"+ci.OID, "commit URL")
	assertRemote(r, map[string][]byte{
		"new.txt":             []byte("new\n"),
		"reg.txt":             []byte("regular source\n"),
		"big.bin":             big,
		"copies/reg_copy.txt": []byte("regular source\n"),
		"copies/big_copy.bin": big,
	}, "")
	lfsTreeCheck(r, "big.bin", big)
	lfsTreeCheck(r, "copies/big_copy.bin", big)
	// copy from an older revision
	commits := must(api.ListCommits(ctx, r, ""))
	seed := commits[len(commits)-2]
	eq(seed.Title, "seed", "title of the seed commit")
	must(api.CreateCommit(ctx, r, []hub.Operation{
		&hub.CopyOp{SrcPath: "a.txt", DstPath: "restored.txt", SrcRevision: seed.ID},
	}, &hub.CommitOptions{Message: "restore a.txt"}))
	eq(download(r, "restored.txt", ""), []byte("a\n"), "file copied from an older revision")
	// deleting or copying a missing file is an error, and commits nothing
	h := head(r, "")
	_, err := api.CreateCommit(ctx, r, []hub.Operation{hub.Delete("nope.txt")}, &hub.CommitOptions{Message: "delete nothing"})
	wantErr(err, nil, 0, "delete a missing file")
	_, err = api.CreateCommit(ctx, r, []hub.Operation{&hub.CopyOp{SrcPath: "nope.bin", DstPath: "x.bin"}}, &hub.CommitOptions{Message: "copy nothing"})
	wantErr(err, nil, 0, "copy a missing file")
	eq(head(r, ""), h, "head after refused commits")
}

func parentCommit() {
	r := repoOf("parent", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	h := head(r, "")
	c1 := must(api.CreateCommit(ctx, r, []hub.Operation{hub.Add("one.txt", hub.FromBytes([]byte("1\n")))},
		&hub.CommitOptions{Message: "one", ParentCommit: h}))
	c2 := must(api.CreateCommit(ctx, r, []hub.Operation{hub.Add("two.txt", hub.FromBytes([]byte("2\n")))},
		&hub.CommitOptions{Message: "two", ParentCommit: c1.OID[:7]}))
	_, err := api.CreateCommit(ctx, r, []hub.Operation{hub.Add("three.txt", hub.FromBytes([]byte("3\n")))},
		&hub.CommitOptions{Message: "three", ParentCommit: h})
	wantErr(err, hub.ErrPreconditionFailed, 412, "CreateCommit with a stale ParentCommit")
	eq(head(r, ""), c2.OID, "head after a refused stale commit")
	assertRemote(r, map[string][]byte{"one.txt": []byte("1\n"), "two.txt": []byte("2\n")}, "")
}

func pullRequest() {
	r := repoOf("pr", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	must(api.UploadFile(ctx, r, "main.txt", hub.FromBytes([]byte("main\n")), nil))
	pr := must(api.CreateCommit(ctx, r, []hub.Operation{hub.Add("pr.txt", hub.FromBytes([]byte("from a PR\n")))},
		&hub.CommitOptions{Message: "open a PR", CreatePR: true}))
	check(regexp.MustCompile("^"+regexp.QuoteMeta(E+"/"+r.ID+"/discussions/")+`\d+$`).MatchString(pr.PRURL), "PRURL %q", pr.PRURL)
	eq(pr.PRRevision, fmt.Sprintf("refs/pr/%d", pr.PRNum), "PRRevision")
	// later commits go to refs/pr/N
	must(api.UploadFile(ctx, r, "pr2.txt", hub.FromBytes([]byte("second\n")), &hub.CommitOptions{Revision: pr.PRRevision}))
	must(api.CreateCommit(ctx, r, []hub.Operation{hub.Delete("main.txt")}, &hub.CommitOptions{Message: "delete on the PR", Revision: pr.PRRevision}))
	assertRemote(r, map[string][]byte{"pr.txt": []byte("from a PR\n"), "pr2.txt": []byte("second\n")}, pr.PRRevision)
	assertRemote(r, map[string][]byte{"main.txt": []byte("main\n")}, "")
	refs := must(api.ListRefs(ctx, r, true))
	var prs []string
	for _, p := range refs.PullRequests {
		prs = append(prs, p.Ref)
	}
	eq(prs, []string{pr.PRRevision}, "pull request refs")
	eq(titles(r, pr.PRRevision)[:3], []string{"delete on the PR", "Upload pr2.txt with huggingface_hub", "open a PR"}, "PR history")
	// UploadFolder with CreatePR too
	folder := tmpdir("prf")
	write(folder, map[string][]byte{"f.txt": []byte("f\n")})
	c := must(api.UploadFolder(ctx, r, folder, &hub.UploadFolderOptions{CommitOptions: hub.CommitOptions{CreatePR: true}}))
	check(c.PRNum != 0 && c.PRNum != pr.PRNum, "second PR number %d", c.PRNum)
	assertRemote(r, map[string][]byte{"main.txt": []byte("main\n"), "f.txt": []byte("f\n")}, c.PRRevision)
}

func refNames(refs []hub.GitRef) []string {
	out := []string{}
	for _, g := range refs {
		out = append(out, g.Name)
	}
	slices.Sort(out)
	return out
}

func branchesTags() {
	r := repoOf("refs", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	must(api.UploadFile(ctx, r, "f.txt", hub.FromBytes([]byte("v0\n")), nil))
	ok(api.CreateBranch(ctx, r, "dev", nil), "CreateBranch dev")
	ok(api.CreateBranch(ctx, r, "dev", &hub.CreateBranchOptions{ExistOK: true}), "CreateBranch dev ExistOK")
	wantErr(api.CreateBranch(ctx, r, "dev", nil), hub.ErrConflict, 409, "create an existing branch")
	must(api.UploadFile(ctx, r, "f.txt", hub.FromBytes([]byte("v1\n")), &hub.CommitOptions{Revision: "dev"}))
	eq(download(r, "f.txt", ""), []byte("v0\n"), "main after a commit on dev")
	eq(download(r, "f.txt", "dev"), []byte("v1\n"), "dev")
	// a branch with a slash
	ok(api.CreateBranch(ctx, r, "feature/x", &hub.CreateBranchOptions{Revision: "dev"}), "CreateBranch feature/x")
	must(api.UploadFile(ctx, r, "g.txt", hub.FromBytes([]byte("feature\n")), &hub.CommitOptions{Revision: "feature/x"}))
	assertRemote(r, map[string][]byte{"f.txt": []byte("v1\n"), "g.txt": []byte("feature\n")}, "feature/x")
	// tags
	ok(api.CreateTag(ctx, r, "v1.0", &hub.CreateTagOptions{Revision: "dev", Message: "first"}), "CreateTag")
	ok(api.CreateTag(ctx, r, "v1.0", &hub.CreateTagOptions{ExistOK: true}), "CreateTag ExistOK")
	wantErr(api.CreateTag(ctx, r, "v1.0", nil), hub.ErrConflict, 409, "create an existing tag")
	eq(download(r, "f.txt", "v1.0"), []byte("v1\n"), "file at tag v1.0")
	refs := must(api.ListRefs(ctx, r, false))
	eq(refNames(refs.Branches), []string{"dev", "feature/x", "main"}, "branches")
	eq(refNames(refs.Tags), []string{"v1.0"}, "tags")
	devHead := head(r, "dev")
	eq(refs.Tags[0].TargetCommit, devHead, "tag target")
	eq(download(r, "f.txt", devHead), []byte("v1\n"), "file at a commit sha")
	ok(api.DeleteTag(ctx, r, "v1.0"), "DeleteTag")
	ok(api.DeleteBranch(ctx, r, "feature/x"), "DeleteBranch")
	refs = must(api.ListRefs(ctx, r, false))
	eq(refNames(refs.Branches), []string{"dev", "main"}, "branches after delete")
	eq(refNames(refs.Tags), []string{}, "tags after delete")
	var buf bytes.Buffer
	_, err := api.Download(ctx, r, "g.txt", &buf, &hub.DownloadOptions{Revision: "feature/x"})
	wantErr(err, hub.ErrRevisionNotFound, 404, "download from a deleted branch")
	wantErr(api.DeleteBranch(ctx, r, "main"), nil, 0, "delete the default branch")
}

func lfsBasic() {
	r := repoOf("lfs-basic", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	content := rand(3<<20+17, "lfs-basic")
	dir := tmpdir("lfs")
	write(dir, map[string][]byte{"model.safetensors": content})
	rec.reset()
	add := hub.Add("weights/model.safetensors", must(hub.FromPath(filepath.Join(dir, "model.safetensors"))))
	must(api.CreateCommit(ctx, r, []hub.Operation{add}, &hub.CommitOptions{Message: "weights"}))
	eq(add.IsLFS(), true, "AddOp.IsLFS")
	eq(add.SHA256(), sha(content), "AddOp.SHA256")
	if xetOn {
		// One xorb, or none when another column uploaded the same bytes
		// (global dedup); the tree check below proves it went through Xet.
		check(uploads() <= 1, "xorbs for one file: %d", uploads())
	} else {
		eq(uploads(), 1, "LFS uploads (one basic transfer)")
	}
	sdkTreeCheck(r, "weights/model.safetensors", content)
	info := must(api.RepoInfo(ctx, r, &hub.RepoInfoOptions{FilesMetadata: true}))
	var sib *hub.Sibling
	for i := range info.Siblings {
		if info.Siblings[i].Path == "weights/model.safetensors" {
			sib = &info.Siblings[i]
		}
	}
	check(sib != nil && sib.Size != nil && sib.LFS != nil, "sibling of weights/model.safetensors: %+v", sib)
	eq(*sib.Size, int64(len(content)), "sibling size")
	eq(sib.LFS.SHA256, sha(content), "sibling lfs sha256")
	attrs := string(download(r, ".gitattributes", ""))
	check(strings.Contains(attrs, "*.safetensors filter=lfs"), ".gitattributes lacks *.safetensors: %.200s", attrs)
	// binary content at a path no rule covers: the server picks LFS and adds a rule
	odd := rand(200_000, "odd")
	must(api.UploadFile(ctx, r, "data/blob.xyz", hub.FromBytes(odd), nil))
	sdkTreeCheck(r, "data/blob.xyz", odd)
	attrs = string(download(r, ".gitattributes", ""))
	check(regexp.MustCompile(`(?m)^/?data/blob\.xyz filter=lfs`).MatchString(attrs), ".gitattributes has no rule for data/blob.xyz")
	// overwrite an LFS file with new LFS content
	odd2 := rand(210_000, "odd2")
	must(api.UploadFile(ctx, r, "data/blob.xyz", hub.FromBytes(odd2), nil))
	sdkTreeCheck(r, "data/blob.xyz", odd2)
	// content already in LFS storage is not sent again
	rec.reset()
	must(api.UploadFile(ctx, r, "copy/model.safetensors", hub.FromBytes(content), nil))
	eq(uploads(), 0, "uploads of content already stored")
	assertRemote(r, map[string][]byte{
		"weights/model.safetensors": content, "copy/model.safetensors": content, "data/blob.xyz": odd2,
	}, "")
}

const thresh = 1 << 20

// scaleOut: the server runs as at scale (S3): LFS parts go to the bucket
// and are at least 5 MiB.
var scaleOut = os.Getenv("WHARF_COMPAT_SCALEOUT") == "1"

// partSize is the multipart part size the server picks for a repo with the
// 1 MiB threshold, and mpSize content that needs several parts.
func partSize() int {
	if scaleOut {
		return 5 << 20
	}
	return thresh
}

func mpSize() int { return 2*partSize() + thresh }

func multipartUpload(r hub.Repo, content []byte, path string) {
	rec.reset()
	var mu sync.Mutex
	var progress int64
	opts := &hub.CommitOptions{Progress: func(p hub.Progress) {
		mu.Lock()
		progress = max(progress, p.Sent)
		mu.Unlock()
	}}
	must(api.UploadFile(ctx, r, path, hub.FromBytes(content), opts))
	if xetOn {
		// Xet replaces LFS multipart: the chunks go in a xorb whatever the threshold.
		check(uploads() <= 1, "xorbs of the file: %d", uploads())
	} else {
		puts := lfsPuts()
		check(puts >= 2, "multipart upload used %d PUT(s), want one per part", puts)
		eq(puts, (len(content)+partSize()-1)/partSize(), "parts of the server's part size")
	}
	eq(progress, int64(len(content)), "progress at the end")
	sdkTreeCheck(r, path, content)
	assertRemote(r, map[string][]byte{path: content}, "")
}

func lfsMultipart() {
	r := repoOf("lfs-multipart", hub.Model)
	must(api.CreateRepo(ctx, r, &hub.CreateRepoOptions{LFSMultipartThreshold: thresh}))
	multipartUpload(r, rand(mpSize()+12345, "multipart-hook"), "big/multipart.bin")
}

func lfsMultipartRepo() {
	r := repoOf("lfs-multipart-raw", hub.Model)
	rawCreateRepo(r, map[string]any{"lfsmultipartthresh": thresh})
	multipartUpload(r, rand(mpSize()+999, "multipart-raw"), "big/multipart.bin")
}

func preuploadShards() {
	r := repoOf("shards", hub.Dataset)
	must(api.CreateRepo(ctx, r, nil))
	n0 := len(titles(r, ""))
	var ops []hub.Operation
	want := map[string][]byte{}
	for i := range 5 {
		content := rand(200_000+i, fmt.Sprintf("shard%d", i))
		name := fmt.Sprintf("shard_%d_of_5.bin", i)
		want[name] = content
		op := hub.Add(name, hub.FromBytes(content))
		ok(api.PreuploadLFSFiles(ctx, r, []*hub.AddOp{op}, nil), "PreuploadLFSFiles")
		check(op.IsLFS(), "shard %d is not LFS", i)
		check(op.Content == nil, "shard %d still holds its content after the preupload", i)
		ops = append(ops, op)
	}
	eq(len(titles(r, "")), n0, "commits before CreateCommit")
	eq(must(api.ListRepoFiles(ctx, r, "")), []string{".gitattributes"}, "files before CreateCommit")
	rec.reset()
	must(api.CreateCommit(ctx, r, ops, &hub.CommitOptions{Message: "Commit all shards"}))
	eq(uploads(), 0, "uploads at commit time")
	ts := titles(r, "")
	eq(len(ts), n0+1, "commits after CreateCommit")
	eq(ts[0], "Commit all shards", "commit title")
	assertRemote(r, want, "")
}

func runAsFuture() {
	r := repoOf("futures", hub.Model)
	futRepo := hub.RunAsFuture(api, func() (string, error) {
		return api.CreateRepo(ctx, r, &hub.CreateRepoOptions{ExistOK: true})
	})
	var futures []*hub.Future[*hub.CommitInfo]
	for i := range 5 {
		futures = append(futures, hub.RunAsFuture(api, func() (*hub.CommitInfo, error) {
			return api.UploadFile(ctx, r, fmt.Sprintf("f%d.txt", i), hub.FromBytes(fmt.Appendf(nil, "content %d\n", i)),
				&hub.CommitOptions{Message: fmt.Sprintf("future %d", i)})
		}))
	}
	folder := tmpdir("fut")
	write(folder, map[string][]byte{"folder/a.txt": []byte("a\n")})
	futures = append(futures, hub.RunAsFuture(api, func() (*hub.CommitInfo, error) {
		return api.UploadFolder(ctx, r, folder, &hub.UploadFolderOptions{CommitOptions: hub.CommitOptions{Message: "future folder"}})
	}))
	eq(must(futRepo.Wait()), webURL(r), "queued CreateRepo")
	var oids []string
	for _, f := range futures {
		oids = append(oids, must(f.Wait()).OID)
	}
	commits := must(api.ListCommits(ctx, r, ""))
	var ts, ids []string
	for _, c := range commits[:6] {
		ts = append(ts, c.Title)
		ids = append(ids, c.ID)
	}
	eq(ts, []string{"future folder", "future 4", "future 3", "future 2", "future 1", "future 0"}, "history order")
	slices.Reverse(oids)
	eq(ids, oids, "commit ids in submission order")
	want := map[string][]byte{"folder/a.txt": []byte("a\n")}
	for i := range 5 {
		want[fmt.Sprintf("f%d.txt", i)] = fmt.Appendf(nil, "content %d\n", i)
	}
	assertRemote(r, want, "")
}

// cliURL is the last line the CLI printed: the commit URL.
func cliURL(res cmdResult) string {
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func wantCommitURL(res cmdResult, r hub.Repo, what string) {
	u := cliURL(res)
	check(regexp.MustCompile("^"+regexp.QuoteMeta(webURL(r)+"/commit/")+"[0-9a-f]{40}$").MatchString(u), "%s: printed URL %q", what, u)
	eq(strings.TrimPrefix(u, webURL(r)+"/commit/"), head(r, ""), what+": printed commit is the head")
}

func cliUpload() {
	cwd := tmpdir("cli")
	r := repoOf("cli-model", hub.Model)
	// 1. a file with an explicit PATH_IN_REPO (the repo is created)
	weights := rand(70_000, "cli-weights")
	write(cwd, map[string][]byte{"models/model.safetensors": weights, "models/config.json": []byte("{\"a\": 1}\n")})
	res := wharf(cwd, "upload", r.ID, "./models/model.safetensors", "model.safetensors", "--quiet")
	check(res.code == 0, "upload file: exit %d: %s", res.code, res.tail())
	wantCommitURL(res, r, "upload file")
	eq(titles(r, "")[0], "Upload model.safetensors with huggingface_hub", "default title of a file upload")
	// 2. a folder to the root
	res = wharf(cwd, "upload", r.ID, "./models", ".", "--quiet")
	check(res.code == 0, "upload folder: exit %d: %s", res.code, res.tail())
	wantCommitURL(res, r, "upload folder")
	assertRemote(r, map[string][]byte{"model.safetensors": weights, "config.json": []byte("{\"a\": 1}\n")}, "")
	// 3. inference: a local folder named like the repo, then a local file
	name := prefix + "-cli-infer-folder"
	write(cwd, map[string][]byte{name + "/inferred.txt": []byte("from the inferred folder\n")})
	res = wharf(cwd, "upload", "alice/"+name, "--quiet")
	check(res.code == 0, "upload (folder inferred): exit %d: %s", res.code, res.tail())
	rf := hub.Repo{ID: "alice/" + name}
	wantCommitURL(res, rf, "upload (folder inferred)")
	assertRemote(rf, map[string][]byte{"inferred.txt": []byte("from the inferred folder\n")}, "")
	fname := prefix + "-cli-infer-file"
	write(cwd, map[string][]byte{fname: []byte("from the inferred file\n")})
	res = wharf(cwd, "upload", "alice/"+fname, "--quiet")
	check(res.code == 0, "upload (file inferred): exit %d: %s", res.code, res.tail())
	assertRemote(hub.Repo{ID: "alice/" + fname}, map[string][]byte{fname: []byte("from the inferred file\n")}, "")
	res = wharf(cwd, "upload", "alice/"+prefix+"-cli-nothing-here", "--quiet")
	check(res.code != 0, "upload with nothing to infer succeeded: %s", res.stdout)
	check(!must(api.RepoExists(ctx, repoOf("cli-nothing-here", hub.Model))), "a repo was created by a failed upload")
	// 4. --include/--exclude/--delete, --commit-message
	r2 := repoOf("cli-filters", hub.Model)
	must(api.CreateRepo(ctx, r2, nil))
	must(api.CreateCommit(ctx, r2, []hub.Operation{
		hub.Add("old/a.txt", hub.FromBytes([]byte("old a\n"))),
		hub.Add("old/b.txt", hub.FromBytes([]byte("old b\n"))),
		hub.Add("keep.md", hub.FromBytes([]byte("keep\n"))),
	}, &hub.CommitOptions{Message: "seed"}))
	write(cwd, map[string][]byte{"filt/new.txt": []byte("new\n"), "filt/skip_me.txt": []byte("skip\n"), "filt/other.md": []byte("other\n")})
	res = wharf(cwd, "upload", r2.ID, "./filt", ".", "--include", "*.txt", "--exclude", "skip*", "--delete", "old/*",
		"--quiet", "--commit-message", "filtered upload")
	check(res.code == 0, "upload with filters: exit %d: %s", res.code, res.tail())
	wantCommitURL(res, r2, "upload with filters")
	assertRemote(r2, map[string][]byte{"keep.md": []byte("keep\n"), "new.txt": []byte("new\n")}, "")
	eq(titles(r2, "")[0], "filtered upload", "--commit-message")
	// 5. dataset, private, a new branch via --revision
	r3 := repoOf("cli-ds", hub.Dataset)
	write(cwd, map[string][]byte{"train.csv": []byte("a\n1\n")})
	res = wharf(cwd, "upload", r3.ID, "./train.csv", "data/train.csv", "--repo-type", "dataset", "--private", "--quiet")
	check(res.code == 0, "upload dataset: exit %d: %s", res.code, res.tail())
	wantCommitURL(res, r3, "upload dataset")
	eq(must(api.RepoInfo(ctx, r3, nil)).Private, true, "--private")
	res = wharf(cwd, "upload", r3.ID, "./train.csv", "data/dev.csv", "--repo-type", "dataset", "--revision", "dev-cli", "--quiet")
	check(res.code == 0, "upload to a new branch: exit %d: %s", res.code, res.tail())
	check(strings.HasPrefix(cliURL(res), webURL(r3)+"/commit/"), "upload to a new branch: printed URL %q", cliURL(res))
	eq(strings.TrimPrefix(cliURL(res), webURL(r3)+"/commit/"), head(r3, "dev-cli"), "printed commit is the head of dev-cli")
	assertRemote(r3, map[string][]byte{"data/train.csv": []byte("a\n1\n")}, "")
	assertRemote(r3, map[string][]byte{"data/train.csv": []byte("a\n1\n"), "data/dev.csv": []byte("a\n1\n")}, "dev-cli")
	// 6. --create-pr prints the commit URL (on the PR) and opens a PR
	res = wharf(cwd, "upload", r2.ID, "./filt/other.md", "pr.md", "--create-pr", "--quiet")
	check(res.code == 0, "upload --create-pr: exit %d: %s", res.code, res.tail())
	refs := must(api.ListRefs(ctx, r2, true))
	check(len(refs.PullRequests) == 1, "pull requests after --create-pr: %+v", refs.PullRequests)
	eq(cliURL(res), webURL(r2)+"/commit/"+refs.PullRequests[0].TargetCommit, "printed URL of --create-pr")
	assertRemote(r2, map[string][]byte{"keep.md": []byte("keep\n"), "new.txt": []byte("new\n"), "pr.md": []byte("other\n")}, refs.PullRequests[0].Ref)
}

func downloadFiles() {
	r := repoOf("download", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	lfsContent := rand(2<<20+5, "dl-lfs")
	var text []byte
	for i := range 20_000 {
		text = fmt.Appendf(text, "line %d\n", i)
	}
	files := map[string][]byte{
		"small.txt":                    []byte("small\n"),
		"big.txt":                      text,
		"nested/dir/file.txt":          []byte("nested\n"),
		"dir with space/file ü #1.txt": []byte("weird name\n"),
		"weights.bin":                  lfsContent,
	}
	var ops []hub.Operation
	for _, p := range slices.Sorted(maps.Keys(files)) {
		ops = append(ops, hub.Add(p, hub.FromBytes(files[p])))
	}
	must(api.CreateCommit(ctx, r, ops, &hub.CommitOptions{Message: "download fixtures"}))
	sha1 := head(r, "")
	for p, c := range files {
		var buf bytes.Buffer
		meta := must(api.Download(ctx, r, p, &buf, nil))
		eq(buf.Bytes(), c, "Download "+p)
		eq(meta.Commit, sha1, "FileMetadata.Commit of "+p)
		eq(meta.Size, int64(len(c)), "FileMetadata.Size of "+p)
		if p == "weights.bin" {
			eq(meta.ETag, sha(c), "ETag of an LFS file")
		} else {
			eq(meta.ETag, gitBlobSHA1(c), "ETag of a regular file "+p)
		}
	}
	eq(download(r, "small.txt", sha1), []byte("small\n"), "download at a commit sha")
	// DownloadFile to a local path
	local := tmpdir("localdir")
	dst := filepath.Join(local, "nested/dir/file.txt")
	must(api.DownloadFile(ctx, r, "nested/dir/file.txt", dst, nil))
	eq(readFile(dst), []byte("nested\n"), "DownloadFile")
	must(api.DownloadFile(ctx, r, "weights.bin", filepath.Join(local, "w.bin"), &hub.DownloadOptions{Revision: sha1}))
	eq(sha(readFile(filepath.Join(local, "w.bin"))), sha(lfsContent), "DownloadFile of an LFS file")
	// the server's Range answers (what resumed downloads rely on)
	for _, p := range []string{"weights.bin", "big.txt"} {
		content := files[p]
		half := len(content) / 3
		status, h, body := rawHTTP(http.MethodGet, "/"+r.ID+"/resolve/main/"+p, "", map[string]string{"Range": fmt.Sprintf("bytes=%d-", half)}, nil)
		eq(status, 206, "status of a ranged GET of "+p)
		eq(h.Get("Content-Range"), fmt.Sprintf("bytes %d-%d/%d", half, len(content)-1, len(content)), "Content-Range")
		eq(sha(body), sha(content[half:]), "ranged body of "+p)
	}
	// the CLI: files to --local-dir, several files pinned to one commit
	cwd := tmpdir("dlcli")
	res := wharf(cwd, "download", r.ID, "weights.bin", "dir with space/file ü #1.txt", "--local-dir", "out", "--quiet")
	check(res.code == 0, "wharf download FILES: exit %d: %s", res.code, res.tail())
	eq(strings.Split(strings.TrimSpace(res.stdout), "\n"), []string{"out/weights.bin", "out/dir with space/file ü #1.txt"}, "printed paths")
	eq(sha(readFile(filepath.Join(cwd, "out/weights.bin"))), sha(lfsContent), "wharf download weights.bin")
	eq(readFile(filepath.Join(cwd, "out/dir with space/file ü #1.txt")), []byte("weird name\n"), "wharf download of a weird name")
	res = wharf(cwd, "download", r.ID, "small.txt", "--revision", sha1)
	check(res.code == 0, "wharf download --revision: exit %d: %s", res.code, res.tail())
	eq(readFile(filepath.Join(cwd, "small.txt")), []byte("small\n"), "wharf download --revision SHA")
	res = wharf(cwd, "download", r.ID, "missing.txt")
	check(res.code != 0, "wharf download of a missing file succeeded")
	_, err := os.Stat(filepath.Join(cwd, "missing.txt"))
	check(errors.Is(err, os.ErrNotExist), "a failed download left missing.txt behind")
}

func snapshotDownload() {
	r := repoOf("snapshot", hub.Dataset)
	must(api.CreateRepo(ctx, r, nil))
	files := map[string][]byte{
		"README.md":       []byte("# snap\n"),
		"data/a.txt":      []byte("a\n"),
		"data/b.csv":      []byte("b\n"),
		"data/deep/c.txt": []byte("c\n"),
		"blob.bin":        rand(500_000, "snap"),
	}
	var ops []hub.Operation
	for p, c := range files {
		ops = append(ops, hub.Add(p, hub.FromBytes(c)))
	}
	must(api.CreateCommit(ctx, r, ops, &hub.CommitOptions{Message: "snap"}))
	h := head(r, "")
	attrs := download(r, ".gitattributes", "")
	all := maps.Clone(files)
	all[".gitattributes"] = attrs
	local := func(dir string) map[string][]byte {
		got := map[string][]byte{}
		ok(filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				if d != nil && d.IsDir() && d.Name() == ".cache" {
					return filepath.SkipDir
				}
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			got[filepath.ToSlash(rel)] = readFile(p)
			return nil
		}), "walk")
		return got
	}
	sameFiles := func(got, want map[string][]byte, what string) {
		eq(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)), what+": files")
		for p, c := range want {
			eq(sha(got[p]), sha(c), what+": "+p)
		}
	}
	// SDK
	d := filepath.Join(tmpdir("snap"), "all")
	eq(must(api.SnapshotDownload(ctx, r, d, nil)), h, "SnapshotDownload returns the commit")
	sameFiles(local(d), all, "SnapshotDownload")
	d2 := filepath.Join(tmpdir("snap"), "txt")
	must(api.SnapshotDownload(ctx, r, d2, &hub.SnapshotOptions{AllowPatterns: []string{"*.txt"}}))
	sameFiles(local(d2), map[string][]byte{"data/a.txt": files["data/a.txt"], "data/deep/c.txt": files["data/deep/c.txt"]}, "SnapshotDownload AllowPatterns")
	d3 := filepath.Join(tmpdir("snap"), "nobin")
	must(api.SnapshotDownload(ctx, r, d3, &hub.SnapshotOptions{IgnorePatterns: []string{"*.bin", ".gitattributes"}}))
	want := maps.Clone(files)
	delete(want, "blob.bin")
	sameFiles(local(d3), want, "SnapshotDownload IgnorePatterns")
	// a later commit does not change a snapshot pinned to a revision
	must(api.UploadFile(ctx, r, "data/a.txt", hub.FromBytes([]byte("changed\n")), nil))
	d4 := filepath.Join(tmpdir("snap"), "pinned")
	eq(must(api.SnapshotDownload(ctx, r, d4, &hub.SnapshotOptions{Revision: h})), h, "SnapshotDownload at a sha")
	sameFiles(local(d4), all, "SnapshotDownload at a sha")
	// CLI: wharf download without FILEs
	cwd := tmpdir("snapcli")
	res := wharf(cwd, "download", r.ID, "--repo-type", "dataset", "--quiet")
	check(res.code == 0, "wharf download REPO: exit %d: %s", res.code, res.tail())
	name := r.ID[strings.Index(r.ID, "/")+1:]
	eq(strings.TrimSpace(res.stdout), name, "wharf download REPO prints its folder")
	now := maps.Clone(all)
	now["data/a.txt"] = []byte("changed\n")
	sameFiles(local(filepath.Join(cwd, name)), now, "wharf download REPO")
	res = wharf(cwd, "download", r.ID, "--repo-type", "dataset", "--revision", h, "--include", "data/*", "--exclude", "*.csv", "--local-dir", "sel", "--quiet")
	check(res.code == 0, "wharf download --include/--exclude: exit %d: %s", res.code, res.tail())
	eq(strings.TrimSpace(res.stdout), "sel", "wharf download --local-dir prints it")
	sameFiles(local(filepath.Join(cwd, "sel")), map[string][]byte{"data/a.txt": []byte("a\n"), "data/deep/c.txt": []byte("c\n")}, "wharf download --include/--exclude")
}

func listing() {
	r := repoOf("listing", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	big := rand(100_000, "listing")
	files := map[string][]byte{"a.txt": []byte("a\n"), "nested/b.txt": []byte("bb\n"), "nested/deeper/c.bin": big, "z.json": []byte("{}\n")}
	var ops []hub.Operation
	for p, c := range files {
		ops = append(ops, hub.Add(p, hub.FromBytes(c)))
	}
	must(api.CreateCommit(ctx, r, ops, &hub.CommitOptions{Message: "tree"}))
	got := must(api.ListRepoFiles(ctx, r, ""))
	slices.Sort(got)
	eq(got, []string{".gitattributes", "a.txt", "nested/b.txt", "nested/deeper/c.bin", "z.json"}, "ListRepoFiles")
	byPath := func(es []hub.TreeEntry) map[string]hub.TreeEntry {
		m := map[string]hub.TreeEntry{}
		for _, e := range es {
			m[e.Path] = e
		}
		return m
	}
	root := byPath(must(api.ListRepoTree(ctx, r, nil)))
	eq(slices.Sorted(maps.Keys(root)), []string{".gitattributes", "a.txt", "nested", "z.json"}, "tree of the root")
	check(root["nested"].IsDir(), "nested is %+v", root["nested"])
	check(!root["a.txt"].IsDir(), "a.txt is %+v", root["a.txt"])
	eq(root["a.txt"].Size, int64(2), "size of a.txt")
	eq(root["a.txt"].OID, gitBlobSHA1([]byte("a\n")), "blob id of a.txt")
	sub := byPath(must(api.ListRepoTree(ctx, r, &hub.ListTreeOptions{Path: "nested"})))
	eq(slices.Sorted(maps.Keys(sub)), []string{"nested/b.txt", "nested/deeper"}, "tree of nested/")
	deep := byPath(must(api.ListRepoTree(ctx, r, &hub.ListTreeOptions{Path: "nested/deeper"})))
	eq(slices.Sorted(maps.Keys(deep)), []string{"nested/deeper/c.bin"}, "tree of nested/deeper")
	recur := byPath(must(api.ListRepoTree(ctx, r, &hub.ListTreeOptions{Recursive: true})))
	eq(slices.Sorted(maps.Keys(recur)), []string{".gitattributes", "a.txt", "nested", "nested/b.txt", "nested/deeper", "nested/deeper/c.bin", "z.json"}, "recursive tree")
	c := recur["nested/deeper/c.bin"]
	check(c.LFS != nil, "c.bin is not LFS")
	eq([]any{c.Size, c.LFS.OID, c.LFS.Size}, []any{int64(len(big)), sha(big), int64(len(big))}, "LFS entry")
	_, err := api.ListRepoTree(ctx, r, &hub.ListTreeOptions{Path: "missing"})
	wantErr(err, hub.ErrEntryNotFound, 404, "tree of a missing folder")
	info := must(api.RepoInfo(ctx, r, &hub.RepoInfoOptions{FilesMetadata: true}))
	sizes := map[string]int64{}
	for _, s := range info.Siblings {
		if s.Size != nil {
			sizes[s.Path] = *s.Size
		}
	}
	for p, c := range files {
		eq(sizes[p], int64(len(c)), "sibling size of "+p)
	}
	check(must(api.RepoExists(ctx, r)), "RepoExists")
	check(!must(api.RepoExists(ctx, repoOf("no-such-repo", hub.Model))), "RepoExists of a missing repo")
	commits := must(api.ListCommits(ctx, r, ""))
	eq([]string{commits[0].Title, commits[1].Title}, []string{"tree", "initial commit"}, "ListCommits")
	eq(len(commits), 2, "number of commits")
	for _, c := range commits {
		check(hex40.MatchString(c.ID), "commit id %q", c.ID)
		check(!c.Date.IsZero(), "commit %s has no date", c.ID)
	}
	check(len(commits[0].Authors) == 1 && commits[0].Authors[0].User == "alice", "commit authors %+v", commits[0].Authors)
	// the CLI's repo ls -R and repo info
	res := wharf(work, "repo", "ls", r.ID, "-R")
	check(res.code == 0, "wharf repo ls: exit %d: %s", res.code, res.tail())
	for _, p := range []string{"a.txt", "nested/b.txt", "nested/deeper/c.bin", "z.json"} {
		check(strings.Contains(res.stdout, p), "wharf repo ls -R does not list %s: %s", p, res.stdout)
	}
	res = wharf(work, "repo", "info", r.ID)
	check(res.code == 0, "wharf repo info: exit %d: %s", res.code, res.tail())
	check(strings.Contains(res.stdout, info.SHA), "wharf repo info does not show the head %s: %s", info.SHA, res.stdout)
}

func errorsScenario() {
	r := repoOf("errors", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	must(api.UploadFile(ctx, r, "x.txt", hub.FromBytes([]byte("x\n")), nil))
	must(api.UploadFile(ctx, r, "dir/n.txt", hub.FromBytes([]byte("n\n")), nil))
	missing := repoOf("does-not-exist", hub.Model)
	var buf bytes.Buffer
	_, err := api.Download(ctx, missing, "x.txt", &buf, nil)
	wantErr(err, hub.ErrRepoNotFound, 404, "Download from a missing repo")
	var he *hub.Error
	check(errors.As(err, &he) && he.Code == "RepoNotFound" && he.Method != "" && he.URL != "", "hub.Error fields: %+v", he)
	_, err = api.RepoInfo(ctx, missing, nil)
	wantErr(err, hub.ErrRepoNotFound, 404, "RepoInfo of a missing repo")
	_, err = api.UploadFile(ctx, missing, "x.txt", hub.FromBytes([]byte("x")), nil)
	wantErr(err, hub.ErrRepoNotFound, 404, "UploadFile to a missing repo")
	_, err = api.ListRepoFiles(ctx, hub.Repo{ID: r.ID, Type: hub.Dataset}, "")
	wantErr(err, hub.ErrRepoNotFound, 404, "ListRepoFiles of a missing dataset")
	_, err = api.Download(ctx, r, "x.txt", &buf, &hub.DownloadOptions{Revision: "no-such-branch"})
	wantErr(err, hub.ErrRevisionNotFound, 404, "Download from a missing revision")
	_, err = api.RepoInfo(ctx, r, &hub.RepoInfoOptions{Revision: "no-such-branch"})
	wantErr(err, hub.ErrRevisionNotFound, 404, "RepoInfo of a missing revision")
	_, err = api.UploadFile(ctx, r, "y.txt", hub.FromBytes([]byte("x")), &hub.CommitOptions{Revision: "no-such-branch"})
	wantErr(err, hub.ErrRevisionNotFound, 404, "UploadFile to a missing branch")
	_, err = api.Download(ctx, r, "no-such-file.txt", &buf, nil)
	wantErr(err, hub.ErrEntryNotFound, 404, "Download of a missing file")
	_, err = api.Download(ctx, r, "dir", &buf, nil)
	wantErr(err, hub.ErrEntryNotFound, 404, "Download of a folder")
	eq(buf.Len(), 0, "bytes written by failed downloads")
	p := repoOf("errors-private", hub.Model)
	must(api.CreateRepo(ctx, p, &hub.CreateRepoOptions{Private: ptr(true)}))
	must(api.UploadFile(ctx, p, "s.txt", hub.FromBytes([]byte("s\n")), nil))
	_, err = anon.Download(ctx, p, "s.txt", &buf, nil)
	wantErr(err, hub.ErrRepoNotFound, 0, "anonymous download from a private repo")
	_, err = bob.Download(ctx, p, "s.txt", &buf, nil)
	wantErr(err, hub.ErrRepoNotFound, 404, "bob downloads from a private repo")
	_, err = api.UploadFile(ctx, r, "../escape.txt", hub.FromBytes([]byte("x")), nil)
	check(err != nil, "UploadFile to ../escape.txt succeeded")
	// sentinels do not match other errors
	_, err = api.RepoInfo(ctx, missing, nil)
	check(!errors.Is(err, hub.ErrRevisionNotFound) && !errors.Is(err, hub.ErrEntryNotFound), "RepoNotFound matches other sentinels: %v", err)
	// the CLI exits non-zero and says why
	res := wharf(work, "repo", "info", missing.ID)
	check(res.code != 0, "wharf repo info of a missing repo succeeded")
	check(strings.Contains(strings.ToLower(res.stderr), "not found"), "wharf repo info of a missing repo says %q", res.tail())
}

func repoIDCase() {
	r := hub.Repo{ID: "alice/" + prefix + "-CaseRepo"}
	lower := hub.Repo{ID: strings.ToLower(r.ID)}
	must(api.CreateRepo(ctx, r, nil))
	must(api.UploadFile(ctx, lower, "c.txt", hub.FromBytes([]byte("case\n")), nil))
	eq(download(lower, "c.txt", ""), []byte("case\n"), "download with a lower-cased id")
	eq(must(api.RepoInfo(ctx, lower, nil)).ID, r.ID, "canonical id from a lower-cased lookup")
	eq(must(api.CreateRepo(ctx, lower, &hub.CreateRepoOptions{ExistOK: true})), webURL(r), "CreateRepo(ExistOK) with another casing returns the canonical URL")
	assertRemote(r, map[string][]byte{"c.txt": []byte("case\n")}, "")
}

func superSquash() {
	r := repoOf("squash", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	want := map[string][]byte{}
	for i := range 3 {
		p := fmt.Sprintf("%d.txt", i)
		want[p] = fmt.Appendf(nil, "%d\n", i)
		must(api.UploadFile(ctx, r, p, hub.FromBytes(want[p]), nil))
	}
	id := must(api.SuperSquashHistory(ctx, r, "", "squashed"))
	eq(titles(r, ""), []string{"squashed"}, "history after SuperSquashHistory")
	eq(head(r, ""), id, "SuperSquashHistory returns the new head")
	assertRemote(r, want, "")
}

func pagination() {
	r := repoOf("pages", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	const n = 1005
	var ops []hub.Operation
	for i := range n {
		ops = append(ops, hub.Add(fmt.Sprintf("many/f%04d.txt", i), hub.FromBytes(fmt.Appendf(nil, "%d\n", i))))
	}
	must(api.CreateCommit(ctx, r, ops, &hub.CommitOptions{Message: "many files"}))
	entries := must(api.ListRepoTree(ctx, r, &hub.ListTreeOptions{Path: "many"}))
	eq(len(entries), n, "entries of many/")
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.Path] = true
	}
	eq(len(seen), n, "distinct entries of many/")
	eq(len(must(api.ListRepoFiles(ctx, r, ""))), n+1, "ListRepoFiles")
	for i := range 55 {
		must(api.CreateCommit(ctx, r, []hub.Operation{hub.Add("counter.txt", hub.FromBytes(fmt.Appendf(nil, "%d\n", i)))},
			&hub.CommitOptions{Message: fmt.Sprintf("c%d", i)}))
	}
	commits := must(api.ListCommits(ctx, r, ""))
	eq(len(commits), 57, "ListCommits across pages")
	eq(commits[0].Title, "c54", "newest commit first")
	ids := map[string]bool{}
	for _, c := range commits {
		ids[c.ID] = true
	}
	eq(len(ids), 57, "distinct commits")
	eq(download(r, "many/f1004.txt", ""), []byte("1004\n"), "a file from the last page")
}

// repoAdmin: UpdateRepoSettings (private, gated), MoveRepo into an org,
// DeleteRepo with and without MissingOK, and reuse of the name.
func repoAdmin() {
	r := repoOf("admin", hub.Dataset)
	must(api.CreateRepo(ctx, r, nil))
	must(api.UploadFile(ctx, r, "m.txt", hub.FromBytes([]byte("m\n")), nil))
	ok(api.UpdateRepoSettings(ctx, r, &hub.RepoSettings{Private: ptr(true)}), "UpdateRepoSettings(private)")
	eq(must(api.RepoInfo(ctx, r, nil)).Private, true, "private after UpdateRepoSettings")
	_, err := bob.RepoInfo(ctx, r, nil)
	wantErr(err, hub.ErrRepoNotFound, 0, "bob reads the now private repo")
	ok(api.UpdateRepoSettings(ctx, r, &hub.RepoSettings{Private: ptr(false)}), "UpdateRepoSettings(public)")
	eq(must(bob.RepoInfo(ctx, r, nil)).Private, false, "public again")
	ok(api.UpdateRepoSettings(ctx, r, &hub.RepoSettings{Gated: ptr("auto")}), "UpdateRepoSettings(gated)")
	// hub.RepoInfo has no gated field: read it from the raw answer.
	status, _, data := rawHTTP(http.MethodGet, "/api/datasets/"+r.ID, "", nil, nil)
	check(status == 200, "repo info: %d %s", status, data)
	var info struct {
		Gated any `json:"gated"`
	}
	ok(json.Unmarshal(data, &info), "decode repo info")
	eq(info.Gated, any("auto"), "gated")
	ok(api.UpdateRepoSettings(ctx, r, &hub.RepoSettings{Gated: ptr("")}), "UpdateRepoSettings(not gated)")
	moved := repoOf("admin-moved", hub.Dataset, "acme")
	ok(api.MoveRepo(ctx, r, moved.ID), "MoveRepo")
	assertRemote(moved, map[string][]byte{"m.txt": []byte("m\n")}, "")
	// The Hub redirects the old id to the new one.
	check(must(api.RepoExists(ctx, r)), "old id does not redirect after MoveRepo")
	ok(api.DeleteRepo(ctx, moved, nil), "DeleteRepo")
	check(!must(api.RepoExists(ctx, moved)), "repo exists after DeleteRepo")
	ok(api.DeleteRepo(ctx, moved, &hub.DeleteRepoOptions{MissingOK: true}), "DeleteRepo(MissingOK) of a missing repo")
	wantErr(api.DeleteRepo(ctx, moved, nil), hub.ErrRepoNotFound, 0, "DeleteRepo of a missing repo")
	// the name can be reused
	must(api.CreateRepo(ctx, moved, nil))
	eq(must(api.ListRepoFiles(ctx, moved, "")), []string{".gitattributes"}, "files of a re-created repo")
}

// treeExpand: ListTreeOptions.Expand and PathsInfo(expand) give each entry
// the last commit that changed it.
func treeExpand() {
	r := repoOf("expand", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	c1 := must(api.UploadFile(ctx, r, "one.txt", hub.FromBytes([]byte("one\n")), &hub.CommitOptions{Message: "first file"}))
	c2 := must(api.UploadFile(ctx, r, "dir/two.txt", hub.FromBytes([]byte("two\n")), &hub.CommitOptions{Message: "second"}))
	entries := map[string]hub.TreeEntry{}
	for _, e := range must(api.ListRepoTree(ctx, r, &hub.ListTreeOptions{Recursive: true, Expand: true})) {
		entries[e.Path] = e
	}
	for _, w := range []struct{ path, id, title string }{{"one.txt", c1.OID, "first file"}, {"dir/two.txt", c2.OID, "second"}} {
		lc := entries[w.path].LastCommit
		check(lc != nil, "ListRepoTree(Expand): no LastCommit for %s", w.path)
		eq([2]string{lc.ID, lc.Title}, [2]string{w.id, w.title}, "LastCommit of "+w.path)
		check(!lc.Date.IsZero(), "ListRepoTree(Expand): no date in the LastCommit of %s", w.path)
	}
	infos := must(api.PathsInfo(ctx, r, "", []string{"one.txt"}, true))
	check(len(infos) == 1 && infos[0].Path == "one.txt", "PathsInfo: %+v", infos)
	check(infos[0].LastCommit != nil, "PathsInfo(expand): no LastCommit")
	eq(infos[0].LastCommit.ID, c1.OID, "paths-info LastCommit")
}
