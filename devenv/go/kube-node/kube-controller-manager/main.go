// Command kube-controller-manager builds the upstream kube-controller-manager from the pinned k8s.io/kubernetes module
// (see devenv/go/kube-apiserver for why a wrapper module is needed).
package main

import (
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kube-controller-manager/app"
	"os"
	_ "time/tzdata" // CronJob time zones
)

func main() {
	os.Exit(cli.Run(app.NewControllerManagerCommand()))
}
