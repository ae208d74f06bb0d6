//go:build tools

// Package tools pins Flux's source-controller, which bench/flux races against.
package tools

import _ "github.com/fluxcd/source-controller"
