module nslab

go 1.19

require (
	github.com/spf13/pflag v1.0.10
	golang.org/x/sys v0.30.0
)
