package main

// The "git" column: the upload guide's git workflow with the real git and
// git-lfs binaries (HOME is a temp dir; the token reaches git and git-lfs
// through a credential helper that reads it from the environment, never
// through the URL), and the go column's git_repository row (hub/gitrepo).

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/wharfhub/wharf/hub"
	"github.com/wharfhub/wharf/hub/gitrepo"
)

func init() {
	reg("git", "git_clone_push", gitClonePush)
	reg("git", "git_pull", gitPull)
	reg("git", "git_push_rejected", gitPushRejected)
	reg("git", "git_auth", gitAuth)
	reg("git", "git_lfs_largefiles", gitLFSLargefiles)
	reg("git", "git_lfs_largefiles_mixed", gitLFSLargefilesMixed)
}

const tokenVar = "WHARF_COMPAT_GIT_TOKEN"

// credentialHelper answers git's (and git-lfs's) "get" with the token of
// the command's environment, and nothing when it is empty (anonymous).
const credentialHelper = `!f() { test "$1" = get || exit 0; test -n "$` + tokenVar + `" || exit 0; echo username=alice; echo "password=$` + tokenVar + `"; }; f`

var gitHome string

func gitEnv(token string) []string {
	return []string{
		"HOME=" + gitHome, "XDG_CONFIG_HOME=" + filepath.Join(gitHome, ".config"),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS=",
		"LC_ALL=C", "LANGUAGE=C", tokenVar + "=" + token,
	}
}

// gitSetup makes the git suite's HOME: identity, the credential helper,
// and git-lfs's global filters.
func gitSetup() error {
	gitHome = filepath.Join(work, "home")
	if err := os.MkdirAll(gitHome, 0o755); err != nil {
		return err
	}
	for _, kv := range [][2]string{
		{"user.name", "Alice Compat"}, {"user.email", "alice@example.com"},
		{"init.defaultBranch", "main"}, {"pull.rebase", "false"},
		{"credential.helper", credentialHelper},
	} {
		if res := run(gitHome, gitEnv(""), "git", "config", "--global", kv[0], kv[1]); res.code != 0 {
			return fmt.Errorf("git config %s: %s", kv[0], res.tail())
		}
	}
	if res := run(gitHome, gitEnv(""), "git", "lfs", "install"); res.code != 0 {
		return fmt.Errorf("git lfs install: %s", res.tail())
	}
	return nil
}

// gitAs runs git with a token (empty: anonymous).
func gitAs(token, dir string, args ...string) cmdResult {
	return run(dir, gitEnv(token), "git", args...)
}

// gitOK runs git as alice and fails the scenario if it fails.
func gitOK(dir string, args ...string) string {
	res := gitAs(tokAlice, dir, args...)
	if res.code != 0 {
		failf("git %s: exit %d: %s", strings.Join(args, " "), res.code, res.tail())
	}
	return strings.TrimSpace(res.stdout)
}

// cloneAs clones the repo into a new folder and installs the git-lfs hooks
// in it (the guide's "git lfs install").
func cloneAs(token string, r hub.Repo) (string, cmdResult) {
	dir := filepath.Join(tmpdir("clone"), "repo")
	res := gitAs(token, filepath.Dir(dir), "clone", webURL(r), dir)
	if res.code == 0 {
		gitOK(dir, "lfs", "install")
	}
	return dir, res
}

func clone(r hub.Repo) string {
	dir, res := cloneAs(tokAlice, r)
	check(res.code == 0, "git clone %s: exit %d: %s", webURL(r), res.code, res.tail())
	// the token is in neither the remote URL nor anywhere in .git/config
	eq(gitOK(dir, "config", "--get", "remote.origin.url"), webURL(r), "remote URL")
	check(!strings.Contains(string(readFile(filepath.Join(dir, ".git", "config"))), tokAlice), "the token is in .git/config")
	return dir
}

func checkLocal(dir string, files map[string][]byte) {
	for p, want := range files {
		got := readFile(filepath.Join(dir, filepath.FromSlash(p)))
		eq(len(got), len(want), "size of local "+p)
		eq(sha(got), sha(want), "sha256 of local "+p)
	}
}

