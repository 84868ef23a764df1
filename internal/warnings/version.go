package warnings

import "embed"

// Code is the package's own source, its input registry among it, so that
// tests rebuild a template holding a scored demo bank when the inputs change.
//
//go:embed *.go *.sql
var Code embed.FS
