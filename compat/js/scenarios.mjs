// @huggingface/hub conformance scenarios against a running wharf server.
//
// Run by compat/run.sh twice: default settings (the client offers "xet" in
// the LFS batch call and must fall back to basic/multipart, since wharf
// answers those) and with WHARF_COMPAT_USE_XET=false (useXet: false).
// Environment: WHARF_ENDPOINT, WHARF_TOKEN_ALICE, WHARF_TOKEN_BOB,
// WHARF_TOKEN_READ, WHARF_COMPAT_CLIENT (column name and repo prefix),
// WHARF_COMPAT_RESULTS (JSON-lines output), WHARF_COMPAT_ONLY (optional
// comma-separated scenario names).
// Exit status: 0 all passed, 3 some scenario failed (reported), other: broken.

import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as hub from "@huggingface/hub";

const E = process.env.WHARF_ENDPOINT.replace(/\/+$/, "");
const ALICE = process.env.WHARF_TOKEN_ALICE;
const BOB = process.env.WHARF_TOKEN_BOB;
const READ = process.env.WHARF_TOKEN_READ;
const CLIENT = process.env.WHARF_COMPAT_CLIENT || "js";
const RESULTS = process.env.WHARF_COMPAT_RESULTS;
const ONLY = new Set((process.env.WHARF_COMPAT_ONLY || "").split(",").filter(Boolean));
const USE_XET = process.env.WHARF_COMPAT_USE_XET === "false" ? false : undefined;
const P = CLIENT.replace(/[^A-Za-z0-9-]/g, "-");
const WORK = mkdtempSync(join(process.env.TMPDIR || tmpdir(), `compat-${P}-`));

// Every request the client makes, for assertions on the wire.
let wire = [];
async function recFetch(input, init = {}) {
	const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
	const method = (init.method || "GET").toUpperCase();
	const res = await fetch(input, init);
	wire.push({ method, url, status: res.status, body: typeof init.body === "string" ? init.body : undefined });
	return res;
}

// downloadFileToCacheDir logs every download with console.debug.
console.debug = () => {};

const creds = { hubUrl: E, accessToken: ALICE, fetch: recFetch };
const upl = USE_XET === false ? { ...creds, useXet: false } : { ...creds };

// --- helpers ------------------------------------------------------------------

class Skip extends Error {}

function check(cond, msg) {
	if (!cond) throw new Error(msg);
}
function eq(got, want, what) {
	const g = JSON.stringify(got);
	const w = JSON.stringify(want);
	if (g !== w) throw new Error(`${what}: got ${g?.slice(0, 300)}, want ${w?.slice(0, 300)}`);
}
async function rejects(fn, what, { status } = {}) {
	try {
		await fn();
	} catch (e) {
		if (status !== undefined && e.statusCode !== status) {
			throw new Error(`${what}: ${e.name} status ${e.statusCode}, want ${status}: ${e.message}`);
		}
		return e;
	}
	throw new Error(`${what}: no error`);
}
const rid = (name, ns = "alice") => `${ns}/${P}-${name}`;
const sha256 = (buf) => createHash("sha256").update(buf).digest("hex");
const gitBlobSha1 = (buf) =>
	createHash("sha1").update(Buffer.concat([Buffer.from(`blob ${buf.length}\0`), buf])).digest("hex");
function rand(n, seed) {
	const out = Buffer.alloc(n);
	let h = createHash("sha256").update(seed).digest();
	for (let off = 0; off < n; off += 32) {
		h = createHash("sha256").update(h).digest();
		h.copy(out, off, 0, Math.min(32, n - off));
	}
	return out;
}
const blob = (x) => new Blob([typeof x === "string" ? Buffer.from(x) : x]);

async function download(repo, path, revision, accessToken = ALICE) {
	const b = await hub.downloadFile({ ...creds, accessToken, repo, path, revision });
	if (b === null) return null;
	return Buffer.from(await b.arrayBuffer());
}

async function listAll(repo, opts = {}) {
	const out = [];
	for await (const e of hub.listFiles({ ...creds, repo, recursive: true, ...opts })) out.push(e);
	return out;
}

