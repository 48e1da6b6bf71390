//go:build tools

// Package tools pins github.com/external-secrets/external-secrets (the version whose CRDs validate
// the renders); devenv/bootstrap builds its controller from this module.
package tools

import _ "github.com/external-secrets/external-secrets"
