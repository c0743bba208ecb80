#!/usr/bin/env python3
"""huggingface_hub conformance scenarios against a running wharf server.

Run by compat/run.sh once per venv (0.36.x, 1.x, 2.x), with:
  WHARF_ENDPOINT        server URL (HF_ENDPOINT is set to the same value)
  WHARF_TOKEN_ALICE     alice's write token (alice is a member of org "acme")
  WHARF_TOKEN_BOB       bob's write token
  WHARF_TOKEN_READ      a read-only token of alice
  WHARF_COMPAT_CLIENT   column name (hf036, hf1, hf2): also the repo-name prefix
  WHARF_COMPAT_RESULTS  JSON-lines file results are appended to
  WHARF_COMPAT_ONLY     optional comma-separated scenario names

Every scenario uploads through the client, then downloads what landed and
compares it byte for byte. A failing scenario prints its traceback and is
reported as "fail"; the run goes on. Exit status: 0 all passed, 3 some
scenario failed (reported), anything else: the suite itself broke.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import inspect
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import huggingface_hub
from huggingface_hub import (
    CommitOperationAdd,
    CommitOperationCopy,
    CommitOperationDelete,
    HfApi,
)
from huggingface_hub import file_download as hf_file_download
from huggingface_hub import lfs as hf_lfs
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

E = os.environ["WHARF_ENDPOINT"].rstrip("/")
ALICE = os.environ["WHARF_TOKEN_ALICE"]
BOB = os.environ["WHARF_TOKEN_BOB"]
READ = os.environ["WHARF_TOKEN_READ"]
CLIENT = os.environ.get("WHARF_COMPAT_CLIENT") or "hf" + huggingface_hub.__version__.replace(".", "")
RESULTS = os.environ.get("WHARF_COMPAT_RESULTS")
ONLY = {s for s in os.environ.get("WHARF_COMPAT_ONLY", "").split(",") if s}
VERSION = huggingface_hub.__version__
V = tuple(int(x) for x in re.findall(r"\d+", VERSION)[:2])
WORK = Path(tempfile.mkdtemp(prefix=f"compat-{CLIENT}-"))

if os.environ.get("HF_ENDPOINT", "").rstrip("/") != E:
    # huggingface_hub >= 0.36 compares returned URLs with the endpoint constant.
    sys.exit("HF_ENDPOINT must be set to the server URL before importing huggingface_hub")

api = HfApi(endpoint=E, token=ALICE)
bob = HfApi(endpoint=E, token=BOB)
reader = HfApi(endpoint=E, token=READ)
anon = HfApi(endpoint=E, token=False)

P = CLIENT.replace("_", "-")  # repo name prefix: each client gets its own repos


def _xet_on() -> bool:
    """Whether this client sends LFS-size files through Xet: hf_xet installed and not
    disabled (0.36 negotiates it in the LFS batch; >= 1.20 always uses it)."""
    if os.environ.get("HF_HUB_DISABLE_XET", "").strip().lower() in ("1", "true", "yes", "on"):
        return False
    try:
        import hf_xet  # noqa: F401
    except ImportError:
        return False
    return True


XET = _xet_on()
# The server runs as at scale (two replicas, PostgreSQL, S3): LFS bytes go
# straight to the bucket, whose multipart parts are at least 5 MiB.
SCALEOUT = os.environ.get("WHARF_COMPAT_SCALEOUT") == "1"


class _SameOriginAuth(urllib.request.HTTPRedirectHandler):
    """Redirects drop Authorization when they leave the origin, as the clients do
    (a presigned bucket URL refuses a second set of credentials)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urllib.parse.urlsplit(newurl)[:2] != urllib.parse.urlsplit(req.full_url)[:2]:
            new.remove_header("Authorization")
        return new


_opener = urllib.request.build_opener(_SameOriginAuth)


# --------------------------------------------------------------------------
# helpers


class Skip(Exception):
    """Raised by a scenario that does not apply to this client version."""


def check(cond, msg, *args):
    if not cond:
        raise AssertionError(msg % args if args else msg)


def eq(got, want, what):
    if got != want:
        g, w = repr(got), repr(want)
        if len(g) > 300:
            g = g[:300] + "..."
        if len(w) > 300:
            w = w[:300] + "..."
        raise AssertionError(f"{what}: got {g}, want {w}")


@contextlib.contextmanager
def raises(*classes, status=None, what=""):
    """Expect an exception of one of classes (and HTTP status, when given)."""
    try:
        yield
    except classes as e:
        if status is not None:
            resp = getattr(e, "response", None)
            got = getattr(resp, "status_code", None)
            if got != status:
                raise AssertionError(f"{what}: {type(e).__name__} with status {got}, want {status}: {e}") from e
        return
    except Exception as e:
        names = "/".join(c.__name__ for c in classes)
        raise AssertionError(f"{what}: raised {type(e).__name__} ({e}), want {names}") from e
    names = "/".join(c.__name__ for c in classes)
    raise AssertionError(f"{what}: no exception, want {names}")


def rid(name: str, ns: str = "alice") -> str:
    return f"{ns}/{P}-{name}"


def url_prefix(repo_type: str | None) -> str:
    return {None: "", "model": "", "dataset": "datasets/", "space": "spaces/"}[repo_type]


def tmpdir(name: str) -> Path:
    d = Path(tempfile.mkdtemp(prefix=name + "-", dir=WORK))
    return d


def write(root: Path, files: dict[str, bytes]) -> None:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content)


def rand(n: int, seed: str) -> bytes:
    """Deterministic pseudo-random bytes (fast, binary so it goes to LFS)."""
    out = bytearray()
    h = hashlib.sha256(seed.encode()).digest()
    while len(out) < n:
        h = hashlib.sha256(h).digest()
        out += h * 64
    return bytes(out[:n])


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def download(repo_id, filename, repo_type=None, revision=None, token=ALICE) -> bytes:
    cache = tmpdir("dl")
    p = api.hf_hub_download(
        repo_id, filename, repo_type=repo_type, revision=revision, cache_dir=cache, token=token
    )
    return Path(p).read_bytes()


def assert_remote(repo_id, files: dict[str, bytes], repo_type=None, revision=None, exact=True):
    """The repo holds exactly these files (besides .gitattributes) with these bytes."""
    listed = set(api.list_repo_files(repo_id, repo_type=repo_type, revision=revision))
    listed.discard(".gitattributes")
    if exact:
        eq(sorted(listed), sorted(files), f"files of {repo_id}@{revision or 'main'}")
    else:
        missing = set(files) - listed
        check(not missing, "missing on %s: %s (have %s)", repo_id, sorted(missing), sorted(listed))
    for path, content in files.items():
        got = download(repo_id, path, repo_type=repo_type, revision=revision)
        eq(hashlib.sha256(got).hexdigest(), hashlib.sha256(content).hexdigest(), f"sha256 of downloaded {path}")
        eq(len(got), len(content), f"size of downloaded {path}")


def commit_titles(repo_id, repo_type=None, revision=None) -> list[str]:
    return [c.title for c in api.list_repo_commits(repo_id, repo_type=repo_type, revision=revision)]


