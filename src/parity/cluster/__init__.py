"""The local cluster: a real single-node Kubernetes from pinned parts, started without Docker.

`plan` is pure (addresses, ports, every component's command line and config text); `host` changes
the machine (bridge, sysctls, iptables, mounts, certificates); `processes` starts and stops the
detached component processes; `kube` talks to the API server through the locked kubectl.
"""
