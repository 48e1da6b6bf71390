// Command registry builds the distribution OCI registry from the pinned
// github.com/distribution/distribution/v3 module, with the filesystem storage driver only.
package main

import (
	"github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

func main() {
	registry.RootCmd.Execute() //nolint:errcheck // Cobra prints the error; the exit code follows it
}