// The repo holds exactly these files (besides .gitattributes), byte for byte.
async function assertRemote(repo, files, revision) {
	const listed = (await listAll(repo, { revision }))
		.filter((e) => e.type === "file" && e.path !== ".gitattributes")
		.map((e) => e.path)
		.sort();
	eq(listed, Object.keys(files).sort(), `files of ${repo.name ?? repo}@${revision ?? "main"}`);
	for (const [path, content] of Object.entries(files)) {
		const got = await download(repo, path, revision);
		check(got !== null, `download ${path}: not found`);
		eq(sha256(got), sha256(Buffer.from(content)), `sha256 of downloaded ${path}`);
	}
}

async function titles(repo, revision) {
	const out = [];
	for await (const c of hub.listCommits({ ...creds, repo, revision })) out.push(c.title);
	return out;
}

async function rawCreate(name, extra) {
	const [organization, n] = name.split("/");
	const res = await fetch(`${E}/api/repos/create`, {
		method: "POST",
		headers: { Authorization: `Bearer ${ALICE}`, "Content-Type": "application/json" },
		body: JSON.stringify({ name: n, organization, ...extra }),
	});
	const text = await res.text();
	check(res.ok, `raw create ${name}: ${res.status} ${text}`);
	return JSON.parse(text);
}

function batchRequests() {
	return wire.filter((w) => w.url.includes("/info/lfs/objects/batch")).map((w) => JSON.parse(w.body));
}

function checkTransfers() {
	const batches = batchRequests();
	check(batches.length > 0, "no LFS batch request");
	const want = USE_XET === false ? ["basic", "multipart"] : ["basic", "multipart", "xet"];
	for (const b of batches) eq(b.transfers, want, "LFS batch transfers");
}

// XET: this column lets the client use Xet (the default), so LFS-size files must go through it.
const XET = USE_XET !== false;
const SCALEOUT = process.env.WHARF_COMPAT_SCALEOUT === "1";

// Bytes in the server's blob store (its data dir is shared with the suite).
function storedBytes() {
	const dir = process.env.WHARF_COMPAT_DATA;
	check(dir, "WHARF_COMPAT_DATA is not set");
	let total = 0;
	const walk = (d) => {
		for (const e of readdirSync(d, { withFileTypes: true })) {
			const p = join(d, e.name);
			if (e.isDirectory()) walk(p);
			else if (e.isFile()) total += statSync(p).size;
		}
	};
	walk(join(dir, "blobs"));
	return total;
}

function checkXetUpload() {
	const xorbs = wire.filter((w) => w.method === "POST" && w.url.includes("/v1/xorbs/default/"));
	const shards = wire.filter((w) => w.method === "POST" && w.url.includes("/v1/shards"));
	check(xorbs.length > 0 || shards.length > 0, "nothing was uploaded through Xet");
	check([...xorbs, ...shards].every((w) => w.status === 200), "Xet upload statuses");
	eq(shards.length > 0, true, "a shard was uploaded");
}

async function xetHashOf(repo, path) {
	const prefix = { model: "models", dataset: "datasets", space: "spaces" }[repo.type];
	const res = await fetch(`${E}/api/${prefix}/${repo.name}/paths-info/main`, {
		method: "POST",
		headers: { Authorization: `Bearer ${ALICE}`, "Content-Type": "application/json" },
		body: JSON.stringify({ paths: [path] }),
	});
	check(res.ok, `paths-info: ${res.status}`);
	return (await res.json())[0]?.xetHash;
}

// --- scenarios ------------------------------------------------------------------

const SCENARIOS = [];
const scenario = (name, fn) => SCENARIOS.push([name, fn]);

