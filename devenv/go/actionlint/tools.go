//go:build tools

// Package tools pins github.com/rhysd/actionlint/cmd/actionlint so that its exact
// version and go.sum are committed; devenv/bootstrap builds it from this module.
package tools

import _ "github.com/rhysd/actionlint/cmd/actionlint"
