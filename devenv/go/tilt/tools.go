//go:build tools

// Package tools pins github.com/tilt-dev/tilt/cmd/tilt so that its exact
// version and go.sum are committed; devenv/bootstrap builds it from this module.
package tools

import _ "github.com/tilt-dev/tilt/cmd/tilt"
