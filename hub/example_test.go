package hub_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/wharfhub/wharf/hub"
)

// The examples run against a Wharf server started in-process by
// startLocalHub (see helpers_test.go), so their output is checked. Against
// huggingface.co, use hub.New(nil): it reads HF_ENDPOINT and HF_TOKEN (or
// the token file) as huggingface_hub does.

func ExampleClient_UploadFile() {
	srv, err := startLocalHub(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx := context.Background()
	c, err := hub.New(&hub.Options{Endpoint: srv.URL, Token: srv.Alice})
	if err != nil {
		log.Fatal(err)
	}
	repo := hub.Repo{ID: "alice/my-model"}
	if _, err := c.CreateRepo(ctx, repo, &hub.CreateRepoOptions{ExistOK: true}); err != nil {
		log.Fatal(err)
	}

	// From memory; hub.FromPath and hub.FromReader work the same way.
	ci, err := c.UploadFile(ctx, repo, "README.md", hub.FromBytes([]byte("# My model\n")), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("commit URL ok:", ci.URL == c.URL(repo)+"/commit/"+ci.OID)

	// The same content again makes no commit.
	again, err := c.UploadFile(ctx, repo, "README.md", hub.FromBytes([]byte("# My model\n")), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("skipped:", again.Skipped, again.OID == ci.OID)

	var buf bytes.Buffer
	if _, err := c.Download(ctx, repo, "README.md", &buf, nil); err != nil {
		log.Fatal(err)
	}
	fmt.Print(buf.String())
	// Output:
	// commit URL ok: true
	// skipped: true true
	// # My model
}

func ExampleClient_UploadFolder() {
	srv, err := startLocalHub(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	c, err := hub.New(&hub.Options{Endpoint: srv.URL, Token: srv.Alice})
	if err != nil {
		log.Fatal(err)
	}
	repo := hub.Repo{ID: "alice/trained-model"}
	if _, err := c.CreateRepo(ctx, repo, nil); err != nil {
		log.Fatal(err)
	}
	// Older logs on the Hub.
	if _, err := c.UploadFile(ctx, repo, "experiment/logs/old.txt", hub.FromBytes([]byte("old")), nil); err != nil {
		log.Fatal(err)
	}

	// A local folder of logs.
	dir, err := os.MkdirTemp("", "logs")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for name, content := range map[string]string{"train.txt": "loss 0.1", "eval.txt": "acc 0.9", "events.bin": "\x00\x01"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			log.Fatal(err)
		}
	}

	// Upload the text logs and delete the old ones, in one commit.
	_, err = c.UploadFolder(ctx, repo, dir, &hub.UploadFolderOptions{
		PathInRepo:     "experiment/logs/",
		AllowPatterns:  []string{"*.txt"},
		DeletePatterns: []string{"*.txt"},
	})
	if err != nil {
		log.Fatal(err)
	}
	files, err := c.ListRepoFiles(ctx, repo, "")
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		fmt.Println(f)
	}
	// Unordered output:
	// .gitattributes
	// experiment/logs/eval.txt
	// experiment/logs/train.txt
}

func ExampleClient_CreateCommit() {
	srv, err := startLocalHub(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	c, err := hub.New(&hub.Options{Endpoint: srv.URL, Token: srv.Alice})
	if err != nil {
		log.Fatal(err)
	}
	repo := hub.Repo{ID: "alice/data", Type: hub.Dataset}
	if _, err := c.CreateRepo(ctx, repo, nil); err != nil {
		log.Fatal(err)
	}
	first, err := c.CreateCommit(ctx, repo, []hub.Operation{
		hub.Add("train.csv", hub.FromBytes([]byte("a,b\n1,2\n"))),
		hub.Add("tmp/scratch.txt", hub.FromBytes([]byte("scratch"))),
	}, &hub.CommitOptions{Message: "Add data"})
	if err != nil {
		log.Fatal(err)
	}

	// Several changes in one atomic commit, made only if nobody committed
	// in between.
	_, err = c.CreateCommit(ctx, repo, []hub.Operation{
		&hub.CopyOp{SrcPath: "train.csv", DstPath: "archive/train-v1.csv"},
		hub.Add("train.csv", hub.FromBytes([]byte("a,b\n1,2\n3,4\n"))),
		hub.Delete("tmp/"), // a trailing slash deletes a folder
	}, &hub.CommitOptions{Message: "Update data", ParentCommit: first.OID})
	if err != nil {
		log.Fatal(err)
	}

	files, err := c.ListRepoFiles(ctx, repo, "")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(files)
	commits, err := c.ListCommits(ctx, repo, "")
	if err != nil {
		log.Fatal(err)
	}
	for _, cm := range commits {
		fmt.Println(cm.Title)
	}
	// Output:
	// [.gitattributes archive/train-v1.csv train.csv]
	// Update data
	// Add data
	// initial commit
}

func ExampleClient_PreuploadLFSFiles() {
	srv, err := startLocalHub(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	c, err := hub.New(&hub.Options{Endpoint: srv.URL, Token: srv.Alice})
	if err != nil {
		log.Fatal(err)
	}
	repo := hub.Repo{ID: "alice/shards", Type: hub.Dataset}
	if _, err := c.CreateRepo(ctx, repo, nil); err != nil {
		log.Fatal(err)
	}

	// Produce shards one at a time and upload each as soon as it exists:
	// only one shard is in memory at once.
	var ops []hub.Operation
	for i := range 3 {
		shard := bytes.Repeat([]byte{byte(i)}, 1<<20)
		add := hub.Add(fmt.Sprintf("data/train-%05d-of-00003.parquet", i), hub.FromBytes(shard))
		if err := c.PreuploadLFSFiles(ctx, repo, []*hub.AddOp{add}, nil); err != nil {
			log.Fatal(err)
		}
		fmt.Println(add.PathInRepo, "uploaded, content released:", add.Content == nil)
		ops = append(ops, add)
	}
	// Then commit them all at once.
	if _, err := c.CreateCommit(ctx, repo, ops, &hub.CommitOptions{Message: "Add 3 shards"}); err != nil {
		log.Fatal(err)
	}
	entries, err := c.ListRepoTree(ctx, repo, &hub.ListTreeOptions{Path: "data"})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		fmt.Println(e.Path, e.Size, e.LFS != nil)
	}
	// Output:
	// data/train-00000-of-00003.parquet uploaded, content released: true
	// data/train-00001-of-00003.parquet uploaded, content released: true
	// data/train-00002-of-00003.parquet uploaded, content released: true
	// data/train-00000-of-00003.parquet 1048576 true
	// data/train-00001-of-00003.parquet 1048576 true
	// data/train-00002-of-00003.parquet 1048576 true
}

func ExampleRunAsFuture() {
	srv, err := startLocalHub(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	c, err := hub.New(&hub.Options{Endpoint: srv.URL, Token: srv.Alice})
	if err != nil {
		log.Fatal(err)
	}
	repo := hub.Repo{ID: "alice/checkpoints"}
	if _, err := c.CreateRepo(ctx, repo, nil); err != nil {
		log.Fatal(err)
	}

	// Queue uploads and keep training: they run in the background, one at
	// a time, in the order they were queued.
	var futures []*hub.Future[*hub.CommitInfo]
	for step := 100; step <= 300; step += 100 {
		ckpt := []byte(fmt.Sprintf("weights at step %d", step))
		futures = append(futures, hub.RunAsFuture(c, func() (*hub.CommitInfo, error) {
			return c.UploadFile(ctx, repo, "checkpoint.bin", hub.FromBytes(ckpt),
				&hub.CommitOptions{Message: fmt.Sprintf("Checkpoint %d", step)})
		}))
	}
	for _, f := range futures {
		if _, err := f.Wait(); err != nil {
			log.Fatal(err)
		}
	}
	commits, err := c.ListCommits(ctx, repo, "")
	if err != nil {
		log.Fatal(err)
	}
	for _, cm := range commits {
		fmt.Println(cm.Title)
	}
	// Output:
	// Checkpoint 300
	// Checkpoint 200
	// Checkpoint 100
	// initial commit
}
