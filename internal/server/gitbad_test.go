package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
)

func pkt(s string) string { return fmt.Sprintf("%04x%s", len(s)+4, s) }

// TestGitServiceBadBodies: bodies git would never send are a 400 before
// the exchange, and wants of unknown objects git's in-band ERR; never a
// 500.
func TestGitServiceBadBodies(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/g", false)
		head := h.Head(t, h.Alice, "alice/g", "main")
		const missing = "0123456789abcdef0123456789abcdef01234567"
		zero := strings.Repeat("0", 40)
		tests := []struct {
			name, svc, proto, body string
			status                 int
			contains               string
		}{
			{"garbage", "git-upload-pack", "", "hello, this is not git", 400, "invalid pkt-line length"},
			{"garbage v2", "git-upload-pack", "version=2", "hello, this is not git", 400, "invalid pkt-line length"},
			{"bad length", "git-upload-pack", "", "zzzzwant " + missing, 400, "invalid pkt-line length"},
			{"cut line", "git-upload-pack", "", "0032want 0123", 400, "cut"},
			{"empty", "git-upload-pack", "", "", 400, "empty request"},
			{"not a want", "git-upload-pack", "", pkt("have "+head+"\n") + "0000", 400, "expected a want line"},
			{"unknown want", "git-upload-pack", "", pkt("want "+missing+" side-band-64k\n") + "0000" + pkt("done\n"), 200, "ERR upload-pack: not our ref " + missing},
			{"unknown want v2", "git-upload-pack", "version=2", pkt("command=fetch\n") + "0001" + pkt("want "+missing+"\n") + pkt("done\n") + "0000", 200, "ERR upload-pack: not our ref " + missing},
			{"garbage push", "git-receive-pack", "", "hello, this is not git", 400, "invalid pkt-line length"},
			{"empty push", "git-receive-pack", "", "", 400, "empty request"},
			{"bad command", "git-receive-pack", "", pkt("create refs/heads/x\x00report-status\n") + "0000", 400, "invalid command"},
			{"cut commands", "git-receive-pack", "", pkt(zero + " " + missing + " refs/heads/x\x00report-status\n"), 400, "command list"},
		}
		for _, tc := range tests {
			resp := h.Do(t, http.MethodPost, "/alice/g.git/"+tc.svc, h.Alice, servertest.Raw{ContentType: "application/x-" + tc.svc + "-request", Data: []byte(tc.body)}, "Git-Protocol", tc.proto)
			if resp.StatusCode != tc.status || !strings.Contains(string(servertest.Body(resp)), tc.contains) {
				t.Errorf("%s: %d %q, want %d with %q", tc.name, resp.StatusCode, servertest.Body(resp), tc.status, tc.contains)
			}
		}
		// A valid command with a broken pack: never a 500.
		body := pkt(zero+" "+missing+" refs/heads/x\x00report-status side-band-64k\n") + "0000PACKgarbage"
		resp := h.Do(t, http.MethodPost, "/alice/g.git/git-receive-pack", h.Alice, servertest.Raw{ContentType: "application/x-git-receive-pack-request", Data: []byte(body)})
		if resp.StatusCode >= 500 {
			t.Errorf("broken pack: %d %q", resp.StatusCode, servertest.Body(resp))
		}
		if got := h.Head(t, h.Alice, "alice/g", "main"); got != head {
			t.Errorf("main moved")
		}
	})
}
