//go:build tools

// Package tools pins the Go commands the agent image's checks use: crane (go-containerregistry) turns the root
// filesystem into an OCI image without a Docker engine, and actionlint lints the release workflow.
package tools

import (
	_ "github.com/google/go-containerregistry/cmd/crane"
	_ "github.com/rhysd/actionlint/cmd/actionlint"
)
