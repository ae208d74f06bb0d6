//go:build tools

// Package tools pins CNCF distribution's registry, the OCI registry `tidemark local up` runs for Helm charts.
package tools

import _ "github.com/distribution/distribution/v3/cmd/registry"
