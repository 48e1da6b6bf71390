// Command coredns builds CoreDNS from the pinned github.com/coredns/coredns module with only
// the plugins the local cluster's DNS needs. There is deliberately no forward plugin: names
// outside the cluster get no answer, so no query ever leaves this machine.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/hosts"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
)

// The plugins, in the order CoreDNS chains them (the upstream plugin.cfg order: bind first,
// cache before the plugins whose answers it keeps). bind holds the server to the node IP.
var directives = []string{"bind", "ready", "health", "errors", "log", "cache", "hosts", "kubernetes"}

func init() {
	dnsserver.Directives = directives
}

func main() {
	coremain.Run()
}
