//go:build tools

// Package tools pins github.com/yannh/kubeconform/cmd/kubeconform so that its exact
// version and go.sum are committed; devenv/bootstrap builds it from this module.
package tools

import _ "github.com/yannh/kubeconform/cmd/kubeconform"
