//go:build tools

// Package tools pins sigs.k8s.io/kwok/cmd/kwok so that its exact version and go.sum are
// committed; devenv/bootstrap builds it from this module. kwok simulates the nodes and pods of
// the staging and prod API servers the promotion tests apply full-size renderings to.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
