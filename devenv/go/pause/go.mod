module finsight.io/devenv/pause

go 1.24
