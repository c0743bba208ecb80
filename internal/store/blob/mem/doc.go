// Package mem stores blobs in memory, for tests.
package mem
