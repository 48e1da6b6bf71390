// Command etcd builds the upstream etcd server from the pinned go.etcd.io/etcd/server/v3
// module (the etcd main package lives in a module with replace directives).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