func gitClonePush() {
	r := repoOf("clone-push", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	fromAPI := map[string][]byte{"README.md": []byte("# hello from the API\n"), "weights.bin": rand(200_000, "git-api-bin")}
	must(api.CreateCommit(ctx, r, []hub.Operation{
		hub.Add("README.md", hub.FromBytes(fromAPI["README.md"])),
		hub.Add("weights.bin", hub.FromBytes(fromAPI["weights.bin"])),
	}, &hub.CommitOptions{Message: "from the API"}))
	dir := clone(r)
	checkLocal(dir, fromAPI) // weights.bin: smudged from LFS
	eq(gitOK(dir, "rev-parse", "HEAD"), head(r, ""), "cloned HEAD")
	// regular + LFS files: a new pattern tracked with git lfs track, and a
	// file the Hub's default .gitattributes already sends to LFS
	gitOK(dir, "lfs", "track", "*.weights")
	pushed := map[string][]byte{
		"notes.txt":             []byte("pushed with git\n"),
		"data/config.json":      []byte("{\"layers\": 2}\n"),
		"empty.txt":             {},
		"model.weights":         rand(2<<20+3, "git-weights"),
		"sub/big.safetensors":   rand(300_000, "git-safetensors"),
		"dir with space/ü.json": []byte("{}\n"),
	}
	write(dir, pushed)
	gitOK(dir, "add", "-A")
	gitOK(dir, "commit", "-q", "-m", "push from git", "-m", "with a body")
	gitOK(dir, "push", "origin", "main")
	local := gitOK(dir, "rev-parse", "HEAD")
	eq(head(r, ""), local, "head after the push is the pushed commit")
	commits := must(api.ListCommits(ctx, r, ""))
	eq(commits[0].Title, "push from git", "title of the pushed commit")
	all := maps.Clone(pushed)
	for k, v := range fromAPI {
		all[k] = v
	}
	assertRemote(r, all, "")
	attrs := string(download(r, ".gitattributes", ""))
	check(strings.Contains(attrs, "*.weights filter=lfs"), ".gitattributes on the Hub lacks *.weights: %.300s", attrs)
	lfsTreeCheck(r, "model.weights", pushed["model.weights"])
	lfsTreeCheck(r, "sub/big.safetensors", pushed["sub/big.safetensors"])
	lfsTreeCheck(r, "weights.bin", fromAPI["weights.bin"])
	e := treeEntry(r, "notes.txt", "")
	check(e.LFS == nil, "notes.txt is stored in LFS")
	eq(e.OID, gitBlobSHA1(pushed["notes.txt"]), "blob id of notes.txt")
	// a branch and a lightweight tag, then deleting the branch
	gitOK(dir, "push", "origin", "HEAD:refs/heads/feature")
	gitOK(dir, "tag", "v1")
	gitOK(dir, "push", "origin", "v1")
	refs := must(api.ListRefs(ctx, r, false))
	eq(refNames(refs.Branches), []string{"feature", "main"}, "branches after pushes")
	eq(refNames(refs.Tags), []string{"v1"}, "tags after a push")
	eq(refs.Tags[0].TargetCommit, local, "tag target")
	eq(head(r, "feature"), local, "head of the pushed branch")
	gitOK(dir, "push", "origin", ":feature")
	eq(refNames(must(api.ListRefs(ctx, r, false)).Branches), []string{"main"}, "branches after deleting one by push")
	// a second clone sees everything, LFS content included
	dir2 := clone(r)
	checkLocal(dir2, all)
}

func gitPull() {
	r := repoOf("pull", hub.Dataset)
	must(api.CreateRepo(ctx, r, nil))
	dir := clone(r) // a dataset: {E}/datasets/{id}
	eq(strings.TrimSpace(gitOK(dir, "ls-files")), ".gitattributes", "files of a new repo's clone")
	// an API commit, then git pull (the .csv goes to LFS in a dataset)
	csv := []byte(strings.Repeat("a,b,c\n1,2,3\n", 10_000))
	fromAPI := map[string][]byte{"api.txt": []byte("from the API\n"), "data/train.csv": csv}
	c := must(api.CreateCommit(ctx, r, []hub.Operation{
		hub.Add("api.txt", hub.FromBytes(fromAPI["api.txt"])),
		hub.Add("data/train.csv", hub.FromBytes(csv)),
	}, &hub.CommitOptions{Message: "API commit"}))
	lfsTreeCheck(r, "data/train.csv", csv)
	gitOK(dir, "pull", "-q")
	eq(gitOK(dir, "rev-parse", "HEAD"), c.OID, "HEAD after git pull")
	checkLocal(dir, fromAPI)
	// diverged: a local commit and another API commit; the push is refused
	// until a pull --rebase
	write(dir, map[string][]byte{"local.txt": []byte("local\n")})
	gitOK(dir, "add", "local.txt")
	gitOK(dir, "commit", "-q", "-m", "local commit")
	must(api.UploadFile(ctx, r, "api2.txt", hub.FromBytes([]byte("second API commit\n")), &hub.CommitOptions{Message: "API commit 2"}))
	h := head(r, "")
	res := gitAs(tokAlice, dir, "push", "origin", "main")
	check(res.code != 0, "a non-fast-forward push succeeded")
	check(strings.Contains(res.stderr, "rejected"), "non-fast-forward push: %s", res.tail())
	eq(head(r, ""), h, "head after a refused push")
	gitOK(dir, "pull", "-q", "--rebase")
	gitOK(dir, "push", "origin", "main")
	eq(titles(r, "")[:3], []string{"local commit", "API commit 2", "API commit"}, "history after pull --rebase and push")
	all := maps.Clone(fromAPI)
	all["local.txt"] = []byte("local\n")
	all["api2.txt"] = []byte("second API commit\n")
	assertRemote(r, all, "")
	checkLocal(dir, all)
}

func gitPushRejected() {
	r := repoOf("push-rejected", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	h0 := head(r, "")
	dir := clone(r)
	// a regular file of more than 10 MiB
	var big strings.Builder
	for i := 0; big.Len() < 11<<20; i++ {
		fmt.Fprintf(&big, "line %d of a large text file\n", i)
	}
	write(dir, map[string][]byte{"big.txt": []byte(big.String()), "small.txt": []byte("small\n")})
	gitOK(dir, "add", "-A")
	gitOK(dir, "commit", "-q", "-m", "too large")
	res := gitAs(tokAlice, dir, "push", "origin", "main")
	check(res.code != 0, "the push of an 11 MiB regular file succeeded")
	check(strings.Contains(res.stderr, "files of 10 MiB or more must be stored with git-lfs") && strings.Contains(res.stderr, "big.txt"),
		"rejection message of a large regular file: %s", res.tail())
	check(strings.Contains(res.stderr, "git lfs track"), "the rejection does not say how to fix it: %s", res.tail())
	eq(head(r, ""), h0, "head after a rejected push")
	gitOK(dir, "reset", "-q", "--hard", "origin/main")
	// an LFS pointer whose object was never uploaded: the pre-push hook
	// (git-lfs) skipped with --no-verify
	gitOK(dir, "lfs", "track", "*.weights")
	content := rand(500_000, "missing-lfs")
	write(dir, map[string][]byte{"m.weights": content})
	gitOK(dir, "add", "-A")
	gitOK(dir, "commit", "-q", "-m", "pointer without object")
	res = gitAs(tokAlice, dir, "push", "--no-verify", "origin", "main")
	check(res.code != 0, "the push of a pointer to a missing LFS object succeeded")
	check(strings.Contains(res.stderr, "LFS objects missing on the server") && strings.Contains(res.stderr, sha(content)),
		"rejection message of a missing LFS object: %s", res.tail())
	eq(head(r, ""), h0, "head after a rejected push")
	// the same push with the hook uploads the object first
	gitOK(dir, "push", "origin", "main")
	eq(head(r, ""), gitOK(dir, "rev-parse", "HEAD"), "head after the push")
	assertRemote(r, map[string][]byte{"m.weights": content}, "")
	lfsTreeCheck(r, "m.weights", content)
}

func gitAuth() {
	// a private repo: anonymous and bob cannot clone it
	p := repoOf("git-private", hub.Model)
	must(api.CreateRepo(ctx, p, &hub.CreateRepoOptions{Private: ptr(true)}))
	must(api.UploadFile(ctx, p, "s.txt", hub.FromBytes([]byte("secret\n")), nil))
	for who, tok := range map[string]string{"anonymous": "", "bob": tokBob, "an invalid token": "hf_" + strings.Repeat("x", 34)} {
		dir, res := cloneAs(tok, p)
		check(res.code != 0, "%s cloned a private repo", who)
		_, err := os.Stat(filepath.Join(dir, "s.txt"))
		check(err != nil, "%s got s.txt of a private repo", who)
	}
	dir := clone(p)
	checkLocal(dir, map[string][]byte{"s.txt": []byte("secret\n")})
	// a public repo: anyone clones it, only alice pushes
	r := repoOf("git-auth", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	must(api.UploadFile(ctx, r, "a.txt", hub.FromBytes([]byte("a\n")), nil))
	h := head(r, "")
	for who, tok := range map[string]string{"bob": tokBob, "alice's read token": tokRead, "anonymous": ""} {
		dir, res := cloneAs(tok, r)
		check(res.code == 0, "%s cannot clone a public repo: %s", who, res.tail())
		write(dir, map[string][]byte{"intruder.txt": []byte(who + "\n")})
		if res := gitAs(tok, dir, "add", "-A"); res.code != 0 {
			failf("git add: %s", res.tail())
		}
		if res := gitAs(tok, dir, "commit", "-q", "-m", "push by "+who); res.code != 0 {
			failf("git commit: %s", res.tail())
		}
		res = gitAs(tok, dir, "push", "origin", "main")
		check(res.code != 0, "%s pushed to alice's repo", who)
		eq(head(r, ""), h, "head after a push by "+who)
	}
}

// largefilesClone clones a repo with a 1 MiB multipart threshold and runs
// "wharf lfs-enable-largefiles" in the clone.
func largefilesClone(name string) (hub.Repo, string) {
	r := repoOf(name, hub.Model)
	must(api.CreateRepo(ctx, r, &hub.CreateRepoOptions{LFSMultipartThreshold: thresh}))
	dir := clone(r)
	res := run(dir, gitEnv(tokAlice), wharfBin, "lfs-enable-largefiles", ".")
	check(res.code == 0, "wharf lfs-enable-largefiles: exit %d: %s", res.code, res.tail())
	check(strings.Contains(res.stdout, "set up for large files"), "wharf lfs-enable-largefiles printed %q", res.stdout)
	eq(gitOK(dir, "config", "lfs.customtransfer.multipart.path"), must(filepath.EvalSymlinks(wharfBin)), "lfs.customtransfer.multipart.path")
	eq(gitOK(dir, "config", "lfs.customtransfer.multipart.args"), "lfs-multipart-upload", "lfs.customtransfer.multipart.args")
	return r, dir
}

// pushThroughAgent commits files and pushes them, checking that git-lfs
// ran the multipart agent.
func pushThroughAgent(r hub.Repo, dir string, files map[string][]byte, message string) {
	write(dir, files)
	gitOK(dir, "add", "-A")
	gitOK(dir, "commit", "-q", "-m", message)
	res := run(dir, append(gitEnv(tokAlice), "GIT_TRACE=1"), "git", "push", "origin", "main")
	check(res.code == 0, "git push through the multipart agent: exit %d: %s", res.code, res.tail())
	check(strings.Contains(res.stderr, `adapter "multipart"`), "git-lfs did not use the multipart agent: %s", res.tail())
	eq(head(r, ""), gitOK(dir, "rev-parse", "HEAD"), "head after the push")
}

func gitLFSLargefiles() {
	r, dir := largefilesClone("largefiles")
	files := map[string][]byte{"big.bin": rand(3*thresh+7, "largefiles-big")}
	pushThroughAgent(r, dir, files, "large file")
	assertRemote(r, files, "")
	lfsTreeCheck(r, "big.bin", files["big.bin"])
}

// gitLFSLargefilesMixed: one push with objects above and below the
// threshold; the batch answer's transfer is "multipart" and git-lfs hands
// every object to the agent, small ones with a basic upload action.
func gitLFSLargefilesMixed() {
	r, dir := largefilesClone("largefiles-mixed")
	files := map[string][]byte{"big.bin": rand(2*thresh+9, "mixed-big"), "small.bin": rand(100_000, "mixed-small")}
	pushThroughAgent(r, dir, files, "large and small files")
	assertRemote(r, files, "")
	lfsTreeCheck(r, "big.bin", files["big.bin"])
	lfsTreeCheck(r, "small.bin", files["small.bin"])
}

// goGitRepository is the go column's git_repository row: hub/gitrepo, the
// Go counterpart of huggingface_hub's Repository.
func goGitRepository() {
	r := repoOf("gitrepo", hub.Model)
	must(api.CreateRepo(ctx, r, &hub.CreateRepoOptions{LFSMultipartThreshold: thresh}))
	must(api.UploadFile(ctx, r, "README.md", hub.FromBytes([]byte("# gitrepo\n")), nil))
	dir := filepath.Join(tmpdir("gitrepo"), "clone")
	repo := must(gitrepo.Clone(ctx, webURL(r), dir, &gitrepo.CloneOptions{
		Token: tokAlice, UserName: "Alice Compat", UserEmail: "alice@example.com", LargeFileAgent: wharfBin,
	}))
	checkLocal(dir, map[string][]byte{"README.md": []byte("# gitrepo\n")})
	check(!strings.Contains(string(readFile(filepath.Join(dir, ".git", "config"))), tokAlice), "the token is in .git/config")
	ok(repo.LFSTrack(ctx, "*.weights"), "LFSTrack")
	files := map[string][]byte{
		"README.md":     []byte("# gitrepo\n"),
		"notes.txt":     []byte("pushed with gitrepo\n"),
		"model.weights": rand(2*thresh+77, "gitrepo-weights"), // above the threshold: the multipart agent
		"small.bin":     rand(50_000, "gitrepo-bin"),
	}
	write(dir, files)
	ok(repo.PushToHub(ctx, "push from gitrepo"), "PushToHub")
	eq(titles(r, "")[0], "push from gitrepo", "title of the pushed commit")
	assertRemote(r, files, "")
	lfsTreeCheck(r, "model.weights", files["model.weights"])
	lfsTreeCheck(r, "small.bin", files["small.bin"])
	// an API commit, then Pull
	c := must(api.UploadFile(ctx, r, "api.txt", hub.FromBytes([]byte("from the API\n")), nil))
	ok(repo.Pull(ctx), "Pull")
	checkLocal(dir, map[string][]byte{"api.txt": []byte("from the API\n")})
	eq(strings.TrimSpace(run(dir, nil, "git", "rev-parse", "HEAD").stdout), c.OID, "HEAD after Pull")
	// CommitWith: pull, edit, add, commit, push
	ok(repo.CommitWith(ctx, "commit with", func() error {
		return os.WriteFile(filepath.Join(dir, "ctx.txt"), []byte("written in CommitWith\n"), 0o644)
	}), "CommitWith")
	files["api.txt"] = []byte("from the API\n")
	files["ctx.txt"] = []byte("written in CommitWith\n")
	assertRemote(r, files, "")
	eq(titles(r, "")[0], "commit with", "title of the CommitWith commit")
	// a queued push
	write(dir, map[string][]byte{"async.txt": []byte("async\n")})
	ok(repo.Add(ctx), "Add")
	ok(repo.Commit(ctx, "async push"), "Commit")
	cmd := repo.PushAsync(ctx)
	ok(cmd.Wait(), "PushAsync")
	eq(cmd.Status(), 0, "status of the queued push")
	files["async.txt"] = []byte("async\n")
	assertRemote(r, files, "")
}
