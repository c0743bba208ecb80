package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	"go.yaml.in/yaml/v3"
)

// sanitizer is the one policy every piece of user HTML goes through:
// rendered READMEs and comments. No script, no event handlers, no style,
// links only to http(s), mailto and relative URLs.
var sanitizer = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("id").Matching(regexp.MustCompile(`^[\w-]+$`)).OnElements("h1", "h2", "h3", "h4", "h5", "h6")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[\w+#.-]+$`)).OnElements("code")
	p.AllowAttrs("align").Matching(regexp.MustCompile(`^(left|right|center)$`)).OnElements("p", "div", "td", "th", "img", "h1", "h2", "h3")
	p.AllowAttrs("width", "height").Matching(regexp.MustCompile(`^\d+(%|px)?$`)).OnElements("img")
	p.AllowElements("details", "summary")
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
}()

// frontMatter splits a README into its YAML metadata block and its body.
// A block that does not close, or is not YAML, is left in the body.
func frontMatter(src []byte) (map[string]any, []byte) {
	s := bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	if !bytes.HasPrefix(s, []byte("---\n")) {
		return nil, src
	}
	rest := s[4:]
	var block, body []byte
	if bytes.HasPrefix(rest, []byte("---\n")) || bytes.Equal(rest, []byte("---")) {
		block, body = nil, bytes.TrimPrefix(bytes.TrimPrefix(rest, []byte("---")), []byte("\n"))
	} else {
		i := bytes.Index(rest, []byte("\n---\n"))
		switch {
		case i >= 0:
			block, body = rest[:i], rest[i+5:]
		case bytes.HasSuffix(rest, []byte("\n---")):
			block, body = rest[:len(rest)-4], nil
		default:
			return nil, src
		}
	}
	meta := map[string]any{}
	if err := yaml.Unmarshal(block, &meta); err != nil {
		// Still metadata, not body text: show it as it is in a code block.
		return map[string]any{"(invalid YAML metadata)": string(block)}, body
	}
	return meta, body
}

// tag is one chip of the metadata bar.
type tag struct {
	Key   string
	Value string
}

// metaTags turns README metadata into chips: license, pipeline, library,
// languages, datasets, base models and free tags first, other scalar keys
// after.
func metaTags(meta map[string]any) []tag {
	var out []tag
	seen := map[string]bool{}
	add := func(key string, v any) {
		switch v := v.(type) {
		case nil:
		case []any:
			for _, x := range v {
				if s := scalar(x); s != "" {
					out = append(out, tag{key, s})
				}
			}
		default:
			if s := scalar(v); s != "" {
				out = append(out, tag{key, s})
			}
		}
	}
	for _, k := range []string{"license", "pipeline_tag", "library_name", "language", "datasets", "base_model", "tags"} {
		if v, ok := meta[k]; ok {
			add(k, v)
			seen[k] = true
		}
	}
	var rest []string
	for k := range meta {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		switch v := meta[k].(type) {
		case string, bool, int, float64:
			add(k, v)
		case []any:
			add(k, v)
		}
	}
	return out
}

func scalar(v any) string {
	switch v := v.(type) {
	case string:
		if len(v) > 200 {
			return v[:200] + "…"
		}
		return v
	case bool, int, int64, float64:
		return fmt.Sprint(v)
	}
	return ""
}

// linkBase rewrites the relative links and images of a README to the
// repo's files: images load through resolve, links open the file page.
type linkBase struct {
	blob    string // "/alice/m/blob/main/"
	resolve string // "/alice/m/resolve/main/"
	dir     string // folder of the markdown file, "" for the root
}

func (lb *linkBase) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Image:
			n.Destination = lb.rewrite(n.Destination, lb.resolve)
		case *ast.Link:
			n.Destination = lb.rewrite(n.Destination, lb.blob)
		}
		return ast.WalkContinue, nil
	})
}

func (lb *linkBase) rewrite(dest []byte, base string) []byte {
	d := string(dest)
	if d == "" || strings.HasPrefix(d, "#") || strings.HasPrefix(d, "/") {
		return dest
	}
	u, err := url.Parse(d)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return dest
	}
	p := path.Clean(path.Join("/", lb.dir, u.Path))
	if p == "/" {
		return dest
	}
	out := base + escapePath(strings.TrimPrefix(p, "/"))
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		out += "#" + url.PathEscape(u.Fragment)
	}
	return []byte(out)
}

// renderMarkdown renders GitHub-flavoured Markdown and sanitizes the
// result. lb, when set, rewrites relative links into the repo.
func renderMarkdown(src []byte, lb *linkBase) template.HTML {
	opts := []goldmark.Option{
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
		// Raw HTML is kept for the sanitizer to judge: model cards use
		// <div align="center"> and <img width=…>.
		goldmark.WithRendererOptions(gmhtml.WithUnsafe()),
	}
	if lb != nil {
		opts = append(opts, goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(lb, 100))))
	}
	var buf bytes.Buffer
	if err := goldmark.New(opts...).Convert(src, &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(string(src)))
	}
	return template.HTML(sanitizer.SanitizeBytes(buf.Bytes()))
}

// Syntax highlighting with chroma: classes, not inline styles, so the
// page's CSP can forbid style attributes.
var (
	chromaStyle     = styles.Get("github")
	chromaFormatter = chromahtml.New(chromahtml.WithClasses(true), chromahtml.WithLineNumbers(true),
		chromahtml.LineNumbersInTable(true), chromahtml.WithLinkableLineNumbers(true, "L"))
)

func highlightCSS() []byte {
	var buf bytes.Buffer
	buf.WriteString("\n/* chroma: github */\n")
	chromaFormatter.WriteCSS(&buf, chromaStyle)
	return buf.Bytes()
}

// highlight renders source code with line numbers. Chroma escapes every
// token, so the result is safe HTML.
func highlight(name string, src string) template.HTML {
	l := lexers.Match(name)
	if l == nil {
		l = lexers.Analyse(src)
	}
	if l == nil {
		l = lexers.Fallback
	}
	l = chroma.Coalesce(l)
	it, err := l.Tokenise(nil, src)
	if err == nil {
		var buf bytes.Buffer
		if err = chromaFormatter.Format(&buf, chromaStyle, it); err == nil {
			return template.HTML(buf.String())
		}
	}
	return template.HTML("<pre>" + template.HTMLEscapeString(src) + "</pre>")
}
