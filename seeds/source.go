package seeds

import "embed"

// Source is the generator's own source, so that tests can rebuild a template
// holding a demo bank whenever the generator changes.
//
//go:embed *.go *.sql
var Source embed.FS
