package db

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestFragmentsArePutInPlace: a fragment is written into each statement that
// includes it and is no statement itself; an include of a fragment the file
// lacks, and a fragment no statement includes, are errors naming them.
func TestFragmentsArePutInPlace(t *testing.T) {
	load := func(text string) (Queries, error) {
		return LoadQueries(fstest.MapFS{"q.sql": {Data: []byte(text)}}, "q.sql")
	}
	q, err := load(`-- name: a
SELECT 1 FROM t WHERE {{include:f}} AND {{scope:c}};

-- fragment: f
-- what f filters
x = $1
AND y = $2

-- name: b
SELECT 2 FROM t WHERE {{include:f}};
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 2 {
		t.Errorf("%d queries (%v), want a and b only", len(q), q)
	}
	want := "SELECT 1 FROM t WHERE -- what f filters\nx = $1\nAND y = $2 AND {{scope:c}}"
	if q["a"] != want {
		t.Errorf("a = %q, want %q", q["a"], want)
	}
	if !strings.HasSuffix(q["b"], "x = $1\nAND y = $2") {
		t.Errorf("b = %q", q["b"])
	}
	for text, want := range map[string]string{
		"-- name: a\nSELECT {{include:g}};\n":                                              `query "a" includes "g", which is no fragment of the file`,
		"-- name: a\nSELECT 1;\n-- fragment: g\ntrue\n":                                    `fragment "g" is included by no query`,
		"-- fragment: g\ntrue\n-- fragment: g\nfalse\n-- name: a\nSELECT {{include:g}};\n": `fragment "g" is defined twice`,
		"-- name: a\nSELECT {{include:g}};\n-- fragment: g\n\n":                            `fragment "g" is empty`,
	} {
		if _, err := load(text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error saying %s", text, err, want)
		}
	}
}
