//go:build tools

// Package tools pins github.com/homeport/dyff/cmd/dyff so that its exact
// version and go.sum are committed; devenv/bootstrap builds it from this module.
package tools

import _ "github.com/homeport/dyff/cmd/dyff"
