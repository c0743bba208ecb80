package mem_test

import (
	"testing"

	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/blob/blobtest"
	"github.com/wharfhub/wharf/internal/store/blob/mem"
)

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Backend { return mem.New() })
}
