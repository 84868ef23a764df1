package nightly

import (
	"embed"
	"slices"
	"strings"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/warnings"
)

//go:embed *.sql
var sqlFS embed.FS

// sqlFiles are the run's statements, one file per step; a statement is named
// "file.name", e.g. "segments.fact".
var sqlFiles = []string{"segments", "profiles", "triggers", "warnings", "ltv", "publish", "runs"}

// SQL is the run's named queries, a file per step, for the check at start.
var SQL = loadFiles()

// queries are the files' statements, each named "file.name".
var queries = prefixed(SQL)

func loadFiles() []db.File {
	files := make([]db.File, len(sqlFiles))
	for i, f := range sqlFiles {
		files[i] = db.MustLoadFile(sqlFS, "internal/nightly", f+".sql")
	}
	// the churn model's inputs, one expression each, from their registry
	w := files[slices.Index(sqlFiles, "warnings")].Queries
	w["input"] = strings.Replace(w["input"], "{{inputs}}", warnings.InputsSQL(), 1)
	w["input-redate"] = strings.Replace(w["input-redate"], "{{redated}}", warnings.RedatedSQL(), 1)
	return files
}

func prefixed(files []db.File) db.Queries {
	all := db.Queries{}
	for i, f := range files {
		for name, stmt := range f.Queries {
			all[sqlFiles[i]+"."+name] = stmt
		}
	}
	return all
}
