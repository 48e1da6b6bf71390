//go:build tools

// Package tools pins github.com/kubeflow/spark-operator/v2 (the version whose CRDs validate the
// renders); devenv/bootstrap builds its controller, cmd/operator, from this module.
package tools

import _ "github.com/kubeflow/spark-operator/v2/cmd/operator"
