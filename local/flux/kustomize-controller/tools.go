//go:build tools

// Package tools pins Flux's kustomize-controller, which bench/flux races against.
package tools

import _ "github.com/fluxcd/kustomize-controller"