scenario("create_repo", async () => {
	for (const type of ["model", "dataset", "space"]) {
		const name = rid(`create-${type}`);
		const repo = { type, name };
		const out = await hub.createRepo({ ...creds, repo, ...(type === "space" ? { sdk: "gradio" } : {}) });
		const prefix = { model: "", dataset: "datasets/", space: "spaces/" }[type];
		eq(out.repoUrl, `${E}/${prefix}${name}`, "repoUrl");
		check(await hub.repoExists({ ...creds, repo }), `repoExists(${name})`);
		await rejects(() => hub.createRepo({ ...creds, repo }), "create an existing repo", { status: 409 });
		eq((await listAll(repo)).map((e) => e.path), [".gitattributes"], "files of a new repo");
	}
	// private + initial files in the create call
	const repo = { type: "model", name: rid("private") };
	await hub.createRepo({
		...creds,
		repo,
		private: true,
		files: [{ path: "init/hello.txt", content: blob("hello from createRepo\n") }],
	});
	await assertRemote(repo, { "init/hello.txt": "hello from createRepo\n" });
	check(!(await hub.repoExists({ ...creds, accessToken: BOB, repo })), "bob sees alice's private repo");
	check(await hub.repoExists({ ...creds, accessToken: READ, repo }), "alice's read token sees her private repo");
	const info = await hub.modelInfo({ ...creds, name: repo.name, additionalFields: ["sha"] });
	eq(info.name, repo.name, "modelInfo name");
	eq(info.private, true, "modelInfo private");
	await hub.createRepo({ ...creds, repo: rid("org-model", "acme") });
	check(await hub.repoExists({ ...creds, repo: rid("org-model", "acme") }), "org repo exists");
	const who = await hub.whoAmI({ ...creds });
	eq([who.name, who.auth?.accessToken?.role], ["alice", "write"], "whoAmI");
	check((who.orgs ?? []).some((o) => o.name === "acme"), "whoAmI orgs");
	const ds = await hub.datasetInfo({ ...creds, name: rid("create-dataset") });
	eq(ds.name, rid("create-dataset"), "datasetInfo");
	const sp = await hub.spaceInfo({ ...creds, name: rid("create-space") });
	eq([sp.name, sp.sdk], [rid("create-space"), "gradio"], "spaceInfo");
	const gone = { type: "dataset", name: rid("deleted") };
	await hub.createRepo({ ...creds, repo: gone });
	await hub.deleteRepo({ ...creds, repo: gone });
	check(!(await hub.repoExists({ ...creds, repo: gone })), "repo exists after deleteRepo");
});

scenario("upload_file", async () => {
	const repo = { type: "model", name: rid("upload") };
	await hub.createRepo({ ...creds, repo });
	const local = join(WORK, "local.txt");
	writeFileSync(local, "hello from a file URL\n");
	const c1 = await hub.uploadFile({ ...upl, repo, file: { path: "a.txt", content: blob("a\n") } });
	check(/^[0-9a-f]{40}$/.test(c1.commit.oid), `commit oid ${c1.commit.oid}`);
	eq(c1.commit.url, `${E}/${repo.name}/commit/${c1.commit.oid}`, "commit url");
	await hub.uploadFile({ ...upl, repo, file: pathToFileURL(local) });
	await hub.uploadFile({ ...upl, repo, file: { path: "dir/from_url.txt", content: pathToFileURL(local) } });
	await hub.uploadFiles({
		...upl,
		repo,
		files: [
			{ path: "multi/one.txt", content: blob("one\n") },
			{ path: "multi/two.json", content: blob('{"two": 2}\n') },
			{ path: "README.md", content: blob("---\nlicense: mit\n---\n# hi\n") },
		],
	});
	await hub.uploadFiles({
		...upl,
		repo,
		files: [{ path: "titled.txt", content: blob("t\n") }],
		commitTitle: "custom title",
		commitDescription: "custom description",
	});
	const t = await titles(repo);
	eq(t.slice(0, 5), ["custom title", "Add 3 files", "Add dir/from_url.txt", "Add local.txt", "Add a.txt"], "titles");
	await assertRemote(repo, {
		"a.txt": "a\n",
		"local.txt": "hello from a file URL\n",
		"dir/from_url.txt": "hello from a file URL\n",
		"multi/one.txt": "one\n",
		"multi/two.json": '{"two": 2}\n',
		"README.md": "---\nlicense: mit\n---\n# hi\n",
		"titled.txt": "t\n",
	});
	// a dataset
	const ds = { type: "dataset", name: rid("upload-ds") };
	await hub.createRepo({ ...creds, repo: ds });
	const c = await hub.uploadFile({ ...upl, repo: ds, file: { path: "data/train.csv", content: blob("a,b\n1,2\n") } });
	eq(c.commit.url, `${E}/datasets/${ds.name}/commit/${c.commit.oid}`, "dataset commit url");
	await assertRemote(ds, { "data/train.csv": "a,b\n1,2\n" });
});

