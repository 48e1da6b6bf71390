//go:build tools

// Package tools pins github.com/sigstore/cosign/v2/cmd/cosign so that its exact
// version and go.sum are committed; devenv/bootstrap builds it from this module.
package tools

import _ "github.com/sigstore/cosign/v2/cmd/cosign"
