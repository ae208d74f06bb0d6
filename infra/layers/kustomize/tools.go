//go:build tools

// Package tools pins the kustomize command that the drift scanner's Lambda layer carries.
package tools

import _ "sigs.k8s.io/kustomize/kustomize/v5"
