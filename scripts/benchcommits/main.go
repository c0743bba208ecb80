// Command benchcommits measures commit throughput: W writers, each
// committing small files to its own repo through the Hub API, for a fixed
// number of commits each. It prints commits per second.
//
//	go run ./scripts/benchcommits -endpoint URL -token hf_... -writers 32 -commits 20
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"sync"
	"time"
)

func main() {
	endpoint := flag.String("endpoint", "", "hub URL")
	token := flag.String("token", "", "write token")
	ns := flag.String("namespace", "bench", "namespace of the repos")
	writers := flag.Int("writers", 32, "concurrent writers (one repo each)")
	commits := flag.Int("commits", 20, "commits per writer")
	flag.Parse()
	client := &http.Client{Timeout: time.Minute}
	do := func(method, path, ctype string, body []byte) error {
		req, _ := http.NewRequest(method, *endpoint+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+*token)
		req.Header.Set("Content-Type", ctype)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return nil
	}
	stamp := time.Now().UnixNano()
	for w := 0; w < *writers; w++ {
		body, _ := json.Marshal(map[string]any{"name": fmt.Sprintf("commits-%d-%d", stamp, w), "organization": *ns})
		if err := do("POST", "/api/repos/create", "application/json", body); err != nil {
			log.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, *writers)
	start := time.Now()
	for w := 0; w < *writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := 0; c < *commits; c++ {
				var b bytes.Buffer
				enc := json.NewEncoder(&b)
				enc.Encode(map[string]any{"key": "header", "value": map[string]any{"summary": fmt.Sprintf("commit %d", c)}})
				enc.Encode(map[string]any{"key": "file", "value": map[string]any{"path": fmt.Sprintf("f%d.txt", c), "encoding": "base64",
					"content": base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("writer %d commit %d\n", w, c)))}})
				if err := do("POST", fmt.Sprintf("/api/models/%s/commits-%d-%d/commit/main", *ns, stamp, w), "application/x-ndjson", b.Bytes()); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	close(errs)
	for err := range errs {
		log.Fatal(err)
	}
	n := *writers * *commits
	fmt.Printf("%d commits by %d writers in %.2f s: %.1f commits/s\n", n, *writers, el.Seconds(), float64(n)/el.Seconds())
}
