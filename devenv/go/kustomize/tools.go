//go:build tools

// Package tools pins sigs.k8s.io/kustomize/kustomize/v5 so that its exact
// version and go.sum are committed; devenv/bootstrap builds it from this module.
package tools

import _ "sigs.k8s.io/kustomize/kustomize/v5"
