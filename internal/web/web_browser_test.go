package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
)

// tinyPNG returns a 1×1 PNG.
func tinyPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 1, 1))
	img.Set(0, 0, color.RGBA{R: 255, A: 255})
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

// chromium finds a Chromium or Chrome binary on PATH.
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// screenshotDir is $WHARF_SCREENSHOTS, or a new folder under the system
// temp dir that outlives the test.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("WHARF_SCREENSHOTS")
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "wharf-screenshots-"); err != nil {
			t.Fatal(err)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBrowser drives headless Chromium through the pages of repos made
// through the API: it checks what is rendered, that no README, file name
// or comment runs script (no dialog opens), signs in through the form,
// comments on a pull request, and keeps a screenshot of every page.
func TestBrowser(t *testing.T) {
	bin := chromium()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed (scripts/test.sh installs the Debian package chromium)")
		}
		t.Skip("chromium not found on PATH: install the Debian package chromium to run the browser test")
	}
	dir := screenshotDir(t)
	t.Logf("screenshots: %s", dir)

	h := newHub(t, sqltest.SQLite)
	f := seed(t, h)
	h.CreateRepo(t, h.Alice, "alice/secret", true)
	h.Commit(t, h.Alice, "alice/secret", "main", servertest.File("README.md", []byte("# Secret model\n")))
	h.CreateRepo(t, h.Alice, "datasets/alice/d", false)
	resp := h.PostCommit(t, h.Bob, "alice/m", "main", "create_pr=1", servertest.Lines(
		servertest.Header("Answer 43 <script>alert(3)</script>", ""), servertest.File("code.py", []byte("def hello():\n    return 43\n"))))
	var cr servertest.CommitResponse
	if err := json.Unmarshal(servertest.Body(resp), &cr); err != nil || cr.PullRequestURL == "" {
		t.Fatalf("create PR: %s", servertest.Body(resp))
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("no-first-run", true))
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// A dialog means some markup ran script: count it and dismiss it.
	var dialogs atomic.Int32
	events := chromedp.Events(bctx, cdppage.JavascriptDialogOpening)
	go func() {
		for _, err := range events {
			if err != nil {
				return
			}
			dialogs.Add(1)
			chromedp.Call(bctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: false})
		}
	}()

	n := 0
	shot := func(name string) {
		t.Helper()
		n++
		buf, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		p := filepath.Join(dir, fmt.Sprintf("%02d-%s.png", n, name))
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// visit loads a page, keeps its screenshot and returns its HTML as the
	// browser has it after running the page's script.
	visit := func(name, path string) string {
		t.Helper()
		if err := chromedp.Do(bctx, chromedp.Navigate(h.URL+path), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		html, err := chromedp.Run(bctx, chromedp.OuterHTML(chromedp.CSS("html")))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		shot(name)
		return html
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}

	home := visit("home", "/")
	mustContain(t, "home", home, "alice/m", "datasets/alice/d")
	mustNotContain(t, "home", home, "alice/secret")
	visit("models", "/models")
	visit("datasets", "/datasets?search=d")
	visit("profile", "/alice")

	card := visit("repo", "/alice/m")
	if got := text(".markdown h1"); got != "Demo model" {
		t.Errorf("README title %q", got)
	}
	mustContain(t, "repo", card, "apache-2.0", "text-classification", "model.safetensors", "git clone "+h.URL+"/alice/m")
	mustNotContain(t, "repo", card, "<script>alert", `<img src="x" onerror`)
	visit("dataset", "/datasets/alice/d")
	visit("tree", "/alice/m/tree/main")
	visit("tree-docs", "/alice/m/tree/main/docs")
	code := visit("blob-code", "/alice/m/blob/main/code.py")
	mustContain(t, "blob", code, "return", "42")
	evil := visit("blob-evil-name", "/alice/m/blob/main/"+url.PathEscape(evilName))
	if !strings.Contains(text(".crumbs"), evilName) {
		t.Errorf("the file name is not shown as text: %q", text(".crumbs"))
	}
	mustNotContain(t, "evil", evil, "<img src=\"x\" onerror")
	lfs := visit("blob-lfs", "/alice/m/blob/main/model.safetensors")
	mustContain(t, "lfs", lfs, f.lfsOID)
	// An image inline, loaded through resolve.
	h.Commit(t, h.Alice, "alice/m", "main", servertest.File("docs/dot.png", tinyPNG()))
	visit("blob-image", "/alice/m/blob/main/docs/dot.png")
	if w, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelector(".image img").naturalWidth`)); err != nil || w != 1 {
		t.Errorf("inline image: naturalWidth %d, %v", w, err)
	}
	visit("commits", "/alice/m/commits/main")
	commit := visit("commit", "/alice/m/commit/"+f.second)
	mustContain(t, "commit", commit, "return 41", "return 42")
	visit("commit-first", "/alice/m/commit/"+f.first)
	visit("discussions", "/alice/m/discussions")
	pr := visit("pull-request", "/alice/m/discussions/1")
	mustContain(t, "pr", pr, "return 43", "refs/pr/1")
	visit("not-found", "/alice/secret")

	// Sign in through the form, as a person would.
	visit("login", "/login?next=/alice/secret")
	if err := chromedp.Do(bctx,
		chromedp.SendKeys(chromedp.CSS(`input[name=token]`), h.Alice),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.markdown h1`)),
	); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if got := text(".markdown h1"); got != "Secret model" {
		t.Errorf("after sign in: %q", got)
	}
	shot("private-signed-in")
	signedIn := visit("settings", "/alice/m/settings")
	mustNotContain(t, "settings", signedIn, h.Alice)
	cookies, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.cookie`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(cookies, "wharf_session") || strings.Contains(cookies, h.Alice) {
		t.Errorf("script can read the session: document.cookie = %q", cookies)
	}

	// Comment on the pull request through its form.
	visit("pull-request-signed-in", "/alice/m/discussions/1")
	if err := chromedp.Do(bctx,
		chromedp.SendKeys(chromedp.CSS(`textarea[name=comment]`), "Looks **good** <img src=x onerror=alert(4)>"),
		chromedp.Click(chromedp.CSS(`button[value=comment]`)),
		chromedp.WaitVisible(chromedp.CSS(`.comment strong`)),
	); err != nil {
		t.Fatalf("comment: %v", err)
	}
	if got := text(".comment strong"); got != "good" {
		t.Errorf("comment rendered %q", got)
	}
	shot("pull-request-commented")

	// Phone width.
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	visit("phone-repo", "/alice/m")
	visit("phone-tree", "/alice/m/tree/main")

	time.Sleep(200 * time.Millisecond) // let a late onerror fire, if any
	if d := dialogs.Load(); d != 0 {
		t.Errorf("%d JavaScript dialogs opened: some markup ran script", d)
	}
	t.Logf("%d screenshots in %s", n, dir)
}