scenario("create_commit_ops", async () => {
	const repo = { type: "model", name: rid("deletes") };
	await hub.createRepo({ ...creds, repo });
	await hub.uploadFiles({
		...upl,
		repo,
		files: ["a.txt", "b.txt", "c.txt", "dir/d.txt", "dir/e.txt", "keep.txt"].map((p) => ({
			path: p,
			content: blob(`${p}\n`),
		})),
	});
	const head = (await hub.commit({ ...upl, repo, title: "noop-ish", operations: [
		{ operation: "addOrUpdate", path: "new.txt", content: blob("new\n") },
		{ operation: "delete", path: "a.txt" },
	] })).commit.oid;
	await hub.deleteFile({ ...creds, repo, path: "b.txt" });
	await hub.deleteFiles({ ...creds, repo, paths: ["c.txt", "dir/d.txt"], commitTitle: "delete two" });
	eq((await titles(repo)).slice(0, 3), ["delete two", "Delete b.txt", "noop-ish"], "titles");
	await assertRemote(repo, { "dir/e.txt": "dir/e.txt\n", "keep.txt": "keep.txt\n", "new.txt": "new\n" });
	// parentCommit: good and stale
	const cur = (await hub.listCommits({ ...creds, repo }).next()).value.oid;
	await hub.commit({
		...upl,
		repo,
		title: "with parent",
		parentCommit: cur,
		operations: [{ operation: "addOrUpdate", path: "p.txt", content: blob("p\n") }],
	});
	await rejects(
		() =>
			hub.commit({
				...upl,
				repo,
				title: "stale parent",
				parentCommit: head,
				operations: [{ operation: "addOrUpdate", path: "q.txt", content: blob("q\n") }],
			}),
		"commit with a stale parentCommit",
		{ status: 412 },
	);
	await rejects(() => hub.deleteFile({ ...creds, repo, path: "nope.txt" }), "delete a missing file", {
		status: 404,
	});
	await assertRemote(repo, {
		"dir/e.txt": "dir/e.txt\n",
		"keep.txt": "keep.txt\n",
		"new.txt": "new\n",
		"p.txt": "p\n",
	});
});

scenario("lfs_basic", async () => {
	const repo = { type: "model", name: rid("lfs") };
	await hub.createRepo({ ...creds, repo });
	const content = rand(3 * 1024 * 1024 + 7, "js-lfs");
	wire = [];
	await hub.uploadFile({ ...upl, repo, file: { path: "weights/model.bin", content: blob(content) } });
	checkTransfers();
	const puts = wire.filter((w) => w.method === "PUT");
	if (XET) {
		checkXetUpload();
		eq(puts.length, 0, "LFS PUTs with Xet on");
	} else {
		eq(puts.length, 1, "PUT requests for one basic upload");
		check(puts[0].status === 200, `PUT status ${puts[0].status}`);
	}
	const [pi] = await hub.pathsInfo({ ...creds, repo, paths: ["weights/model.bin"] });
	eq(pi.lfs?.oid, sha256(content), "paths-info lfs oid");
	eq(pi.size, content.length, "paths-info size");
	if (XET) check(/^[0-9a-f]{64}$/.test(await xetHashOf(repo, "weights/model.bin")), "no xetHash after a Xet upload");
	// the same content again: the batch answers "already there", nothing is sent
	wire = [];
	await hub.uploadFile({ ...upl, repo, file: { path: "copy.bin", content: blob(content) } });
	eq(wire.filter((w) => w.method === "PUT" || w.url.includes("/v1/xorbs/")).length, 0, "uploads of content already stored");
	await assertRemote(repo, { "weights/model.bin": content, "copy.bin": content });
});

