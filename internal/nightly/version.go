package nightly

import "embed"

// Code is the nightly chain's own source (its Go and SQL), so that tests can
// rebuild a template holding a scored demo bank whenever the chain changes.
//
//go:embed *.go *.sql
var Code embed.FS
