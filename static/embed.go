// Package static holds Relay's vendored front-end assets (stylesheet, htmx,
// the Inter font), embedded so that pages work with no internet access.
package static

import "embed"

// FS holds css/, js/ and fonts/.
//
//go:embed css js fonts
var FS embed.FS