scenario("lfs_multipart_repo", async () => {
	// createRepo cannot pass lfsmultipartthresh: create the repo with a raw request.
	const repo = { type: "model", name: rid("lfs-multipart") };
	const thresh = 1024 * 1024;
	await rawCreate(repo.name, { lfsmultipartthresh: thresh });
	// With S3 (WHARF_COMPAT_SCALEOUT) parts are at least 5 MiB.
	const content = rand((SCALEOUT ? 11 : 3) * thresh + 4321, "js-multipart");
	wire = [];
	await hub.uploadFile({ ...upl, repo, file: { path: "big/multipart.bin", content: blob(content) } });
	checkTransfers();
	if (XET) {
		// Xet replaces LFS multipart: the content goes in xorbs whatever the threshold.
		checkXetUpload();
		eq(wire.filter((w) => w.method === "PUT").length, 0, "LFS PUTs with Xet on");
		await assertRemote(repo, { "big/multipart.bin": content });
		return;
	}
	const parts = wire.filter((w) => w.method === "PUT");
	check(parts.length >= 2, `multipart upload used ${parts.length} PUT(s)`);
	check(parts.every((w) => w.status === 200), "part PUT statuses");
	eq(wire.filter((w) => w.method === "POST" && w.url.includes("/lfs-complete/")).length, 1, "completion POSTs");
	const [pi] = await hub.pathsInfo({ ...creds, repo, paths: ["big/multipart.bin"] });
	eq(pi.lfs?.oid, sha256(content), "paths-info lfs oid");
	await assertRemote(repo, { "big/multipart.bin": content });
});

scenario("xet_dedup", async () => {
	if (!XET) throw new Skip("Xet is off in this column");
	const repo = { type: "model", name: rid("xet-dedup") };
	await hub.createRepo({ ...creds, repo });
	const n = 16 << 20;
	const v1 = randomBytes(n);
	const v2 = Buffer.concat([v1.subarray(0, n / 2), randomBytes(n / 100), v1.subarray(n / 2 + n / 100)]);
	const s0 = storedBytes();
	await hub.uploadFile({ ...upl, repo, file: { path: "w.bin", content: blob(v1) } });
	const s1 = storedBytes();
	check(s1 - s0 >= n * 0.95, `first upload stored ${s1 - s0} bytes for ${n} random bytes`);
	wire = [];
	await hub.uploadFile({ ...upl, repo, file: { path: "w.bin", content: blob(v2) } });
	const grown = storedBytes() - s1;
	console.log(`xet_dedup: the 1 % change stored ${grown} bytes (${((100 * grown) / n).toFixed(2)} % of the file)`);
	check(grown <= n * 0.1, `re-upload with 1 % changed stored ${grown} bytes (limit 10 % of ${n})`);
	check(wire.some((w) => w.url.includes("/v1/chunks/default/")), "no global dedup query");
	await assertRemote(repo, { "w.bin": v2 });
	wire = [];
	const viaXet = await hub.downloadFile({ ...creds, repo, path: "w.bin" });
	eq(sha256(Buffer.from(await viaXet.arrayBuffer())), sha256(v2), "Xet download");
	check(wire.some((w) => w.url.includes("/v2/reconstructions/")), "the download did not use the reconstruction API");
	const plain = await hub.downloadFile({ ...creds, repo, path: "w.bin", xet: false });
	eq(sha256(Buffer.from(await plain.arrayBuffer())), sha256(v2), "download with xet: false (the bridge)");
});

