//go:build tools

// Package tools pins Flux's notification-controller, which bench/flux races against.
package tools

import _ "github.com/fluxcd/notification-controller"
