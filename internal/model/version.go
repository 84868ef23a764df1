package model

import "embed"

// Code is the package's own source, so that tests rebuild a template holding
// a scored demo bank when the way models score changes.
//
//go:embed *.go
var Code embed.FS
