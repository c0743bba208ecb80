package server_test

import (
	"net/http"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
)

// TestXetEnabledSettingIsStored: update_repo_settings(xet_enabled=…) is
// kept and reported.
func TestXetEnabledSettingIsStored(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		const r = "alice/xet-setting"
		h.CreateRepo(t, h.Alice, r, false)
		for _, on := range []bool{false, true, false} {
			h.JSON(t, http.MethodPut, servertest.API(r)+"/settings", h.Alice, map[string]any{"xetEnabled": on}, http.StatusOK, nil)
			var info servertest.Info
			h.JSON(t, http.MethodGet, servertest.API(r)+"?expand=xetEnabled", h.Alice, nil, http.StatusOK, &info)
			if info.XetEnabled == nil || *info.XetEnabled != on {
				t.Errorf("xetEnabled %v, want %v", info.XetEnabled, on)
			}
		}
	})
}

// TestOrgPrivateByDefault: an organization's default visibility applies
// when create_repo gives none.
func TestOrgPrivateByDefault(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		const settings = "/api/organizations/acme/settings"
		var got struct {
			PrivateByDefault bool `json:"privateByDefault"`
		}
		h.JSON(t, http.MethodGet, settings, h.Bob, nil, http.StatusOK, &got)
		if got.PrivateByDefault {
			t.Errorf("default: private by default")
		}
		if resp := h.Do(t, http.MethodGet, settings, h.Alice, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("settings read by a non-member: %d", resp.StatusCode)
		}
		if resp := h.Do(t, http.MethodPut, settings, h.Bob, map[string]any{"privateByDefault": true}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("settings changed by a write member: %d", resp.StatusCode)
		}
		h.JSON(t, http.MethodPut, settings, h.Admin, map[string]any{"privateByDefault": true}, http.StatusOK, &got)
		if !got.PrivateByDefault {
			t.Errorf("after PUT: not private by default")
		}
		for _, body := range []map[string]any{
			{"name": "d", "organization": "acme"},                   // the org's default
			{"name": "p", "organization": "acme", "private": false}, // explicit
			{"name": "u"}, // a user's repo
		} {
			h.JSON(t, http.MethodPost, "/api/repos/create", h.Bob, body, http.StatusOK, nil)
		}
		for r, want := range map[string]bool{"acme/d": true, "acme/p": false, "bob/u": false} {
			var info servertest.Info
			h.JSON(t, http.MethodGet, servertest.API(r), h.Bob, nil, http.StatusOK, &info)
			if info.Private == nil || *info.Private != want {
				t.Errorf("%s private %v, want %v", r, info.Private, want)
			}
		}
	})
}
