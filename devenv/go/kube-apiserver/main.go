// Command kube-apiserver builds the upstream kube-apiserver from the pinned
// k8s.io/kubernetes module. A wrapper module is needed because k8s.io/kubernetes
// points its staging modules at local paths, which `go install` rejects.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	command := app.NewAPIServerCommand()
	code := cli.Run(command)
	os.Exit(code)
}