scenario("download_files", async () => {
	const repo = { type: "dataset", name: rid("download") };
	await hub.createRepo({ ...creds, repo });
	const lfs = rand(1024 * 1024 + 3, "js-dl");
	const files = {
		"small.txt": "small\n",
		"nested/dir/file.txt": "nested\n",
		"dir with space/file \u00fc.txt": "weird name\n",
		"weights.bin": lfs,
	};
	const out = await hub.uploadFiles({
		...upl,
		repo,
		files: Object.entries(files).map(([path, c]) => ({ path, content: blob(c) })),
	});
	const sha = out.commit.oid;
	for (const [p, c] of Object.entries(files)) eq(sha256(await download(repo, p)), sha256(Buffer.from(c)), p);
	eq((await download(repo, "small.txt", sha)).toString(), "small\n", "download at a commit sha");
	const info = await hub.fileDownloadInfo({ ...creds, repo, path: "weights.bin" });
	eq(info.size, lfs.length, "fileDownloadInfo size");
	eq(info.etag.replace(/"/g, ""), sha256(lfs), "fileDownloadInfo etag (LFS)");
	const small = await hub.fileDownloadInfo({ ...creds, repo, path: "small.txt" });
	eq([small.size, small.etag.replace(/"/g, "")], [6, gitBlobSha1(Buffer.from("small\n"))], "fileDownloadInfo (regular)");
	eq(await hub.fileDownloadInfo({ ...creds, repo, path: "nope.txt" }), null, "fileDownloadInfo of a missing file");
	eq(await download(repo, "nope.txt"), null, "downloadFile of a missing file");
	check(await hub.fileExists({ ...creds, repo, path: "nested/dir/file.txt" }), "fileExists");
	check(!(await hub.fileExists({ ...creds, repo, path: "nested/nope.txt" })), "fileExists(missing)");
	// the node cache helpers
	const cacheDir = join(WORK, "cache");
	const cached = await hub.downloadFileToCacheDir({ ...creds, repo, path: "weights.bin", cacheDir });
	eq(sha256(readFileSync(cached)), sha256(lfs), "downloadFileToCacheDir content");
	const snap = await hub.snapshotDownload({ ...creds, repo, cacheDir: join(WORK, "snap") });
	check(snap.endsWith(sha), `snapshot folder ${snap} is not named after ${sha}`);
	for (const [p, c] of Object.entries(files)) {
		eq(sha256(readFileSync(join(snap, p))), sha256(Buffer.from(c)), `snapshotDownload ${p}`);
	}
	// a ranged read through the Blob API
	const b = await hub.downloadFile({ ...creds, repo, path: "weights.bin" });
	const part = Buffer.from(await b.slice(1000, 5000).arrayBuffer());
	eq(sha256(part), sha256(lfs.subarray(1000, 5000)), "Blob.slice ranged read");
});

scenario("listing", async () => {
	const repo = { type: "model", name: rid("listing") };
	await hub.createRepo({ ...creds, repo });
	const big = rand(100000, "js-listing");
	await hub.uploadFiles({
		...upl,
		repo,
		files: [
			{ path: "a.txt", content: blob("a\n") },
			{ path: "nested/b.txt", content: blob("bb\n") },
			{ path: "nested/deeper/c.bin", content: blob(big) },
		],
		commitTitle: "tree",
	});
	const root = [];
	for await (const e of hub.listFiles({ ...creds, repo })) root.push([e.path, e.type]);
	eq(root.sort(), [[".gitattributes", "file"], ["a.txt", "file"], ["nested", "directory"]], "root listing");
	const sub = [];
	for await (const e of hub.listFiles({ ...creds, repo, path: "nested" })) sub.push(e.path);
	eq(sub.sort(), ["nested/b.txt", "nested/deeper"], "nested listing");
	const all = await listAll(repo);
	eq(
		all.map((e) => e.path).sort(),
		[".gitattributes", "a.txt", "nested", "nested/b.txt", "nested/deeper", "nested/deeper/c.bin"],
		"recursive listing",
	);
	const c = all.find((e) => e.path === "nested/deeper/c.bin");
	eq([c.size, c.lfs?.oid], [big.length, sha256(big)], "LFS entry");
	const a = all.find((e) => e.path === "a.txt");
	eq([a.size, a.oid], [2, gitBlobSha1(Buffer.from("a\n"))], "regular entry");
	const commits = [];
	for await (const cm of hub.listCommits({ ...creds, repo, batchSize: 1 })) commits.push(cm);
	eq(commits.map((cm) => cm.title), ["tree", "initial commit"], "listCommits (paginated by 1)");
	eq(commits[0].authors[0].username, "alice", "commit author");
	check(!isNaN(commits[0].date.getTime()), "commit date");
	const pi = await hub.pathsInfo({ ...creds, repo, paths: ["a.txt", "nested", "missing.txt"] });
	eq(pi.map((p) => [p.path, p.type]).sort(), [["a.txt", "file"], ["nested", "directory"]], "pathsInfo");
	const info = await hub.modelInfo({ ...creds, name: repo.name });
	eq(info.name, repo.name, "modelInfo");
	const models = [];
	for await (const m of hub.listModels({ ...creds, search: { owner: "alice", query: `${P}-listing` } })) {
		models.push(m.name);
	}
	check(models.includes(repo.name), `listModels: ${JSON.stringify(models)}`);
});

// countCommits reads the X-Total-Count header of the commits listing.
scenario("count_commits", async () => {
	const repo = { type: "model", name: rid("count") };
	await hub.createRepo({ ...creds, repo });
	for (const i of [1, 2, 3]) {
		await hub.uploadFile({ ...upl, repo, file: { path: `${i}.txt`, content: blob(`${i}\n`) } });
	}
	eq(await hub.countCommits({ ...creds, repo }), 4, "countCommits");
});

// pathsInfo({expand: true}) is typed to return lastCommit for every path.
scenario("tree_expand", async () => {
	const repo = { type: "model", name: rid("expand") };
	await hub.createRepo({ ...creds, repo });
	const c = await hub.uploadFile({ ...upl, repo, file: { path: "one.txt", content: blob("one\n") } });
	const [pi] = await hub.pathsInfo({ ...creds, repo, paths: ["one.txt"], expand: true });
	eq(pi.lastCommit?.id, c.commit.oid, "pathsInfo(expand) lastCommit.id");
	const entries = [];
	for await (const e of hub.listFiles({ ...creds, repo, expand: true })) entries.push(e);
	eq(entries.find((e) => e.path === "one.txt")?.lastCommit?.id, c.commit.oid, "listFiles(expand) lastCommit.id");
});

scenario("branches_prs", async () => {
	const repo = { type: "model", name: rid("branches") };
	await hub.createRepo({ ...creds, repo });
	await hub.uploadFile({ ...upl, repo, file: { path: "f.txt", content: blob("v0\n") } });
	await hub.createBranch({ ...creds, repo, branch: "dev" });
	await rejects(() => hub.createBranch({ ...creds, repo, branch: "dev" }), "create an existing branch", {
		status: 409,
	});
	await hub.uploadFile({ ...upl, repo, branch: "dev", file: { path: "f.txt", content: blob("v1\n") } });
	eq((await download(repo, "f.txt")).toString(), "v0\n", "main");
	eq((await download(repo, "f.txt", "dev")).toString(), "v1\n", "dev");
	await hub.createBranch({ ...creds, repo, branch: "feature/x", revision: "dev" });
	await hub.uploadFile({ ...upl, repo, branch: "feature/x", file: { path: "g.txt", content: blob("g\n") } });
	for (const [p, c] of [["f.txt", "v1\n"], ["g.txt", "g\n"]]) {
		eq((await download(repo, p, "feature/x")).toString(), c, `${p} on feature/x`);
	}
	eq((await titles(repo, "feature/x"))[0], "Add g.txt", "listCommits of feature/x");
	await hub.createBranch({ ...creds, repo, branch: "empty", empty: true });
	eq((await listAll(repo, { revision: "empty" })).map((e) => e.path), [], "files of an empty branch");
	await hub.createBranch({ ...creds, repo, branch: "dev", revision: "main", overwrite: true });
	eq((await download(repo, "f.txt", "dev")).toString(), "v0\n", "dev after overwrite");
	await hub.deleteBranch({ ...creds, repo, branch: "feature/x" });
	await rejects(() => download(repo, "g.txt", "feature/x"), "download from a deleted branch", { status: 404 });
	// pull requests
	const pr = await hub.uploadFile({
		...upl,
		repo,
		isPullRequest: true,
		file: { path: "pr.txt", content: blob("pr\n") },
		commitTitle: "open a PR",
	});
	const m = /\/discussions\/(\d+)$/.exec(pr.pullRequestUrl ?? "");
	check(m && pr.pullRequestUrl.startsWith(`${E}/${repo.name}/discussions/`), `pullRequestUrl ${pr.pullRequestUrl}`);
	const ref = `refs/pr/${m[1]}`;
	await hub.uploadFile({ ...upl, repo, branch: ref, file: { path: "pr2.txt", content: blob("pr2\n") } });
	await assertRemote(repo, { "f.txt": "v0\n", "pr.txt": "pr\n", "pr2.txt": "pr2\n" }, ref);
	await assertRemote(repo, { "f.txt": "v0\n" });
});

// listFiles puts the revision into the tree URL unencoded (/tree/feature/x),
// so the server has to find where the branch name ends.
scenario("list_slash_branch", async () => {
	const repo = { type: "model", name: rid("slash-branch") };
	await hub.createRepo({ ...creds, repo });
	await hub.createBranch({ ...creds, repo, branch: "feature/x" });
	await hub.uploadFile({ ...upl, repo, branch: "feature/x", file: { path: "sub/g.txt", content: blob("g\n") } });
	const all = [];
	for await (const e of hub.listFiles({ ...creds, repo, revision: "feature/x", recursive: true })) all.push(e.path);
	eq(all.sort(), [".gitattributes", "sub", "sub/g.txt"], "listFiles of feature/x");
	const sub = [];
	for await (const e of hub.listFiles({ ...creds, repo, revision: "feature/x", path: "sub" })) sub.push(e.path);
	eq(sub, ["sub/g.txt"], "listFiles of feature/x, path sub");
});

scenario("errors", async () => {
	const missing = { type: "model", name: rid("does-not-exist") };
	await rejects(() => download(missing, "x.txt"), "downloadFile from a missing repo", { status: 404 });
	await rejects(() => listAll(missing), "listFiles of a missing repo", { status: 404 });
	await rejects(
		() => hub.uploadFile({ ...upl, repo: missing, file: { path: "x.txt", content: blob("x") } }),
		"uploadFile to a missing repo",
		{ status: 404 },
	);
	check(!(await hub.repoExists({ ...creds, repo: missing })), "repoExists(missing)");
	const repo = { type: "model", name: rid("errors") };
	await hub.createRepo({ ...creds, repo });
	await rejects(() => download(repo, ".gitattributes", "no-such-branch"), "download from a missing revision", {
		status: 404,
	});
	await rejects(() => listAll(repo, { revision: "no-such-branch" }), "listFiles of a missing revision", {
		status: 404,
	});
	eq(await download(repo, "no-such-file.txt"), null, "downloadFile of a missing file");
	const priv = { type: "model", name: rid("errors-private") };
	await hub.createRepo({ ...creds, repo: priv, private: true });
	const e = await rejects(
		() => hub.downloadFile({ hubUrl: E, fetch: recFetch, repo: priv, path: ".gitattributes" }),
		"anonymous private download",
	);
	check([401, 404].includes(e.statusCode), `anonymous private download: status ${e.statusCode}`);
	await rejects(
		() => hub.uploadFile({ ...upl, accessToken: READ, repo, file: { path: "ro.txt", content: blob("x") } }),
		"upload with a read token",
		{ status: 403 },
	);
	await rejects(
		() => hub.uploadFile({ ...upl, accessToken: BOB, repo, file: { path: "bob.txt", content: blob("x") } }),
		"bob uploads to alice's repo",
		{ status: 403 },
	);
});

// --- runner ---------------------------------------------------------------------

function emit(name, status, detail, seconds) {
	const rec = { client: CLIENT, scenario: name, status, detail, seconds: Math.round(seconds * 100) / 100 };
	if (RESULTS) appendFileSync(RESULTS, JSON.stringify(rec) + "\n");
}

let failed = 0;
const pkg = JSON.parse(
	(await import("node:fs")).readFileSync(new URL("./node_modules/@huggingface/hub/package.json", import.meta.url)),
);
console.log(`@huggingface/hub ${pkg.version} (node ${process.version}) against ${E}, useXet: ${USE_XET ?? "default"}`);
for (const [name, fn] of SCENARIOS) {
	if (ONLY.size && !ONLY.has(name)) continue;
	const t = performance.now();
	try {
		wire = [];
		await fn();
		console.log(`PASS ${name} (${((performance.now() - t) / 1000).toFixed(1)}s)`);
		emit(name, "pass", "", (performance.now() - t) / 1000);
	} catch (e) {
		const secs = (performance.now() - t) / 1000;
		if (e instanceof Skip) {
			console.log(`SKIP ${name}: ${e.message}`);
			emit(name, "skip", e.message, secs);
			continue;
		}
		failed++;
		console.log(`FAIL ${name} (${secs.toFixed(1)}s)\n${e.stack}`);
		const last = wire.at(-1);
		if (last) console.log(`  last request: ${last.method} ${last.url} -> ${last.status}`);
		emit(name, "fail", `${e.name}: ${e.message}`, secs);
	}
}
rmSync(WORK, { recursive: true, force: true });
process.exit(failed ? 3 : 0);
