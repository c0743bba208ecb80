// Package blobtest is the conformance suite every blob backend runs.
package blobtest
