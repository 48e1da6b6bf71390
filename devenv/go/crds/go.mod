// CRDs (with their OpenAPI schemas) of the operators the platform uses, pinned by go.sum.
// devenv/bootstrap downloads these module versions and turns their CRDs into kubeconform schemas;
// nothing is built from them.
module parity.devenv/crds

go 1.24.0

require (
	github.com/kubeflow/spark-operator/v2 v2.4.0
	github.com/external-secrets/external-secrets v0.16.2
)
