package wire

import (
	"errors"
	"strings"
	"testing"
)

// checkErr fails the test unless err is nil when wantErr is "", or matches
// ErrInvalid and contains wantErr otherwise.
func checkErr(t *testing.T, err error, wantErr string) {
	t.Helper()
	switch {
	case wantErr == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case wantErr == "":
	case err == nil:
		t.Fatalf("no error, want one containing %q", wantErr)
	case !errors.Is(err, ErrInvalid):
		t.Fatalf("error %q does not match ErrInvalid", err)
	case !strings.Contains(err.Error(), wantErr):
		t.Fatalf("error %q does not contain %q", err, wantErr)
	}
}
