//go:build tools

// Package tools pins the helm command that the agent image and the drift scanner's Lambda layer carry.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