def http(method, path, *, token=ALICE, headers=None, body=None):
    """A raw request to the server: (status, headers, body)."""
    url = path if path.startswith("http") else E + path
    h = dict(headers or {})
    if token:
        h["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        h.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with _opener.open(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def raw_create_repo(repo_id, repo_type=None, **fields):
    """POST /api/repos/create directly (for fields the client cannot send)."""
    ns, name = repo_id.split("/")
    body = {"name": name, "organization": ns, **fields}
    if repo_type:
        body["type"] = repo_type
    status, _, data = http("POST", "/api/repos/create", body=body)
    check(status == 200, "raw create %s: %s %s", repo_id, status, data[:300])
    return json.loads(data)


class Recorder:
    """Counts calls of module functions (monkeypatched for one scenario)."""

    def __init__(self):
        self.calls: dict[str, list] = {}
        self._undo = []

    def wrap(self, module, name):
        orig = getattr(module, name)

        def wrapper(*a, **kw):
            self.calls.setdefault(name, []).append((a, kw))
            return orig(*a, **kw)

        setattr(module, name, wrapper)
        self._undo.append((module, name, orig))

    def n(self, name):
        return len(self.calls.get(name, []))

    def restore(self):
        for module, name, orig in reversed(self._undo):
            setattr(module, name, orig)
        self._undo.clear()


# validate-yaml is called by the client whenever README.md is committed.
_yaml_calls: list[str] = []
_orig_validate_yaml = HfApi._validate_yaml


def _recording_validate_yaml(self, content, *a, **kw):
    _yaml_calls.append(content)
    return _orig_validate_yaml(self, content, *a, **kw)


HfApi._validate_yaml = _recording_validate_yaml


# --------------------------------------------------------------------------
# scenarios

SCENARIOS = []


def scenario(fn):
    SCENARIOS.append(fn)
    return fn


@scenario
def create_repo():
    for repo_type, kw in (("model", {}), ("dataset", {}), ("space", {"space_sdk": "gradio"})):
        r = rid(f"create-{repo_type}")
        url = api.create_repo(r, repo_type=repo_type, **kw)
        eq(url.repo_id, r, "RepoUrl.repo_id")
        eq(url.repo_type, repo_type, "RepoUrl.repo_type")
        eq(str(url), f"{E}/{url_prefix(repo_type)}{r}", "RepoUrl")
        # exist_ok twice: the 409 body carries the url the client parses.
        for _ in range(2):
            again = api.create_repo(r, repo_type=repo_type, exist_ok=True, **kw)
            eq(again.repo_id, r, "RepoUrl.repo_id with exist_ok")
            eq(str(again), str(url), "RepoUrl with exist_ok")
        with raises(HfHubHTTPError, status=409, what="create_repo on an existing repo"):
            api.create_repo(r, repo_type=repo_type, **kw)
        info = api.repo_info(r, repo_type=repo_type)
        eq(info.id, r, "repo_info.id")
        check(re.fullmatch(r"[0-9a-f]{40}", info.sha or ""), "repo_info.sha is %r", info.sha)
        check(api.repo_exists(r, repo_type=repo_type), "repo_exists(%s)", r)
        eq(api.list_repo_files(r, repo_type=repo_type), [".gitattributes"], "files of a new repo")
        if repo_type == "space":
            eq(getattr(info, "sdk", None), "gradio", "space sdk")
    # private: visible to alice (and her read token), not to bob or anonymous.
    r = rid("private")
    api.create_repo(r, private=True)
    eq(api.repo_info(r).private, True, "repo_info.private")
    eq(reader.repo_info(r).id, r, "private repo seen with alice's read token")
    with raises(RepositoryNotFoundError, what="bob reads alice's private repo"):
        bob.repo_info(r)
    with raises(RepositoryNotFoundError, what="anonymous reads a private repo"):
        anon.repo_info(r)
    check(not bob.repo_exists(r), "repo_exists is False for bob")
    # organization namespace
    r = rid("org-model", ns="acme")
    url = api.create_repo(r)
    eq(url.repo_id, r, "org repo id")
    eq(api.repo_info(r).id, r, "org repo info")


@scenario
def permissions():
    r = rid("perm")
    api.create_repo(r)
    api.upload_file(path_or_fileobj=b"alice\n", path_in_repo="a.txt", repo_id=r)
    # a read token can read but not create or write
    eq(reader.whoami()["name"], "alice", "whoami with read token")
    with raises(HfHubHTTPError, what="create_repo with a read token"):
        reader.create_repo(rid("perm-ro"))
    with raises(HfHubHTTPError, what="upload with a read token"):
        reader.upload_file(path_or_fileobj=b"x", path_in_repo="ro.txt", repo_id=r)
    # bob cannot write to alice's repo nor create in acme
    with raises(HfHubHTTPError, what="bob uploads to alice's repo"):
        bob.upload_file(path_or_fileobj=b"x", path_in_repo="bob.txt", repo_id=r)
    with raises(HfHubHTTPError, what="bob creates a repo in acme"):
        bob.create_repo(rid("bob-in-acme", ns="acme"))
    bad = HfApi(endpoint=E, token="hf_" + "x" * 34)
    with raises(HfHubHTTPError, OSError, ValueError, what="whoami with an invalid token"):
        bad.whoami()
    with raises(HfHubHTTPError, status=401, what="repo_info with an invalid token"):
        bad.repo_info(r)
    check(not bob.file_exists(rid("private"), "a.txt"), "bob: file_exists in alice's private repo")
    who = api.whoami()
    eq(who["name"], "alice", "whoami name")
    check("acme" in [o["name"] for o in who.get("orgs", [])], "alice's orgs: %s", who.get("orgs"))
    assert_remote(r, {"a.txt": b"alice\n"})


@scenario
def upload_file():
    r = rid("upload-file")
    api.create_repo(r)
    local = tmpdir("uf") / "local.txt"
    local.write_bytes(b"hello from a path\n")
    c1 = api.upload_file(path_or_fileobj=str(local), path_in_repo="from_path.txt", repo_id=r)
    eq(c1.commit_url, f"{E}/{r}/commit/{c1.oid}", "CommitInfo.commit_url")
    check(re.fullmatch(r"[0-9a-f]{40}", c1.oid), "commit oid %r", c1.oid)
    if V < (1, 0):
        eq(str(c1), f"{E}/{r}/blob/main/from_path.txt", "0.x upload_file return value")
    else:
        eq(str(c1), c1.commit_url, "1.x upload_file return value")
    api.upload_file(path_or_fileobj=b"hello from bytes\n", path_in_repo="dir/from_bytes.txt", repo_id=r)
    blob = rand(10_000, "fileobj")
    api.upload_file(path_or_fileobj=io.BytesIO(blob), path_in_repo="from_fileobj.bin", repo_id=r)
    with open(local, "rb") as f:
        api.upload_file(path_or_fileobj=f, path_in_repo="dir/sub/from_open_file.txt", repo_id=r)
    api.upload_file(path_or_fileobj=b"", path_in_repo="empty.txt", repo_id=r)
    # overwrite with new content; and an unchanged re-upload makes no commit
    api.upload_file(path_or_fileobj=b"hello again\n", path_in_repo="dir/from_bytes.txt", repo_id=r)
    n = len(commit_titles(r))
    api.upload_file(path_or_fileobj=b"hello again\n", path_in_repo="dir/from_bytes.txt", repo_id=r)
    eq(len(commit_titles(r)), n, "commits after an unchanged re-upload")
    eq(commit_titles(r)[0], "Upload dir/from_bytes.txt with huggingface_hub", "default commit title")
    # dataset + custom message
    d = rid("upload-file-ds")
    api.create_repo(d, repo_type="dataset")
    c = api.upload_file(
        path_or_fileobj=b"a,b\n1,2\n", path_in_repo="data/train.csv", repo_id=d, repo_type="dataset",
        commit_message="add train split", commit_description="two rows",
    )
    eq(c.commit_url, f"{E}/datasets/{d}/commit/{c.oid}", "dataset commit_url")
    commits = api.list_repo_commits(d, repo_type="dataset")
    eq(commits[0].title, "add train split", "commit title")
    eq((commits[0].message or "").strip(), "two rows", "commit description")
    assert_remote(d, {"data/train.csv": b"a,b\n1,2\n"}, repo_type="dataset")
    assert_remote(
        r,
        {
            "from_path.txt": b"hello from a path\n",
            "dir/from_bytes.txt": b"hello again\n",
            "from_fileobj.bin": blob,
            "dir/sub/from_open_file.txt": b"hello from a path\n",
            "empty.txt": b"",
        },
    )


@scenario
def readme_validate_yaml():
    r = rid("readme")
    api.create_repo(r, repo_type="dataset")
    readme = b"---\nlicense: mit\ntags:\n- compat\n---\n# Compat\n\nHello.\n"
    _yaml_calls.clear()
    api.upload_file(path_or_fileobj=readme, path_in_repo="README.md", repo_id=r, repo_type="dataset")
    eq(len(_yaml_calls), 1, "validate-yaml calls for README.md")
    bad = b"---\nlicense: mit\n# the metadata block is never closed\n"
    with raises(ValueError, what="README.md with unclosed YAML metadata"):
        api.upload_file(path_or_fileobj=bad, path_in_repo="README.md", repo_id=r, repo_type="dataset")
    # a README.md below the root is not validated
    _yaml_calls.clear()
    api.upload_file(path_or_fileobj=bad, path_in_repo="docs/README.md", repo_id=r, repo_type="dataset")
    eq(len(_yaml_calls), 0, "validate-yaml calls for docs/README.md")
    assert_remote(r, {"README.md": readme, "docs/README.md": bad}, repo_type="dataset")


@scenario
def readme_metadata():
    import warnings

    r = rid("readme-meta")
    api.create_repo(r)
    with raises(ValueError, what="README.md with model-index: foo"):
        api.upload_file(path_or_fileobj=b"---\nmodel-index: foo\n---\n# card\n", path_in_repo="README.md", repo_id=r)
    # the commit endpoint refuses it too, for clients that do not validate first
    saved = HfApi._validate_yaml
    HfApi._validate_yaml = lambda self, *a, **kw: None
    try:
        with raises(HfHubHTTPError, status=400, what="commit of README.md with model-index: foo"):
            api.upload_file(path_or_fileobj=b"---\nmodel-index: foo\n---\n# card\n", path_in_repo="README.md",
                            repo_id=r)
    finally:
        HfApi._validate_yaml = saved
    eq(api.list_repo_files(r), [".gitattributes"], "files after refused READMEs")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        api.upload_file(path_or_fileobj=b"# plain\n", path_in_repo="README.md", repo_id=r)
    check(any("empty or missing yaml metadata" in str(w.message) for w in caught),
          "no warning for a README without metadata: %s", [str(w.message) for w in caught])
    assert_remote(r, {"README.md": b"# plain\n"})


@scenario
def upload_folder_gitignore():
    r = rid("folder-gitignore")
    api.create_repo(r, repo_type="space", space_sdk="gradio")
    root = tmpdir("space")
    model = rand(50_000, "model.bin")
    files = {
        ".gitignore": b"*.log\nsecret/\n",
        "app.py": b"import gradio\n",
        "README.md": b"---\ntitle: compat\nsdk: gradio\n---\n",
        "data/x.txt": b"x\n",
        "data/y.json": b'{"y": 1}\n',
        "model.bin": model,
        "sub/.gitignore": b"*.txt\n",  # nested .gitignore: not applied
        "sub/keep.txt": b"keep\n",
    }
    ignored = {
        "debug.log": b"ignored by .gitignore\n",
        "data/deep/trace.log": b"ignored by .gitignore\n",
        "secret/key.txt": b"ignored by .gitignore\n",
        ".git/HEAD": b"ref: refs/heads/main\n",
        "sub/.git/config": b"[core]\n",
    }
    write(root, {**files, **ignored})
    _yaml_calls.clear()
    c = api.upload_folder(folder_path=root, repo_id=r, repo_type="space")
    check(len(_yaml_calls) >= 1, "validate-yaml not called for a root README.md")
    if V < (1, 0):
        check(str(c).startswith(f"{E}/spaces/{r}/tree/main"), "0.x upload_folder return value %s", c)
    else:
        eq(str(c), c.commit_url, "upload_folder return value")
    eq(commit_titles(r, repo_type="space")[0], "Upload folder using huggingface_hub", "default commit title")
    assert_remote(r, files, repo_type="space")
    # the .gitignore now on the Hub keeps applying to later uploads
    write(root, {"later.log": b"still ignored\n", "later.txt": b"later\n"})
    api.upload_folder(folder_path=root, repo_id=r, repo_type="space", allow_patterns=["later.*"])
    assert_remote(r, {**files, "later.txt": b"later\n"}, repo_type="space")


@scenario
def upload_folder_patterns():
    r = rid("folder-patterns")
    api.create_repo(r, repo_type="dataset")
    root = tmpdir("ds")
    write(
        root,
        {
            "a.csv": b"a\n",
            "logs/l1.txt": b"l1\n",  # "**/logs/*.txt" needs a directory before logs/
            "nested/logs/l2.txt": b"l2\n",
            "nested/keep.txt": b"keep\n",
            "notes.md": b"notes\n",
            "drafts/d.md": b"draft\n",
        },
    )
    # the guide's example: path_in_repo + ignore_patterns
    api.upload_folder(
        folder_path=root, path_in_repo="my-dataset/train", repo_id=r, repo_type="dataset",
        ignore_patterns="**/logs/*.txt",
    )
    base = {
        "my-dataset/train/a.csv": b"a\n",
        "my-dataset/train/logs/l1.txt": b"l1\n",
        "my-dataset/train/nested/keep.txt": b"keep\n",
        "my-dataset/train/notes.md": b"notes\n",
        "my-dataset/train/drafts/d.md": b"draft\n",
    }
    assert_remote(r, base, repo_type="dataset")
    # allow + ignore together
    api.upload_folder(
        folder_path=root, path_in_repo="md-only", repo_id=r, repo_type="dataset",
        allow_patterns=["*.md", "*.csv"], ignore_patterns=["drafts/*"], commit_message="md and csv only",
    )
    assert_remote(r, {**base, "md-only/a.csv": b"a\n", "md-only/notes.md": b"notes\n"}, repo_type="dataset")
    eq(commit_titles(r, repo_type="dataset")[0], "md and csv only", "commit title")


@scenario
def upload_folder_delete_patterns():
    r = rid("folder-delete")
    api.create_repo(r)
    api.create_commit(
        r,
        operations=[
            CommitOperationAdd("experiment/logs/old1.txt", b"old1\n"),
            CommitOperationAdd("experiment/logs/old2.txt", b"old2\n"),
            CommitOperationAdd("experiment/logs/keep.csv", b"keep\n"),
            CommitOperationAdd("experiment/other.txt", b"outside the folder\n"),
        ],
        commit_message="seed logs",
    )
    n = len(commit_titles(r))
    logs = tmpdir("logs")
    write(logs, {"new1.txt": b"new1\n", "new2.txt": b"new2\n", "skip.bin": rand(100, "skip")})
    # the guide's logs example: upload *.txt, delete old *.txt, one commit
    api.upload_folder(
        folder_path=logs, repo_id=r, path_in_repo="experiment/logs/",
        allow_patterns="*.txt", delete_patterns="*.txt",
    )
    eq(len(commit_titles(r)), n + 1, "commits after upload_folder with delete_patterns")
    assert_remote(
        r,
        {
            "experiment/logs/new1.txt": b"new1\n",
            "experiment/logs/new2.txt": b"new2\n",
            "experiment/logs/keep.csv": b"keep\n",
            "experiment/other.txt": b"outside the folder\n",
        },
    )


@scenario
def create_commit_ops():
    r = rid("commit-ops")
    api.create_repo(r)
    big = rand(300_000, "big.bin")
    api.create_commit(
        r,
        operations=[
            CommitOperationAdd("a.txt", b"a\n"),
            CommitOperationAdd("folder/x.txt", b"x\n"),
            CommitOperationAdd("folder/sub/y.txt", b"y\n"),
            CommitOperationAdd("reg.txt", b"regular source\n"),
            CommitOperationAdd("big.bin", big),
        ],
        commit_message="seed",
    )
    ci = api.create_commit(
        r,
        operations=[
            CommitOperationAdd("new.txt", b"new\n"),
            CommitOperationDelete("a.txt"),
            CommitOperationDelete("folder/"),
            CommitOperationCopy(src_path_in_repo="reg.txt", path_in_repo="copies/reg_copy.txt"),
            CommitOperationCopy(src_path_in_repo="big.bin", path_in_repo="copies/big_copy.bin"),
        ],
        commit_message="add, delete file and folder, copy regular and LFS",
    )
    eq(ci.commit_url, f"{E}/{r}/commit/{ci.oid}", "commit_url")
    assert_remote(
        r,
        {
            "new.txt": b"new\n",
            "reg.txt": b"regular source\n",
            "big.bin": big,
            "copies/reg_copy.txt": b"regular source\n",
            "copies/big_copy.bin": big,
        },
    )
    infos = {i.path: i for i in api.get_paths_info(r, ["big.bin", "copies/big_copy.bin"])}
    for p in ("big.bin", "copies/big_copy.bin"):
        check(infos[p].lfs is not None, "%s is not LFS", p)
        eq(infos[p].lfs.sha256, hashlib.sha256(big).hexdigest(), f"lfs sha256 of {p}")
    # copy from an older revision
    first = api.list_repo_commits(r)[-2].commit_id  # the "seed" commit
    api.create_commit(
        r,
        operations=[CommitOperationCopy(src_path_in_repo="a.txt", path_in_repo="restored.txt", src_revision=first)],
        commit_message="restore a.txt",
    )
    eq(download(r, "restored.txt"), b"a\n", "file copied from an older revision")
    # deleting a missing file is an error
    with raises(EntryNotFoundError, HfHubHTTPError, what="delete a missing file"):
        api.create_commit(r, operations=[CommitOperationDelete("nope.txt")], commit_message="delete nothing")


@scenario
def parent_commit():
    r = rid("parent")
    api.create_repo(r)
    head = api.repo_info(r).sha
    c1 = api.create_commit(
        r, operations=[CommitOperationAdd("one.txt", b"1\n")], commit_message="one", parent_commit=head
    )
    c2 = api.create_commit(
        r, operations=[CommitOperationAdd("two.txt", b"2\n")], commit_message="two", parent_commit=c1.oid[:7]
    )
    with raises(HfHubHTTPError, status=412, what="create_commit with a stale parent_commit"):
        api.create_commit(
            r, operations=[CommitOperationAdd("three.txt", b"3\n")], commit_message="three", parent_commit=head
        )
    eq(api.repo_info(r).sha, c2.oid, "head after a rejected stale commit")
    assert_remote(r, {"one.txt": b"1\n", "two.txt": b"2\n"})


@scenario
def pull_request():
    r = rid("pr")
    api.create_repo(r)
    api.upload_file(path_or_fileobj=b"main\n", path_in_repo="main.txt", repo_id=r)
    pr = api.create_commit(
        r, operations=[CommitOperationAdd("pr.txt", b"from a PR\n")], commit_message="open a PR", create_pr=True
    )
    check(pr.pr_url and re.fullmatch(re.escape(f"{E}/{r}/discussions/") + r"\d+", pr.pr_url), "pr_url %r", pr.pr_url)
    eq(pr.pr_revision, f"refs/pr/{pr.pr_num}", "pr_revision")
    # later commits go to refs/pr/N (the revision is %2F-encoded by the client)
    api.upload_file(path_or_fileobj=b"second\n", path_in_repo="pr2.txt", repo_id=r, revision=pr.pr_revision)
    api.create_commit(
        r, operations=[CommitOperationDelete("main.txt")], commit_message="delete on the PR", revision=pr.pr_revision
    )
    assert_remote(r, {"pr.txt": b"from a PR\n", "pr2.txt": b"second\n"}, revision=pr.pr_revision)
    assert_remote(r, {"main.txt": b"main\n"})
    check(not api.file_exists(r, "pr.txt"), "PR file visible on main")
    refs = api.list_repo_refs(r, include_pull_requests=True)
    eq([p.ref for p in refs.pull_requests], [pr.pr_revision], "pull request refs")
    eq(
        commit_titles(r, revision=pr.pr_revision)[:3],
        ["delete on the PR", "Upload pr2.txt with huggingface_hub", "open a PR"],
        "PR history",
    )
    d = api.get_discussion_details(r, pr.pr_num)
    eq(d.is_pull_request, True, "discussion is a PR")
    eq(d.num, pr.pr_num, "discussion num")
    # upload_folder(create_pr=True) too
    folder = tmpdir("prf")
    write(folder, {"f.txt": b"f\n"})
    c = api.upload_folder(folder_path=folder, repo_id=r, create_pr=True)
    check(c.pr_num and c.pr_num != pr.pr_num, "second PR number %r", c.pr_num)
    assert_remote(r, {"main.txt": b"main\n", "f.txt": b"f\n"}, revision=c.pr_revision)


@scenario
def branches_tags():
    r = rid("refs")
    api.create_repo(r)
    api.upload_file(path_or_fileobj=b"v0\n", path_in_repo="f.txt", repo_id=r)
    api.create_branch(r, branch="dev")
    api.create_branch(r, branch="dev", exist_ok=True)
    with raises(HfHubHTTPError, status=409, what="create an existing branch"):
        api.create_branch(r, branch="dev")
    api.upload_file(path_or_fileobj=b"v1\n", path_in_repo="f.txt", repo_id=r, revision="dev")
    eq(download(r, "f.txt"), b"v0\n", "main after a commit on dev")
    eq(download(r, "f.txt", revision="dev"), b"v1\n", "dev")
    # a branch with a slash travels %2F-encoded
    api.create_branch(r, branch="feature/x", revision="dev")
    api.upload_file(path_or_fileobj=b"feature\n", path_in_repo="g.txt", repo_id=r, revision="feature/x")
    assert_remote(r, {"f.txt": b"v1\n", "g.txt": b"feature\n"}, revision="feature/x")
    # tags
    api.create_tag(r, tag="v1.0", revision="dev", tag_message="first")
    api.create_tag(r, tag="v1.0", exist_ok=True)
    eq(download(r, "f.txt", revision="v1.0"), b"v1\n", "file at tag v1.0")
    refs = api.list_repo_refs(r)
    eq(sorted(b.name for b in refs.branches), ["dev", "feature/x", "main"], "branches")
    eq([t.name for t in refs.tags], ["v1.0"], "tags")
    dev_head = api.repo_info(r, revision="dev").sha
    eq([t.target_commit for t in refs.tags], [dev_head], "tag target")
    # revision = commit sha
    eq(download(r, "f.txt", revision=dev_head), b"v1\n", "file at a commit sha")
    api.delete_tag(r, tag="v1.0")
    api.delete_branch(r, branch="feature/x")
    refs = api.list_repo_refs(r)
    eq(sorted(b.name for b in refs.branches), ["dev", "main"], "branches after delete")
    eq(refs.tags, [], "tags after delete")
    with raises(RevisionNotFoundError, what="download from a deleted branch"):
        download(r, "g.txt", revision="feature/x")


def xet_hash_of(r, path, repo_type=None, revision="main"):
    """The xetHash paths-info gives a file (raw request: 0.36 does not parse it)."""
    t = {None: "models", "model": "models", "dataset": "datasets", "space": "spaces"}[repo_type]
    st, _, body = http("POST", f"/api/{t}/{r}/paths-info/{revision}", body={"paths": [path]})
    eq(st, 200, f"paths-info {path}")
    got = json.loads(body)
    check(len(got) == 1, "paths-info %s: %r", path, got)
    return got[0].get("xetHash")


def _lfs_tree_check(r, path, content, xet=None):
    """path is an LFS file with content; with xet (default: this column uses Xet) it was
    uploaded through Xet, so it has a xetHash."""
    entries = {e.path: e for e in api.list_repo_tree(r, recursive=True)}
    e = entries.get(path)
    check(e is not None, "%s not in tree", path)
    check(e.lfs is not None, "%s is not stored in LFS (tree entry %r)", path, e)
    eq(e.lfs.sha256, hashlib.sha256(content).hexdigest(), f"tree lfs oid of {path}")
    eq(e.size, len(content), f"tree size of {path}")
    if XET if xet is None else xet:
        xh = xet_hash_of(r, path)
        check(isinstance(xh, str) and re.fullmatch(r"[0-9a-f]{64}", xh),
              "%s was not stored through Xet: xetHash %r", path, xh)


@scenario
def lfs_basic():
    r = rid("lfs-basic")
    api.create_repo(r)
    content = rand(3 * 1024 * 1024 + 17, "lfs-basic")  # a few MiB, binary
    local = tmpdir("lfs") / "model.safetensors"
    local.write_bytes(content)
    rec = Recorder()
    rec.wrap(hf_lfs, "_upload_single_part")
    rec.wrap(hf_lfs, "_upload_multi_part")
    try:
        api.upload_file(path_or_fileobj=str(local), path_in_repo="weights/model.safetensors", repo_id=r)
    finally:
        rec.restore()
    # With S3 every LFS upload of a client that offers multipart is multipart.
    want = (0, 0) if XET else (0, 1) if SCALEOUT else (1, 0)
    eq((rec.n("_upload_single_part"), rec.n("_upload_multi_part")), want, "LFS basic/multipart uploads")
    _lfs_tree_check(r, "weights/model.safetensors", content)
    info = api.model_info(r, files_metadata=True)
    sib = {s.rfilename: s for s in info.siblings}["weights/model.safetensors"]
    eq(sib.size, len(content), "siblings size")
    eq(sib.lfs.sha256, hashlib.sha256(content).hexdigest(), "siblings lfs sha256")
    # .gitattributes covers it
    attrs = download(r, ".gitattributes").decode()
    check("*.safetensors filter=lfs" in attrs, ".gitattributes lacks *.safetensors: %s", attrs[:200])
    # binary content at a path no .gitattributes rule covers: the server picks LFS from the
    # sample and adds a rule for the path in the same commit
    odd = rand(200_000, "odd")
    api.upload_file(path_or_fileobj=odd, path_in_repo="data/blob.xyz", repo_id=r)
    _lfs_tree_check(r, "data/blob.xyz", odd)
    attrs = download(r, ".gitattributes").decode()
    check(re.search(r"^/?data/blob\.xyz filter=lfs", attrs, re.M), ".gitattributes has no rule for data/blob.xyz")
    # overwrite an LFS file with new LFS content
    odd2 = rand(210_000, "odd2")
    api.upload_file(path_or_fileobj=odd2, path_in_repo="data/blob.xyz", repo_id=r)
    _lfs_tree_check(r, "data/blob.xyz", odd2)
    # re-uploading the same content transfers nothing
    rec = Recorder()
    rec.wrap(hf_lfs, "_upload_single_part")
    try:
        api.upload_file(path_or_fileobj=content, path_in_repo="copy/model.safetensors", repo_id=r)
    finally:
        rec.restore()
    eq(rec.n("_upload_single_part"), 0, "uploads of content already in LFS storage")
    assert_remote(
        r, {"weights/model.safetensors": content, "copy/model.safetensors": content, "data/blob.xyz": odd2}
    )


def _multipart_upload(r, content, path):
    rec = Recorder()
    rec.wrap(hf_lfs, "_upload_single_part")
    rec.wrap(hf_lfs, "_upload_multi_part")
    rec.wrap(hf_lfs, "_get_sorted_parts_urls")
    orig = hf_lfs._get_sorted_parts_urls
    try:
        api.upload_file(path_or_fileobj=content, path_in_repo=path, repo_id=r)
    finally:
        rec.restore()
    if XET:
        # Xet replaces LFS multipart: chunks go in xorbs, whatever the threshold.
        eq((rec.n("_upload_single_part"), rec.n("_upload_multi_part")), (0, 0), "LFS uploads with Xet on")
        _lfs_tree_check(r, path, content)
        assert_remote(r, {path: content})
        return 0
    eq((rec.n("_upload_single_part"), rec.n("_upload_multi_part")), (0, 1), "basic/multipart uploads")
    a, kw = rec.calls["_get_sorted_parts_urls"][0]
    chunk = kw.get("chunk_size")
    parts = orig(**kw) if kw else orig(*a)
    check(len(parts) >= 2, "multipart upload used %d part(s) (chunk_size %s)", len(parts), chunk)
    _lfs_tree_check(r, path, content)
    assert_remote(r, {path: content})
    return len(parts)


THRESH = 1024 * 1024
# Content that needs several parts: S3 parts are at least 5 MiB.
MP_SIZE = 11 * THRESH if SCALEOUT else 3 * THRESH


@scenario
def lfs_multipart():
    """The official test-suite hook: HfApi._lfsmultipartthresh sent by create_repo."""
    src = inspect.getsource(HfApi.create_repo)
    if "_lfsmultipartthresh" not in src:
        raise Skip(f"huggingface_hub {VERSION}: create_repo no longer sends HfApi._lfsmultipartthresh "
                   "(see lfs_multipart_repo for the same upload against a repo created with a raw request)")
    r = rid("lfs-multipart")
    api._lfsmultipartthresh = THRESH
    try:
        api.create_repo(r)
    finally:
        del api._lfsmultipartthresh
    _multipart_upload(r, rand(MP_SIZE + 12345, "multipart-hook"), "big/multipart.bin")


@scenario
def lfs_multipart_repo():
    """Same multipart upload, the repo created with {"lfsmultipartthresh": N} by a raw request."""
    r = rid("lfs-multipart-raw")
    raw_create_repo(r, lfsmultipartthresh=THRESH)
    _multipart_upload(r, rand(MP_SIZE + 999, "multipart-raw"), "big/multipart.bin")


@scenario
def preupload_shards():
    r = rid("shards")
    api.create_repo(r, repo_type="dataset")
    n0 = len(commit_titles(r, repo_type="dataset"))
    contents, ops = [], []
    for i in range(5):
        content = rand(200_000 + i, f"shard{i}")
        contents.append(content)
        op = CommitOperationAdd(path_in_repo=f"shard_{i}_of_5.bin", path_or_fileobj=content)
        api.preupload_lfs_files(r, additions=[op], repo_type="dataset")
        check(op._is_uploaded, "shard %d not marked uploaded", i)
        ops.append(op)
    eq(len(commit_titles(r, repo_type="dataset")), n0, "commits before create_commit")
    eq(api.list_repo_files(r, repo_type="dataset"), [".gitattributes"], "files before create_commit")
    api.create_commit(r, operations=ops, commit_message="Commit all shards", repo_type="dataset")
    titles = commit_titles(r, repo_type="dataset")
    eq(len(titles), n0 + 1, "commits after create_commit")
    eq(titles[0], "Commit all shards", "commit title")
    assert_remote(r, {f"shard_{i}_of_5.bin": c for i, c in enumerate(contents)}, repo_type="dataset")


@scenario
def run_as_future():
    r = rid("futures")
    fut_repo = api.run_as_future(api.create_repo, r, exist_ok=True)
    futures = [
        api.upload_file(
            path_or_fileobj=f"content {i}\n".encode(), path_in_repo=f"f{i}.txt", repo_id=r,
            commit_message=f"future {i}", run_as_future=True,
        )
        for i in range(5)
    ]
    folder = tmpdir("fut")
    write(folder, {"folder/a.txt": b"a\n"})
    futures.append(api.upload_folder(folder_path=folder, repo_id=r, commit_message="future folder", run_as_future=True))
    eq(fut_repo.result(timeout=120).repo_id, r, "queued create_repo")
    results = [f.result(timeout=120) for f in futures]
    commits = api.list_repo_commits(r)
    titles = [c.title for c in commits]
    eq(titles[:6], ["future folder"] + [f"future {i}" for i in reversed(range(5))], "history order")
    eq([c.commit_id for c in commits[:6]], [c.oid for c in reversed(results)], "commit ids in submission order")
    assert_remote(r, {**{f"f{i}.txt": f"content {i}\n".encode() for i in range(5)}, "folder/a.txt": b"a\n"})


def _cli_variants():
    bindir = Path(sys.executable).parent
    out = []
    if V < (1, 0) and (bindir / "huggingface-cli").exists():
        out.append(("huggingface-cli", [str(bindir / "huggingface-cli"), "upload"]))
    if (bindir / "hf").exists():
        out.append(("hf", [str(bindir / "hf"), "upload"]))
    return out


def _cli(cmd, args, cwd):
    env = dict(os.environ)
    p = subprocess.run(cmd + args + ["--token", ALICE], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def _cli_url(out: str) -> str:
    urls = re.findall(r"https?://\S+", out)
    check(urls, "no URL printed: %r", out[-500:])
    return urls[-1].rstrip(".,)")


@scenario
def cli_upload():
    variants = _cli_variants()
    check(variants, "no upload CLI found next to %s", sys.executable)
    for label, cmd in variants:
        tag = "cli" if label == "hf" else "hfcli"
        cwd = tmpdir(tag)
        run = lambda *a: _cli(cmd, list(a), cwd)  # noqa: E731
        r = rid(f"{tag}-model")
        # 1. a file with an explicit path_in_repo
        weights = rand(70_000, "cli-weights")
        write(cwd, {"models/model.safetensors": weights, "models/config.json": b'{"a": 1}\n'})
        rc, out, err = run(r, "./models/model.safetensors", "model.safetensors", "--quiet")
        check(rc == 0, "%s upload file: exit %s: %s", label, rc, (err or out)[-800:])
        url = _cli_url(out)
        if V < (1, 0):
            eq(url, f"{E}/{r}/blob/main/model.safetensors", f"{label}: printed URL")
        else:
            check(re.fullmatch(re.escape(f"{E}/{r}/commit/") + "[0-9a-f]{40}", url), "%s: printed URL %s", label, url)
        # 2. a folder to the root
        rc, out, err = run(r, "./models", ".", "--quiet")
        check(rc == 0, "%s upload folder: exit %s: %s", label, rc, (err or out)[-800:])
        url = _cli_url(out)
        if V < (1, 0):
            check(url.startswith(f"{E}/{r}/tree/main"), "%s: printed URL %s", label, url)
        else:
            check(re.fullmatch(re.escape(f"{E}/{r}/commit/") + "[0-9a-f]{40}", url), "%s: printed URL %s", label, url)
        assert_remote(r, {"model.safetensors": weights, "config.json": b'{"a": 1}\n'})
        # 3. inference: a local folder named like the repo, then a local file named like the repo
        name = f"{P}-{tag}-infer-folder"
        write(cwd, {f"{name}/inferred.txt": b"from the inferred folder\n"})
        rc, out, err = run(f"alice/{name}", "--quiet")
        check(rc == 0, "%s upload (folder inferred): exit %s: %s", label, rc, (err or out)[-800:])
        assert_remote(f"alice/{name}", {"inferred.txt": b"from the inferred folder\n"})
        fname = f"{P}-{tag}-infer-file"
        write(cwd, {fname: b"from the inferred file\n"})
        rc, out, err = run(f"alice/{fname}", "--quiet")
        check(rc == 0, "%s upload (file inferred): exit %s: %s", label, rc, (err or out)[-800:])
        assert_remote(f"alice/{fname}", {fname: b"from the inferred file\n"})
        rc, out, err = run(f"alice/{P}-{tag}-nothing-here", "--quiet")
        check(rc != 0, "%s upload with nothing to infer succeeded: %s", label, out)
        # 4. --include/--exclude/--delete
        r2 = rid(f"{tag}-filters")
        api.create_repo(r2)
        api.create_commit(
            r2,
            operations=[
                CommitOperationAdd("old/a.txt", b"old a\n"),
                CommitOperationAdd("old/b.txt", b"old b\n"),
                CommitOperationAdd("keep.md", b"keep\n"),
            ],
            commit_message="seed",
        )
        write(cwd, {"filt/new.txt": b"new\n", "filt/skip_me.txt": b"skip\n", "filt/other.md": b"other\n"})
        rc, out, err = run(
            r2, "./filt", ".", "--include", "*.txt", "--exclude", "skip*", "--delete", "old/*", "--quiet",
            "--commit-message", "filtered upload",
        )
        check(rc == 0, "%s upload with filters: exit %s: %s", label, rc, (err or out)[-800:])
        assert_remote(r2, {"keep.md": b"keep\n", "new.txt": b"new\n"})
        eq(commit_titles(r2)[0], "filtered upload", f"{label}: --commit-message")
        # 5. dataset, new branch via --revision, private
        r3 = rid(f"{tag}-ds")
        write(cwd, {"train.csv": b"a\n1\n"})
        rc, out, err = run(r3, "./train.csv", "data/train.csv", "--repo-type", "dataset", "--private", "--quiet")
        check(rc == 0, "%s upload dataset: exit %s: %s", label, rc, (err or out)[-800:])
        check(f"{E}/datasets/{r3}/" in _cli_url(out), "%s: dataset URL %s", label, out)
        eq(api.repo_info(r3, repo_type="dataset").private, True, f"{label}: --private")
        rc, out, err = run(r3, "./train.csv", "data/dev.csv", "--repo-type", "dataset", "--revision", "dev-cli", "--quiet")
        check(rc == 0, "%s upload to a new branch: exit %s: %s", label, rc, (err or out)[-800:])
        assert_remote(r3, {"data/train.csv": b"a\n1\n"}, repo_type="dataset")
        assert_remote(
            r3, {"data/train.csv": b"a\n1\n", "data/dev.csv": b"a\n1\n"}, repo_type="dataset", revision="dev-cli"
        )


@scenario
def download_files():
    r = rid("download")
    api.create_repo(r)
    lfs_content = rand(2 * 1024 * 1024 + 5, "dl-lfs")
    text = b"".join(b"line %d\n" % i for i in range(20_000))
    files = {
        "small.txt": b"small\n",
        "big.txt": text,
        "nested/dir/file.txt": b"nested\n",
        "dir with space/file \u00fc #1.txt": b"weird name\n",
        "weights.bin": lfs_content,
    }
    api.create_commit(
        r, operations=[CommitOperationAdd(p, c) for p, c in files.items()], commit_message="download fixtures"
    )
    sha = api.repo_info(r).sha
    for p, c in files.items():
        eq(download(r, p), c, f"hf_hub_download {p}")
    eq(download(r, "small.txt", revision=sha), b"small\n", "download at a commit sha")
    # subfolder + local_dir
    local = tmpdir("localdir")
    p = api.hf_hub_download(r, "file.txt", subfolder="nested/dir", local_dir=local)
    eq(Path(p).read_bytes(), b"nested\n", "local_dir download")
    eq(Path(p), local / "nested/dir/file.txt", "local_dir path")
    # file metadata (HEAD)
    meta = api.get_hf_file_metadata(url=huggingface_hub.hf_hub_url(r, "weights.bin", endpoint=E))
    eq(meta.commit_hash, sha, "X-Repo-Commit")
    eq(meta.etag, hashlib.sha256(lfs_content).hexdigest(), "etag of an LFS file")
    eq(meta.size, len(lfs_content), "size of an LFS file")
    meta = api.get_hf_file_metadata(url=huggingface_hub.hf_hub_url(r, "small.txt", endpoint=E))
    eq(meta.etag, git_blob_sha1(b"small\n"), "etag of a regular file")

    # resumed downloads
    for path, etag in (("weights.bin", hashlib.sha256(lfs_content).hexdigest()), ("big.txt", git_blob_sha1(text))):
        content = files[path]
        half = len(content) // 3
        # the server: Range: bytes=N- → 206 + Content-Range
        status, h, body = http("GET", f"/{r}/resolve/main/{path}", headers={"Range": f"bytes={half}-"})
        eq(status, 206, f"status of a ranged GET of {path}")
        eq(h.get("Content-Range"), f"bytes {half}-{len(content) - 1}/{len(content)}", "Content-Range")
        eq(body, content[half:], f"ranged body of {path}")
        status, h, body = http("GET", f"/{r}/resolve/main/{path}", headers={"Range": "bytes=0-0"})
        eq((status, h.get("Content-Range"), body), (206, f"bytes 0-0/{len(content)}", content[:1]), "bytes=0-0")
        if V < (1, 0) and XET and path == "weights.bin":
            # A Xet file goes through hf_xet (its own chunk cache), never http_get.
            rec = Recorder()
            rec.wrap(hf_file_download, "xet_get")
            rec.wrap(hf_file_download, "http_get")
            try:
                p = api.hf_hub_download(r, path, cache_dir=tmpdir("xetdl"))
            finally:
                rec.restore()
            eq(Path(p).read_bytes(), content, f"Xet download of {path}")
            eq((rec.n("xet_get"), rec.n("http_get")), (1, 0), "xet_get/http_get calls for a Xet file")
        elif V < (1, 0):
            # 0.x resumes across runs from blobs/<etag>.incomplete
            cache = tmpdir("resume")
            blobs = cache / f"models--alice--{P}-download" / "blobs"
            blobs.mkdir(parents=True)
            (blobs / f"{etag}.incomplete").write_bytes(content[:half])
            rec = Recorder()
            rec.wrap(hf_file_download, "http_get")
            try:
                p = api.hf_hub_download(r, path, cache_dir=cache)
            finally:
                rec.restore()
            eq(Path(p).read_bytes(), content, f"resumed download of {path}")
            eq([kw.get("resume_size") for _, kw in rec.calls.get("http_get", [])], [half], "http_get resume_size")


@scenario
def snapshot_download():
    r = rid("snapshot")
    api.create_repo(r, repo_type="dataset")
    files = {
        "README.md": b"# snap\n",
        "data/a.txt": b"a\n",
        "data/b.csv": b"b\n",
        "data/deep/c.txt": b"c\n",
        "blob.bin": rand(500_000, "snap"),
    }
    api.create_commit(
        r, operations=[CommitOperationAdd(p, c) for p, c in files.items()], commit_message="snap",
        repo_type="dataset",
    )
    cache = tmpdir("snap")
    d = Path(api.snapshot_download(r, repo_type="dataset", cache_dir=cache))
    got = {str(p.relative_to(d)): p.read_bytes() for p in d.rglob("*") if p.is_file()}
    eq(sorted(got), sorted([*files, ".gitattributes"]), "snapshot files")
    for p, c in files.items():
        eq(got[p], c, f"snapshot {p}")
    sha = api.repo_info(r, repo_type="dataset").sha
    eq(d.name, sha, "snapshot folder is the commit sha")
    d2 = Path(api.snapshot_download(r, repo_type="dataset", cache_dir=tmpdir("snap2"), allow_patterns="*.txt"))
    got = sorted(str(p.relative_to(d2)) for p in d2.rglob("*") if p.is_file())
    eq(got, ["data/a.txt", "data/deep/c.txt"], "snapshot with allow_patterns")
    local = tmpdir("snaplocal")
    api.snapshot_download(r, repo_type="dataset", local_dir=local, ignore_patterns=["*.bin", ".gitattributes"])
    got = sorted(str(p.relative_to(local)) for p in local.rglob("*") if p.is_file() and ".cache" not in p.parts)
    eq(got, sorted(p for p in files if not p.endswith(".bin")), "snapshot to local_dir")


@scenario
def listing():
    r = rid("listing")
    api.create_repo(r)
    big = rand(100_000, "listing")
    files = {"a.txt": b"a\n", "nested/b.txt": b"bb\n", "nested/deeper/c.bin": big, "z.json": b"{}\n"}
    api.create_commit(r, operations=[CommitOperationAdd(p, c) for p, c in files.items()], commit_message="tree")
    eq(sorted(api.list_repo_files(r)), sorted([".gitattributes", *files]), "list_repo_files")
    from huggingface_hub.hf_api import RepoFile, RepoFolder

    root = {e.path: e for e in api.list_repo_tree(r)}
    eq(sorted(root), [".gitattributes", "a.txt", "nested", "z.json"], "tree of the root")
    check(isinstance(root["nested"], RepoFolder), "nested is %r", root["nested"])
    check(isinstance(root["a.txt"], RepoFile), "a.txt is %r", root["a.txt"])
    eq(root["a.txt"].size, 2, "size of a.txt")
    eq(root["a.txt"].blob_id, git_blob_sha1(b"a\n"), "blob id of a.txt")
    sub = {e.path: e for e in api.list_repo_tree(r, path_in_repo="nested")}
    eq(sorted(sub), ["nested/b.txt", "nested/deeper"], "tree of nested/")
    deep = {e.path: e for e in api.list_repo_tree(r, path_in_repo="nested/deeper")}
    eq(sorted(deep), ["nested/deeper/c.bin"], "tree of nested/deeper")
    rec = {e.path: e for e in api.list_repo_tree(r, recursive=True)}
    eq(
        sorted(rec),
        [".gitattributes", "a.txt", "nested", "nested/b.txt", "nested/deeper", "nested/deeper/c.bin", "z.json"],
        "recursive tree",
    )
    c = rec["nested/deeper/c.bin"]
    eq((c.size, c.lfs.sha256 if c.lfs else None), (len(big), hashlib.sha256(big).hexdigest()), "LFS entry")
    with raises(EntryNotFoundError, what="tree of a missing folder"):
        list(api.list_repo_tree(r, path_in_repo="missing"))
    info = api.repo_info(r, files_metadata=True)
    sizes = {s.rfilename: s.size for s in info.siblings}
    eq({k: sizes[k] for k in files}, {k: len(v) for k, v in files.items()}, "siblings sizes")
    paths = {p.path: p for p in api.get_paths_info(r, ["a.txt", "nested", "missing.txt", "nested/deeper/c.bin"])}
    eq(sorted(paths), ["a.txt", "nested", "nested/deeper/c.bin"], "get_paths_info")
    check(api.file_exists(r, "nested/b.txt"), "file_exists(nested/b.txt)")
    check(not api.file_exists(r, "nested/nope.txt"), "file_exists(missing)")
    check(not api.file_exists(rid("no-such-repo"), "a.txt"), "file_exists on a missing repo")
    check(api.revision_exists(r, "main"), "revision_exists(main)")
    check(not api.revision_exists(r, "nope"), "revision_exists(nope)")
    commits = api.list_repo_commits(r)
    eq([c.title for c in commits], ["tree", "initial commit"], "list_repo_commits")
    check(all(re.fullmatch(r"[0-9a-f]{40}", c.commit_id) for c in commits), "commit ids")
    eq(commits[0].authors, ["alice"], "commit authors")


@scenario
def errors():
    r = rid("errors")
    api.create_repo(r)
    api.upload_file(path_or_fileobj=b"x\n", path_in_repo="x.txt", repo_id=r)
    missing = rid("does-not-exist")
    with raises(RepositoryNotFoundError, what="hf_hub_download from a missing repo"):
        download(missing, "x.txt")
    with raises(RepositoryNotFoundError, what="repo_info of a missing repo"):
        api.repo_info(missing)
    with raises(RepositoryNotFoundError, what="upload_file to a missing repo"):
        api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=missing)
    with raises(RepositoryNotFoundError, what="list_repo_files of a missing dataset"):
        api.list_repo_files(r, repo_type="dataset")
    with raises(RevisionNotFoundError, what="hf_hub_download from a missing revision"):
        download(r, "x.txt", revision="no-such-branch")
    with raises(RevisionNotFoundError, what="repo_info of a missing revision"):
        api.repo_info(r, revision="no-such-branch")
    with raises(RevisionNotFoundError, what="upload_file to a missing branch"):
        api.upload_file(path_or_fileobj=b"x", path_in_repo="y.txt", repo_id=r, revision="no-such-branch")
    with raises(EntryNotFoundError, what="hf_hub_download of a missing file"):
        download(r, "no-such-file.txt")
    with raises(EntryNotFoundError, what="hf_hub_download of a folder"):
        api.upload_file(path_or_fileobj=b"n\n", path_in_repo="dir/n.txt", repo_id=r)
        download(r, "dir")
    with raises(RepositoryNotFoundError, what="anonymous download from a private repo"):
        p = rid("errors-private")
        api.create_repo(p, private=True)
        api.upload_file(path_or_fileobj=b"s\n", path_in_repo="s.txt", repo_id=p)
        download(p, "s.txt", token=False)


@scenario
def repo_id_case():
    r = f"alice/{P}-CaseRepo"
    api.create_repo(r)
    api.upload_file(path_or_fileobj=b"case\n", path_in_repo="c.txt", repo_id=r.lower())
    eq(download(r.lower(), "c.txt"), b"case\n", "download with a lower-cased id")
    eq(api.repo_info(r.lower()).id, r, "canonical id from a lower-cased lookup")
    again = api.create_repo(r.lower(), exist_ok=True)
    eq(again.repo_id, r, "create_repo(exist_ok) with another casing returns the canonical id")
    assert_remote(r, {"c.txt": b"case\n"})


@scenario
def repo_admin():
    r = rid("admin")
    api.create_repo(r, repo_type="dataset")
    api.upload_file(path_or_fileobj=b"m\n", path_in_repo="m.txt", repo_id=r, repo_type="dataset")
    api.update_repo_settings(r, repo_type="dataset", private=True)
    eq(api.repo_info(r, repo_type="dataset").private, True, "private after update_repo_settings")
    with raises(RepositoryNotFoundError, what="bob reads the now private repo"):
        bob.repo_info(r, repo_type="dataset")
    api.update_repo_settings(r, repo_type="dataset", private=False)
    eq(bob.repo_info(r, repo_type="dataset").private, False, "public again")
    api.update_repo_settings(r, repo_type="dataset", gated="auto")
    eq(api.repo_info(r, repo_type="dataset").gated, "auto", "gated")
    api.update_repo_settings(r, repo_type="dataset", gated=False)
    moved = rid("admin-moved", ns="acme")
    api.move_repo(from_id=r, to_id=moved, repo_type="dataset")
    assert_remote(moved, {"m.txt": b"m\n"}, repo_type="dataset")
    # The Hub redirects the old id to the new one.
    check(api.repo_exists(r, repo_type="dataset"), "old id does not redirect after move_repo")
    api.delete_repo(moved, repo_type="dataset")
    check(not api.repo_exists(moved, repo_type="dataset"), "repo exists after delete_repo")
    api.delete_repo(moved, repo_type="dataset", missing_ok=True)
    with raises(RepositoryNotFoundError, what="delete_repo of a missing repo"):
        api.delete_repo(moved, repo_type="dataset")
    # the name can be reused
    api.create_repo(moved, repo_type="dataset")
    eq(api.list_repo_files(moved, repo_type="dataset"), [".gitattributes"], "files of a re-created repo")


@scenario
def gated_access():
    from huggingface_hub.errors import GatedRepoError

    r = rid("gated")
    api.create_repo(r)
    api.upload_file(path_or_fileobj=b"secret\n", path_in_repo="s.txt", repo_id=r)
    api.upload_file(path_or_fileobj=rand(300_000, "gated"), path_in_repo="w.bin", repo_id=r)
    api.update_repo_settings(r, gated="manual")
    eq(api.repo_info(r).gated, "manual", "gated in repo_info")
    eq(sorted(bob.list_repo_files(r)), [".gitattributes", "s.txt", "w.bin"], "files listed to bob")
    for who, tok in (("anonymous", False), ("bob", BOB)):
        for f in ("s.txt", "w.bin"):
            with raises(GatedRepoError, what=f"{who}'s hf_hub_download of {f} from a gated repo"):
                download(r, f, token=tok)
    with raises(GatedRepoError, what="bob's auth_check"):
        bob.auth_check(r)
    with raises(GatedRepoError, what="bob's file_exists"):
        bob.file_exists(r, "s.txt")
    check(bob.repo_exists(r), "repo_exists of a gated repo")
    api.auth_check(r)
    eq(download(r, "s.txt"), b"secret\n", "the owner downloads")
    # bob asks through the gate form
    status, _, body = http("POST", f"/api/models/{r}/ask-access", token=BOB, body={"reason": "research"})
    check(status == 200, "ask-access: %s %s", status, body[:300])
    pending = list(api.list_pending_access_requests(r))
    eq([(q.username, q.status, q.fields) for q in pending], [("bob", "pending", {"reason": "research"})], "pending requests")
    with raises(GatedRepoError, what="bob's download while pending"):
        download(r, "s.txt", token=BOB)
    api.accept_access_request(r, "bob")
    eq(download(r, "w.bin", token=BOB), rand(300_000, "gated"), "accepted bob downloads")
    bob.auth_check(r)
    with raises(HfHubHTTPError, status=404, what="accepting an accepted request"):
        api.accept_access_request(r, "bob")
    api.reject_access_request(r, "bob", rejection_reason="not now")
    eq([q.username for q in api.list_rejected_access_requests(r)], ["bob"], "rejected requests")
    with raises(GatedRepoError, what="rejected bob's download"):
        download(r, "s.txt", token=BOB)
    api.cancel_access_request(r, "bob")
    eq([q.username for q in api.list_pending_access_requests(r)], ["bob"], "pending after cancel")
    api.grant_access(r, "bob")
    with raises(HfHubHTTPError, status=400, what="granting twice"):
        api.grant_access(r, "bob")
    eq([q.username for q in api.list_accepted_access_requests(r)], ["bob"], "accepted requests")
    eq(download(r, "s.txt", token=BOB), b"secret\n", "granted bob downloads")
    with raises(HfHubHTTPError, status=403, what="bob lists the requests"):
        list(bob.list_pending_access_requests(r))
    api.update_repo_settings(r, gated=False)
    eq(download(r, "s.txt", token=False), b"secret\n", "anonymous download once not gated")
    with raises(HfHubHTTPError, status=400, what="requests of a repo that is not gated"):
        list(api.list_pending_access_requests(r))


@scenario
def renamed_repo():
    r = rid("rename-src")
    api.create_repo(r, private=True)
    api.upload_file(path_or_fileobj=b"moved\n", path_in_repo="m.txt", repo_id=r)
    big = rand(200_000, "renamed")
    api.upload_file(path_or_fileobj=big, path_in_repo="big.bin", repo_id=r)
    new = rid("rename-dst", ns="acme")
    api.move_repo(from_id=r, to_id=new)
    eq(download(r, "m.txt"), b"moved\n", "download through the old id")
    eq(download(r, "big.bin"), big, "LFS download through the old id")
    eq(api.repo_info(r).id, new, "repo_info through the old id")
    check(api.file_exists(r, "m.txt"), "file_exists through the old id")
    with raises(RepositoryNotFoundError, what="bob downloads through the old id of a private repo"):
        download(r, "m.txt", token=BOB)
    with raises(RepositoryNotFoundError, what="anonymous repo_info through the old id of a private repo"):
        anon.repo_info(r)
    api.upload_file(path_or_fileobj=b"two\n", path_in_repo="two.txt", repo_id=r)
    assert_remote(new, {"m.txt": b"moved\n", "big.bin": big, "two.txt": b"two\n"})
    # git clone of the old URL
    env = _git_env()
    local = tmpdir("renamed") / "clone"
    _git(env, local.parent, "clone", f"{E}/{r}", str(local))
    eq((local / "big.bin").read_bytes(), big, "git clone of the old URL")
    newer = rid("rename-dst2", ns="acme")
    api.move_repo(from_id=new, to_id=newer)
    eq(download(r, "m.txt"), b"moved\n", "download through the first id after two moves")
    # a new repo at the old id ends the redirect
    api.create_repo(r)
    eq(api.list_repo_files(r), [".gitattributes"], "files of the repo created at the old id")
    eq(download(new, "two.txt"), b"two\n", "the other old id still redirects")


@scenario
def expand_properties():
    from typing import get_args

    from huggingface_hub import hf_api

    card = b"---\nlicense: mit\ntags:\n- compat\n---\n# card\n"
    for repo_type, lit in (("model", hf_api.ExpandModelProperty_T), ("dataset", hf_api.ExpandDatasetProperty_T),
                           ("space", hf_api.ExpandSpaceProperty_T)):
        r = rid(f"expand-{repo_type}")
        api.create_repo(r, repo_type=repo_type, **({"space_sdk": "gradio"} if repo_type == "space" else {}))
        api.upload_file(path_or_fileobj=card, path_in_repo="README.md", repo_id=r, repo_type=repo_type)
        props = list(get_args(lit))
        info = api.repo_info(r, repo_type=repo_type, expand=props)
        eq(info.id, r, f"{repo_type} info id with every expand property")
        check(re.fullmatch(r"[0-9a-f]{40}", info.sha or ""), "sha %r", info.sha)
        eq(info.card_data.license if info.card_data else None, "mit", f"{repo_type} cardData license")
        check("compat" in (info.tags or []), "tags %r", info.tags)
        if repo_type != "space":  # spaces have no gated property
            eq(info.gated, False, f"{repo_type} gated")
        eq(sorted(s.rfilename for s in info.siblings), [".gitattributes", "README.md"], f"{repo_type} siblings")
        with raises(HfHubHTTPError, status=400, what=f"{repo_type} info with an unknown expand property"):
            api.repo_info(r, repo_type=repo_type, expand=["does_not_exist"])
    listed = list(api.list_models(author="alice", search=f"{P}-expand-model", expand=["sha", "cardData", "gated"]))
    eq([m.id for m in listed], [rid("expand-model")], "list_models with expand")
    check(re.fullmatch(r"[0-9a-f]{40}", listed[0].sha or ""), "listed sha %r", listed[0].sha)
    with raises(HfHubHTTPError, status=400, what="list_models with an unknown expand property"):
        list(api.list_models(author="alice", expand=["does_not_exist"]))


@scenario
def delete_folder_implicit():
    r = rid("delete-folder")
    api.create_repo(r)
    api.create_commit(r, operations=[
        CommitOperationAdd("dir/a.txt", b"a"), CommitOperationAdd("dir/sub/b.txt", b"b"),
        CommitOperationAdd("dirty.txt", b"keep"),
    ], commit_message="setup")
    # no trailing slash: the client sends a deletedFile line; the Hub deletes the folder
    api.create_commit(r, operations=[CommitOperationDelete("dir")], commit_message="delete dir")
    assert_remote(r, {"dirty.txt": b"keep"})


@scenario
def hub_error_texts():
    def error_of(fn):
        try:
            fn()
        except HfHubHTTPError as e:
            return e
        raise AssertionError(f"{fn}: no HfHubHTTPError")

    r = rid("texts")
    api.create_repo(r)
    first = api.upload_file(path_or_fileobj=b"a", path_in_repo="a.txt", repo_id=r).oid
    api.upload_file(path_or_fileobj=b"b", path_in_repo="b.txt", repo_id=r)
    e = error_of(lambda: api.create_commit(r, operations=[CommitOperationAdd("c.txt", b"c")], commit_message="stale",
                                           parent_commit=first))
    eq(e.response.status_code, 412, "status of a stale parent_commit")
    check("A commit has happened since. Please refresh and try again." in str(e), "stale parent_commit: %s", e)
    api.create_branch(r, branch="dev")
    e = error_of(lambda: api.create_branch(r, branch="dev"))
    eq(e.response.status_code, 409, "status of an existing branch")
    check("Reference refs/heads/dev already exists" in str(e), "existing branch: %s", e)
    api.create_branch(r, branch="dev", exist_ok=True)
    e = error_of(lambda: api.delete_branch(r, branch="main"))
    check("Cannot delete refs/heads/main" in str(e), "deleting main: %s", e)
    with raises(RevisionNotFoundError, what="create_tag on a missing revision with a bad name"):
        api.create_tag(r, tag="bad..name", revision="no-such-rev")
    other = rid("texts-other")
    api.create_repo(other)
    e = error_of(lambda: api.move_repo(from_id=other, to_id=r))
    check(f"A model repository called {r} already exists" in str(e), "move onto an existing repo: %s", e)


@scenario
def repo_settings_xet():
    if V >= (1, 0):
        raise Skip("update_repo_settings(xet_enabled=...) was removed in huggingface_hub 1.0")
    r = rid("xet-setting")
    api.create_repo(r)
    api.update_repo_settings(r, xet_enabled=False)
    eq(api.repo_info(r, expand=["xetEnabled"]).xet_enabled, False, "xetEnabled after update_repo_settings(xet_enabled=False)")
    api.update_repo_settings(r, xet_enabled=True)
    eq(api.repo_info(r, expand=["xetEnabled"]).xet_enabled, True, "xetEnabled after update_repo_settings(xet_enabled=True)")


@scenario
def org_private_default():
    org = "acme-admins"
    status, _, body = http("PUT", f"/api/organizations/{org}/settings", body={"privateByDefault": True})
    check(status == 200, "org settings: %s %s", status, body[:300])
    status, _, body = http("PUT", "/api/organizations/acme/settings", body={"privateByDefault": True})
    eq(status, 403, "a write member changes the org settings")
    r = rid("private-default", ns=org)
    api.create_repo(r)
    eq(api.repo_info(r).private, True, "create_repo without private in an org private by default")
    with raises(RepositoryNotFoundError, what="bob reads a repo private by default"):
        bob.repo_info(r)
    p = rid("public-explicit", ns=org)
    api.create_repo(p, private=False)
    eq(api.repo_info(p).private, False, "create_repo(private=False) in an org private by default")
    u = rid("user-default")
    api.create_repo(u)
    eq(api.repo_info(u).private, False, "a user's repo stays public")


@scenario
def annotated_tags():
    r = rid("annotated-tags")
    api.create_repo(r)
    head = api.upload_file(path_or_fileobj=b"a\n", path_in_repo="a.txt", repo_id=r).oid
    api.create_tag(r, tag="v-api", tag_message="Release from the API")
    env = _git_env()
    c1 = tmpdir("tags") / "c1"
    _git(env, c1.parent, "clone", f"{E}/{r}", str(c1))
    eq(_git(env, c1, "cat-file", "-t", "v-api").stdout.strip(), "tag", "create_tag(tag_message=...) in a clone")
    check("Release from the API" in _git(env, c1, "cat-file", "-p", "v-api").stdout, "message of v-api")
    _git(env, c1, "tag", "-a", "v1", "-m", "Version 1")
    tag_id = _git(env, c1, "rev-parse", "v1").stdout.strip()
    _git(env, c1, "push", "origin", "v1")
    tags = {t.name: t.target_commit for t in api.list_repo_refs(r).tags}
    eq(tags, {"v-api": head, "v1": head}, "tags listed with the commits they tag")
    eq(download(r, "a.txt", revision="v1"), b"a\n", "download at the annotated tag")
    c2 = tmpdir("tags") / "c2"
    _git(env, c2.parent, "clone", f"{E}/{r}", str(c2))
    eq(_git(env, c2, "rev-parse", "v1").stdout.strip(), tag_id, "the tag object round-trips byte for byte")
    _git(env, c2, "fsck", "--strict")
    _git(env, c1, "push", "--delete", "origin", "v1")
    api.delete_tag(r, tag="v-api")
    eq(api.list_repo_refs(r).tags, [], "tags after git push --delete and delete_tag")
    if hasattr(huggingface_hub, "Repository"):  # removed in 1.0
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            repo = huggingface_hub.Repository(local_dir=str(tmpdir("tags") / "repo"), clone_from=f"{E}/{r}", token=ALICE,
                                              git_user="Alice Compat", git_email="alice@example.com")
            repo.add_tag("v2", message="from Repository", remote="origin")
        eq([t.name for t in api.list_repo_refs(r).tags], ["v2"], "Repository.add_tag(message=...)")
        repo.delete_tag("v2", remote="origin")
        eq(api.list_repo_refs(r).tags, [], "Repository.delete_tag")


@scenario
def lfs_files():
    r = rid("lfs-files")
    api.create_repo(r)
    a, b = rand(300_000, "lfs-files-a"), rand(200_000, "lfs-files-b")
    api.upload_file(path_or_fileobj=a, path_in_repo="w1.bin", repo_id=r)
    api.upload_file(path_or_fileobj=b, path_in_repo="dir/w2.bin", repo_id=r)
    api.upload_file(path_or_fileobj=b"# r\n", path_in_repo="README.md", repo_id=r)
    files = {f.filename: f for f in api.list_lfs_files(r)}
    eq(sorted(files), ["dir/w2.bin", "w1.bin"], "list_lfs_files")
    eq((files["w1.bin"].file_oid, files["w1.bin"].size), (hashlib.sha256(a).hexdigest(), len(a)), "w1.bin in list_lfs_files")
    check(files["w1.bin"].pushed_at is not None, "pushed_at")
    api.permanently_delete_lfs_files(r, [files["w1.bin"]])  # rewrite_history=True
    eq([f.filename for f in api.list_lfs_files(r)], ["dir/w2.bin"], "list_lfs_files after a delete")
    for c in api.list_repo_commits(r):
        check("w1.bin" not in api.list_repo_files(r, revision=c.commit_id), "commit %s still names w1.bin", c.commit_id)
    assert_remote(r, {"dir/w2.bin": b, "README.md": b"# r\n"})
    api.permanently_delete_lfs_files(r, [files["dir/w2.bin"]], rewrite_history=False)
    with raises(EntryNotFoundError, what="download of deleted LFS content"):
        download(r, "dir/w2.bin")
    eq(list(api.list_lfs_files(r)), [], "list_lfs_files after deleting everything")


@scenario
def pr_merge():
    r = rid("pr-merge")
    api.create_repo(r)
    api.upload_file(path_or_fileobj=b"base\n", path_in_repo="base.txt", repo_id=r)
    pr = api.upload_file(path_or_fileobj=b"feature\n", path_in_repo="feature.txt", repo_id=r, create_pr=True,
                         commit_message="add feature")
    api.comment_discussion(r, pr.pr_num, "looks good")
    listed = [d.num for d in api.get_repo_discussions(r, discussion_type="pull_request")]
    eq(listed, [pr.pr_num], "get_repo_discussions")
    details = api.get_discussion_details(r, pr.pr_num)
    eq(details.status, "open", "PR status")
    check(any(getattr(e, "content", None) == "looks good" for e in details.events), "comment not in PR events")
    api.merge_pull_request(r, pr.pr_num, comment="merging")
    eq(api.get_discussion_details(r, pr.pr_num).status, "merged", "PR status after merge")
    assert_remote(r, {"base.txt": b"base\n", "feature.txt": b"feature\n"})


@scenario
def super_squash():
    r = rid("squash")
    api.create_repo(r)
    for i in range(3):
        api.upload_file(path_or_fileobj=f"{i}\n".encode(), path_in_repo=f"{i}.txt", repo_id=r)
    api.super_squash_history(r, commit_message="squashed")
    eq(commit_titles(r), ["squashed"], "history after super_squash_history")
    assert_remote(r, {f"{i}.txt": f"{i}\n".encode() for i in range(3)})


@scenario
def super_squash_pr():
    r = rid("squash-pr")
    api.create_repo(r)
    api.upload_file(path_or_fileobj=b"base\n", path_in_repo="base.txt", repo_id=r)
    pr = api.upload_file(path_or_fileobj=b"a\n", path_in_repo="a.txt", repo_id=r, create_pr=True)
    api.upload_file(path_or_fileobj=b"b\n", path_in_repo="b.txt", repo_id=r, revision=pr.pr_revision)
    api.super_squash_history(r, branch=pr.pr_revision, commit_message="squashed PR")
    eq(commit_titles(r, revision=pr.pr_revision), ["squashed PR"], "PR history after super_squash_history")
    assert_remote(r, {"base.txt": b"base\n", "a.txt": b"a\n", "b.txt": b"b\n"}, revision=pr.pr_revision)
    eq(len(commit_titles(r)), 2, "main keeps its history")
    api.create_branch(r, branch="feature/x")
    api.upload_file(path_or_fileobj=b"x\n", path_in_repo="x.txt", repo_id=r, revision="feature/x")
    api.super_squash_history(r, branch="feature/x", commit_message="squashed feature")
    eq(commit_titles(r, revision="feature/x"), ["squashed feature"], "feature/x history after super_squash_history")


@scenario
def commit_scheduler():
    from huggingface_hub import CommitScheduler

    r = rid("scheduler")
    folder = tmpdir("sched")
    write(folder, {"data/a.jsonl": b'{"a": 1}\n', "big.bin": rand(300_000, "sched")})
    sched = CommitScheduler(repo_id=r, repo_type="dataset", folder_path=folder, path_in_repo="logs", every=60,
                            hf_api=api, private=True)
    try:
        # the constructor triggers a first push in the background; this one queues behind it
        with sched.lock:
            with open(folder / "data/a.jsonl", "ab") as f:
                f.write(b'{"a": 2}\n')
        sched.trigger().result(timeout=120)
    finally:
        sched.stop()
    eq(api.repo_info(r, repo_type="dataset").private, True, "scheduler repo is private")
    check("Scheduled Commit" in commit_titles(r, repo_type="dataset"), "no 'Scheduled Commit' in history")
    assert_remote(
        r, {"logs/data/a.jsonl": b'{"a": 1}\n{"a": 2}\n', "logs/big.bin": rand(300_000, "sched")}, repo_type="dataset"
    )


@scenario
def upload_large_folder():
    if not hasattr(HfApi, "upload_large_folder"):
        raise Skip(f"huggingface_hub {VERSION} removed upload_large_folder (use upload_folder)")
    r = rid("large-folder")
    folder = tmpdir("large")
    files = {f"part-{i:02d}/file.txt": f"text {i}\n".encode() for i in range(30)}
    files.update({f"shards/s{i}.bin": rand(100_000 + i, f"large{i}") for i in range(4)})
    files[".cache/huggingface/skip.txt"] = b"local cache: never uploaded\n"
    write(folder, files)
    del files[".cache/huggingface/skip.txt"]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        api.upload_large_folder(repo_id=r, folder_path=folder, repo_type="model", print_report=False, num_workers=2)
    assert_remote(r, files)
    check(all(t == "Add files using upload-large-folder tool" for t in commit_titles(r)[:-1]), "commit titles")


def _killed_after(cmd, seconds, env=None):
    """Run cmd and SIGKILL it after `seconds` unless it ended before."""
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        p.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    return p.returncode


def _committed_once(r):
    """Fail if a commit of main leaves the tree unchanged (a file committed twice)."""
    prev = {}
    for c in reversed(api.list_repo_commits(r)):
        cur = {e.path: e.blob_id for e in api.list_repo_tree(r, revision=c.commit_id, recursive=True)
               if hasattr(e, "blob_id")}
        check(cur != prev, "commit %s (%s) changes nothing", c.commit_id, c.title)
        prev = cur


@scenario
def upload_large_folder_cross_tool():
    """An upload_large_folder started by one tool and finished by the other: both read and write
    <folder>/.cache/huggingface/upload/*.metadata in the same format."""
    if not hasattr(HfApi, "upload_large_folder"):
        raise Skip(f"huggingface_hub {VERSION} removed upload_large_folder")
    wharf = os.environ.get("WHARF_BIN")
    if not wharf:
        raise Skip("WHARF_BIN (the wharf binary) is not set")
    py_env = dict(os.environ, HF_TOKEN=ALICE)
    import warnings

    for first in ("python", "wharf"):
        r = rid(f"xlarge-{first}")
        folder = tmpdir(f"xlarge-{first}")
        files = {f"part-{i % 5}/f{i:03d}.txt": f"text {i} {first}\n".encode() for i in range(300)}
        files.update({f"shards/s{i}.bin": rand(300_000 + i, f"xl-{first}-{i}") for i in range(3)})
        write(folder, files)
        wharf_cmd = [wharf, "upload-large-folder", r, str(folder), "--repo-type", "model", "--no-report",
                     "--endpoint", E, "--token", ALICE]
        py_code = (
            "import sys, warnings; warnings.simplefilter('ignore'); from huggingface_hub import HfApi; "
            f"HfApi(endpoint={E!r}, token={ALICE!r}).upload_large_folder(repo_id={r!r}, folder_path={str(folder)!r}, "
            "repo_type='model', print_report=False, num_workers=2)"
        )
        # 1. The first tool uploads part of the folder, then is killed in the middle of the rest.
        if first == "python":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                api.upload_large_folder(repo_id=r, folder_path=folder, repo_type="model", print_report=False,
                                        num_workers=2, allow_patterns=["part-0/*", "shards/s0.bin"])
            _killed_after([sys.executable, "-c", py_code], 4.0, env=py_env)
        else:
            p = subprocess.run(wharf_cmd + ["--include", "part-0/*", "--include", "shards/s0.bin"],
                               capture_output=True, text=True, timeout=300)
            check(p.returncode == 0, "wharf upload-large-folder (part): %s", p.stderr[-800:])
            _killed_after(wharf_cmd, 0.3)
        meta = folder / ".cache/huggingface/upload/part-0/f000.txt.metadata"
        check(meta.exists(), "no metadata left by %s", first)
        lines = meta.read_text().split("\n")
        check(len(lines) >= 8 and lines[-2] == "1", "metadata of a committed file: %r", meta.read_text())
        # 2. The other tool finishes.
        if first == "python":
            p = subprocess.run(wharf_cmd, capture_output=True, text=True, timeout=300)
            check(p.returncode == 0, "wharf upload-large-folder (finish): %s", p.stderr[-800:])
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                api.upload_large_folder(repo_id=r, folder_path=folder, repo_type="model", print_report=False,
                                        num_workers=2)
        assert_remote(r, files)
        if first == "python":
            _committed_once(r)  # wharf re-checks what the Hub has before committing again


@scenario
def pagination():
    """Listings longer than one server page (Link: rel="next")."""
    r = rid("pages")
    api.create_repo(r)
    n = 1005
    api.create_commit(
        r, operations=[CommitOperationAdd(f"many/f{i:04d}.txt", b"%d\n" % i) for i in range(n)],
        commit_message="many files",
    )
    entries = list(api.list_repo_tree(r, path_in_repo="many"))
    eq(len(entries), n, "entries of many/")
    eq(len({e.path for e in entries}), n, "distinct entries of many/")
    eq(len(api.list_repo_files(r)), n + 1, "list_repo_files")
    for i in range(55):
        api.create_commit(r, operations=[CommitOperationAdd("counter.txt", b"%d\n" % i)], commit_message=f"c{i}")
    commits = api.list_repo_commits(r)
    eq(len(commits), 57, "list_repo_commits across pages")
    eq(commits[0].title, "c54", "newest commit first")
    eq(len({c.commit_id for c in commits}), 57, "distinct commits")
    eq(download(r, "many/f1004.txt"), b"1004\n", "a file from the last page")


@scenario
def tree_expand():
    """expand=True asks for lastCommit (and securityFileStatus) per entry."""
    r = rid("expand")
    api.create_repo(r)
    c1 = api.upload_file(path_or_fileobj=b"one\n", path_in_repo="one.txt", repo_id=r, commit_message="first file")
    c2 = api.upload_file(path_or_fileobj=b"two\n", path_in_repo="dir/two.txt", repo_id=r, commit_message="second")
    entries = {e.path: e for e in api.list_repo_tree(r, recursive=True, expand=True)}
    for path, c, title in (("one.txt", c1, "first file"), ("dir/two.txt", c2, "second")):
        lc = entries[path].last_commit
        check(lc is not None, "list_repo_tree(expand=True): no lastCommit for %s", path)
        eq((lc.oid, lc.title), (c.oid, title), f"lastCommit of {path}")
    infos = {i.path: i for i in api.get_paths_info(r, ["one.txt"], expand=True)}
    check(infos["one.txt"].last_commit is not None, "get_paths_info(expand=True): no lastCommit")
    eq(infos["one.txt"].last_commit.oid, c1.oid, "paths-info lastCommit")


@scenario
def hf_file_system():
    """HfFileSystem (fsspec), what datasets/pandas use: listings, ranged reads, writes."""
    from huggingface_hub import HfFileSystem

    r = rid("hffs")
    api.create_repo(r, repo_type="dataset")
    big = rand(1_000_000, "hffs")
    api.create_commit(
        r, repo_type="dataset", commit_message="fs fixtures",
        operations=[
            CommitOperationAdd("data/a.csv", b"x,y\n1,2\n"),
            CommitOperationAdd("data/sub/b.txt", b"bee\n"),
            CommitOperationAdd("blob.bin", big),
        ],
    )
    fs = HfFileSystem(endpoint=E, token=ALICE, skip_instance_cache=True)
    root = f"datasets/{r}"
    eq(sorted(fs.ls(root, detail=False)), sorted(f"{root}/{p}" for p in (".gitattributes", "blob.bin", "data")), "ls")
    eq(sorted(fs.glob(f"{root}/**/*.txt")), [f"{root}/data/sub/b.txt"], "glob")
    info = fs.info(f"{root}/blob.bin")
    eq((info["type"], info["size"]), ("file", len(big)), "info of an LFS file")
    eq(fs.info(f"{root}/data")["type"], "directory", "info of a folder")
    eq(fs.cat(f"{root}/data/a.csv"), b"x,y\n1,2\n", "cat")
    with fs.open(f"{root}/blob.bin", "rb", block_size=64 * 1024) as f:
        f.seek(500_000)
        eq(f.read(1000), big[500_000:501_000], "ranged read")
        f.seek(10)
        eq(f.read(10), big[10:20], "ranged read after a backward seek")
    check(fs.exists(f"{root}/data/sub/b.txt") and not fs.exists(f"{root}/data/nope"), "exists")
    with fs.open(f"{root}/written/new.txt", "wb") as f:
        f.write(b"written through fsspec\n")
    fs.rm(f"{root}/data/sub/b.txt")
    eq(fs.cat(f"{root}@main/written/new.txt"), b"written through fsspec\n", "cat after write")
    assert_remote(
        r, {"data/a.csv": b"x,y\n1,2\n", "blob.bin": big, "written/new.txt": b"written through fsspec\n"},
        repo_type="dataset",
    )


@scenario
def git_repository():
    """The upload guide's legacy git workflow: Repository (git + git-lfs) against wharf's smart HTTP.

    Each push keeps its LFS objects all above or all below the repo's multipart threshold:
    a push mixing both is git_lfs_largefiles_mixed.
    """
    try:
        from huggingface_hub import Repository
    except ImportError:
        raise Skip(f"huggingface_hub {VERSION} removed Repository (the git-based workflow)") from None
    for b in ("git", "git-lfs"):
        check(shutil.which(b), "%s is not installed", b)
    import huggingface_hub.repository as hf_repository

    # Repository follows git-lfs progress with a thread that polls every 1-2 s and is
    # joined after each clone/push (~2 s each); the progress bars are not what is
    # tested here, so leave them out (errors still propagate).
    orig_progress = hf_repository._lfs_log_progress
    hf_repository._lfs_log_progress = contextlib.nullcontext
    try:
        _git_repository(Repository)
    finally:
        hf_repository._lfs_log_progress = orig_progress


def _git_repository(Repository):
    import warnings

    r = rid("git-repository")
    # A small multipart threshold: LFS objects above it go through the client's own
    # custom transfer agent (hf lfs-multipart-upload), which Repository always sets up.
    raw_create_repo(r, lfsmultipartthresh=THRESH)
    api.upload_file(path_or_fileobj=b"# from the API\n", path_in_repo="README.md", repo_id=r)
    local = tmpdir("gitrepo") / "clone"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Repository is deprecated
        repo = Repository(
            local_dir=str(local), clone_from=f"{E}/{r}", token=ALICE,
            git_user="Alice Compat", git_email="alice@example.com",
        )
    eq((local / "README.md").read_bytes(), b"# from the API\n", "cloned README.md")
    eq(repo.git_head_hash(), api.repo_info(r).sha, "cloned head")
    files = {
        "README.md": b"# from the API\n",
        "config.json": b'{"a": 1}\n',
        "model.bin": rand(3 * THRESH + 5, "gitrepo-bin"),  # *.bin: LFS by the Hub's .gitattributes
        "big.txt": b"".join(b"line %d of a large text file\n" % i for i in range(400_000)),  # > 10 MB: auto-tracked
    }
    check(len(files["big.txt"]) > 10 * 1024 * 1024, "big.txt is only %d bytes", len(files["big.txt"]))
    write(local, files)
    repo.push_to_hub(commit_message="push from Repository")
    eq(commit_titles(r)[0], "push from Repository", "title of the pushed commit")
    eq(api.repo_info(r).sha, repo.git_head_hash(), "head after push_to_hub")
    assert_remote(r, files)
    for p in ("model.bin", "big.txt"):
        _lfs_tree_check(r, p, files[p], xet=False)
    # an API commit, then git_pull
    api.upload_file(path_or_fileobj=b"from the API\n", path_in_repo="api.txt", repo_id=r)
    repo.git_pull()
    eq((local / "api.txt").read_bytes(), b"from the API\n", "api.txt after git_pull")
    files["api.txt"] = b"from the API\n"
    # the commit() context manager (pull, edit, add, commit, push); a binary file
    # below the threshold is auto-tracked with git-lfs and sent with the basic transfer
    cwd = os.getcwd()
    small = rand(200_000, "gitrepo-weights")
    try:
        with repo.commit(commit_message="commit context"):
            Path("ctx.txt").write_bytes(b"written in commit()\n")
            Path("small.weights").write_bytes(small)
    finally:
        os.chdir(cwd)
    files["ctx.txt"] = b"written in commit()\n"
    files["small.weights"] = small
    eq(commit_titles(r)[0], "commit context", "title of the commit() commit")
    _lfs_tree_check(r, "small.weights", small, xet=False)
    # a non-blocking push, tracked in the command queue
    (local / "async.txt").write_bytes(b"async\n")
    _, cmd = repo.push_to_hub(commit_message="async push", blocking=False)
    repo.wait_for_commands()
    eq((cmd.status, cmd.is_done, cmd.failed), (0, True, False), "status of the non-blocking push")
    files["async.txt"] = b"async\n"
    assert_remote(r, files)


_GIT_HELPER = '!f() { test "$1" = get || exit 0; echo username=alice; echo "password=$WHARF_COMPAT_GIT_TOKEN"; }; f'


def _git_env() -> dict:
    """Environment of git commands: a fresh HOME with an identity, a credential helper
    giving alice's token from the environment (never in the URL), and git-lfs set up."""
    for b in ("git", "git-lfs"):
        check(shutil.which(b), "%s is not installed", b)
    home = tmpdir("githome")
    env = dict(os.environ, HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0", LC_ALL="C",
               WHARF_COMPAT_GIT_TOKEN=ALICE)
    for k, v in (("user.name", "Alice Compat"), ("user.email", "alice@example.com"),
                 ("init.defaultBranch", "main"), ("credential.helper", _GIT_HELPER)):
        _git(env, home, "config", "--global", k, v)
    _git(env, home, "lfs", "install")
    return env


def _git(env, cwd, *args, ok=True):
    p = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    if ok:
        check(p.returncode == 0, "git %s: exit %s: %s", " ".join(args), p.returncode, (p.stderr or p.stdout)[-800:])
    return p


def _largefiles_clone(name):
    """A repo with a 1 MiB multipart threshold, cloned, with `hf lfs-enable-largefiles`."""
    hf = Path(sys.executable).parent / "hf"
    check(hf.exists(), "no hf CLI next to %s", sys.executable)
    env = _git_env()
    r = rid(name)
    raw_create_repo(r, lfsmultipartthresh=THRESH)
    local = tmpdir("largefiles") / "clone"
    _git(env, local.parent, "clone", f"{E}/{r}", str(local))
    _git(env, local, "lfs", "install")
    p = subprocess.run([str(hf), "lfs-enable-largefiles", str(local)], env=env, capture_output=True, text=True,
                       timeout=60)
    check(p.returncode == 0, "hf lfs-enable-largefiles: exit %s: %s", p.returncode, (p.stderr or p.stdout)[-800:])
    eq(_git(env, local, "config", "lfs.customtransfer.multipart.path").stdout.strip(), "hf", "agent path")
    return r, env, local


def _push_files(r, env, local, files, message):
    write(local, files)
    _git(env, local, "add", "-A")
    _git(env, local, "commit", "-q", "-m", message)
    p = _git(env, local, "push", "origin", "main", ok=False)
    check(p.returncode == 0, "git push through hf lfs-multipart-upload: exit %s: %s", p.returncode, p.stderr[-800:])
    eq(api.repo_info(r).sha, _git(env, local, "rev-parse", "HEAD").stdout.strip(), "head after the push")


@scenario
def git_lfs_largefiles():
    """PROTOCOL.md 9.1: git push of an LFS file above the multipart threshold through the
    client's custom transfer agent (`hf lfs-enable-largefiles`, then `hf lfs-multipart-upload`)."""
    r, env, local = _largefiles_clone("largefiles")
    files = {"big.bin": rand(3 * THRESH + 7, "largefiles-big")}
    _push_files(r, env, local, files, "large file")
    assert_remote(r, files)
    _lfs_tree_check(r, "big.bin", files["big.bin"], xet=False)


@scenario
def git_lfs_largefiles_mixed():
    """One git push with LFS objects above and below the threshold: git-lfs sends every
    object of a batch answered with transfer "multipart" to the agent."""
    r, env, local = _largefiles_clone("largefiles-mixed")
    files = {"big.bin": rand(2 * THRESH + 9, "mixed-big"), "small.bin": rand(100_000, "mixed-small")}
    _push_files(r, env, local, files, "large and small files")
    assert_remote(r, files)
    _lfs_tree_check(r, "big.bin", files["big.bin"], xet=False)
    _lfs_tree_check(r, "small.bin", files["small.bin"], xet=False)


def _stored_bytes() -> int:
    """Bytes in the server's blob store (its data dir is shared with the suite)."""
    data = os.environ.get("WHARF_COMPAT_DATA")
    check(data, "WHARF_COMPAT_DATA is not set")
    return sum(p.stat().st_size for p in (Path(data) / "blobs").rglob("*") if p.is_file())


@scenario
def xet_dedup():
    """Re-upload a 64 MiB random file with 1 % changed in the middle: only the changed chunks
    (and a few neighbours) are stored again, and both versions download byte for byte."""
    if not XET:
        raise Skip("Xet is off in this column")
    import random

    r = rid("xet-dedup")
    api.create_repo(r)
    n = 64 << 20
    rng = random.Random(f"xet-dedup-{CLIENT}")
    v1 = rng.randbytes(n)
    mid = n // 2
    v2 = v1[:mid] + rng.randbytes(n // 100) + v1[mid + n // 100:]
    folder = tmpdir("dedup")
    (folder / "v1.bin").write_bytes(v1)
    (folder / "v2.bin").write_bytes(v2)
    s0 = _stored_bytes()
    api.upload_file(path_or_fileobj=str(folder / "v1.bin"), path_in_repo="weights.bin", repo_id=r)
    s1 = _stored_bytes()
    check(s1 - s0 >= n * 0.95, "first upload stored %d bytes for a %d-byte random file", s1 - s0, n)
    api.upload_file(path_or_fileobj=str(folder / "v2.bin"), path_in_repo="weights.bin", repo_id=r)
    s2 = _stored_bytes()
    grown = s2 - s1
    print(f"xet_dedup: first upload stored {s1 - s0} bytes, the 1 % change {grown} bytes ({100 * grown / n:.2f} % of the file)")
    check(grown <= n * 0.10, "re-upload with 1 %% changed stored %d bytes (%.1f %% of the file, limit 10 %%)",
          grown, 100 * grown / n)
    _lfs_tree_check(r, "weights.bin", v2)
    eq(hashlib.sha256(download(r, "weights.bin")).hexdigest(), hashlib.sha256(v2).hexdigest(), "download of v2")
    old = api.list_repo_commits(r)[1].commit_id
    eq(hashlib.sha256(download(r, "weights.bin", revision=old)).hexdigest(), hashlib.sha256(v1).hexdigest(),
       "download of v1")


@scenario
def xet_bridge():
    """A file uploaded through Xet downloads byte for byte without Xet: plain GET resolve with
    and without Range (curl, browsers), the LFS batch API, and git clone with git-lfs."""
    if not XET:
        raise Skip("Xet is off in this column")
    r = rid("xet-bridge")
    api.create_repo(r)
    content = rand(2 * 1024 * 1024 + 333, "xet-bridge") + os.urandom(1 << 20)
    api.upload_file(path_or_fileobj=content, path_in_repo="model.safetensors", repo_id=r)
    _lfs_tree_check(r, "model.safetensors", content)
    st, hdr, body = http("GET", f"/{r}/resolve/main/model.safetensors")
    eq(st, 200, "GET resolve status")
    check(hdr.get("X-Xet-Hash"), "no X-Xet-Hash on resolve")
    eq(hashlib.sha256(body).hexdigest(), hashlib.sha256(content).hexdigest(), "plain GET of a Xet file")
    st, hdr, body = http("GET", f"/{r}/resolve/main/model.safetensors", headers={"Range": "bytes=1000000-2500000"})
    eq(st, 206, "ranged GET status")
    eq(body, content[1000000:2500001], "ranged GET of a Xet file")
    oid = hashlib.sha256(content).hexdigest()
    st, _, body = http("POST", f"/{r}.git/info/lfs/objects/batch", headers={"Accept": "application/vnd.git-lfs+json"},
                       body={"operation": "download", "objects": [{"oid": oid, "size": len(content)}]})
    eq(st, 200, "LFS batch download")
    href = json.loads(body)["objects"][0]["actions"]["download"]["href"]
    st, _, body = http("GET", href, token=None)
    eq((st, hashlib.sha256(body).hexdigest()), (200, oid), "LFS download of a Xet file")
    # huggingface_hub itself with Xet turned off (read at import: a fresh interpreter).
    code = ("import sys, hashlib; from huggingface_hub import hf_hub_download; "
            "p = hf_hub_download(sys.argv[1], 'model.safetensors', cache_dir=sys.argv[2], token=sys.argv[3]); "
            "print(hashlib.sha256(open(p, 'rb').read()).hexdigest())")
    p = subprocess.run([sys.executable, "-c", code, r, str(tmpdir("noxet")), ALICE], capture_output=True, text=True,
                       timeout=120, env=dict(os.environ, HF_HUB_DISABLE_XET="1"))
    check(p.returncode == 0, "hf_hub_download with HF_HUB_DISABLE_XET=1: %s", p.stderr[-800:])
    eq(p.stdout.strip(), oid, "hf_hub_download with HF_HUB_DISABLE_XET=1 of a Xet file")
    env = _git_env()
    local = tmpdir("xetclone") / "clone"
    _git(env, local.parent, "clone", f"{E}/{r}", str(local))
    eq(hashlib.sha256((local / "model.safetensors").read_bytes()).hexdigest(), oid, "git clone (git-lfs) of a Xet file")


@scenario
def replica_kill():
    """Scale-out fault test: kill -9 one of the two replicas while uploads (Xet or multipart
    LFS), git pushes and commits are in flight; the clients' retries go through the other
    replica (the proxy skips the dead one); nothing is lost, nothing is partial, and a clone
    passes git fsck. Runs only where compat/run.sh passes the replica pids (the fault suite)."""
    pids = os.environ.get("WHARF_COMPAT_REPLICA_PIDS", "").split()
    if not pids:
        raise Skip("only in the scale-out fault run (WHARF_COMPAT_REPLICA_PIDS)")
    import random
    import signal
    import threading

    r = rid("replica-kill")
    api.create_repo(r, exist_ok=True)
    env = _git_env()
    local = tmpdir("killclone") / "clone"
    _git(env, local.parent, "clone", f"{E}/{r}", str(local))
    rng = random.Random("replica-kill")
    big = {f"weights/part-{i}.bin": rng.randbytes(24 << 20) for i in range(6)}
    small = {f"notes/{i}.txt": f"note {i}\n".encode() for i in range(12)}
    pushed = {f"git/{i}.bin": rng.randbytes(300_000 + i) for i in range(3)}
    errors = []

    def retry(what, fn, attempts=8):
        for i in range(attempts):
            try:
                return fn()
            except Exception as e:  # noqa: BLE001 -- a dead replica: try again
                if i == attempts - 1:
                    errors.append(f"{what}: {type(e).__name__}: {e}")
                time.sleep(1)

    def uploads():
        for p, c in big.items():
            retry(p, lambda p=p, c=c: api.upload_file(path_or_fileobj=c, path_in_repo=p, repo_id=r, commit_message=f"upload {p}"))

    def commits():
        for p, c in small.items():
            retry(p, lambda p=p, c=c: api.create_commit(r, operations=[CommitOperationAdd(p, c)], commit_message=f"commit {p}"))

    def pushes():
        # git push of commits with LFS files, a commit at a time; a refused or cut push is
        # fetched, rebased and pushed again, as a user would.
        _git(env, local, "lfs", "track", "*.bin")
        for p, c in pushed.items():
            write(local, {p: c})
            _git(env, local, "add", "-A")
            _git(env, local, "commit", "-q", "-m", f"push {p}")

            def push():
                _git(env, local, "pull", "-q", "--rebase", "origin", "main")
                _git(env, local, "push", "-q", "origin", "main")
            retry(p, push)

    threads = [threading.Thread(target=f) for f in (uploads, commits, pushes)]
    for t in threads:
        t.start()
    time.sleep(0.8)
    victim = int(pids[0])
    os.kill(victim, signal.SIGKILL)
    print(f"replica_kill: killed replica pid {victim} with uploads, commits and pushes in flight")
    for t in threads:
        t.join(timeout=600)
    check(not errors, "operations that failed through the surviving replica: %s", errors)
    want = {**big, **small, **pushed}
    files = set(api.list_repo_files(r))
    missing = set(want) - files
    check(not missing, "files lost: %s", sorted(missing))
    for p, c in want.items():
        eq(hashlib.sha256(download(r, p)).hexdigest(), hashlib.sha256(c).hexdigest(), f"bytes of {p}")
    fresh = tmpdir("killfsck") / "clone"
    _git(env, fresh.parent, "clone", f"{E}/{r}", str(fresh))
    fsck = _git(env, fresh, "fsck", "--full", "--strict", ok=False)
    check(fsck.returncode == 0, "git fsck after the kill: %s", (fsck.stderr or fsck.stdout)[-800:])
    for p, c in pushed.items():
        eq(hashlib.sha256((fresh / p).read_bytes()).hexdigest(), hashlib.sha256(c).hexdigest(), f"clone of {p}")


# --------------------------------------------------------------------------


def emit(name, status, detail="", seconds=0.0):
    rec = {"client": CLIENT, "scenario": name, "status": status, "detail": detail, "seconds": round(seconds, 2),
           "version": VERSION}
    if RESULTS:
        with open(RESULTS, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")


def main() -> int:
    print(f"huggingface_hub {VERSION} against {E} (xet disabled: {os.environ.get('HF_HUB_DISABLE_XET', '')!r})")
    failed = 0
    for fn in SCENARIOS:
        name = fn.__name__
        if ONLY and name not in ONLY:
            continue
        t = time.monotonic()
        try:
            fn()
        except Skip as e:
            print(f"SKIP {name}: {e}")
            emit(name, "skip", str(e), time.monotonic() - t)
        except Exception as e:  # noqa: BLE001 -- report and go on
            failed += 1
            tb = traceback.format_exc()
            print(f"FAIL {name} ({time.monotonic() - t:.1f}s)\n{tb}")
            emit(name, "fail", f"{type(e).__name__}: {e}", time.monotonic() - t)
        else:
            print(f"PASS {name} ({time.monotonic() - t:.1f}s)")
            emit(name, "pass", "", time.monotonic() - t)
    shutil.rmtree(WORK, ignore_errors=True)
    return 3 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
