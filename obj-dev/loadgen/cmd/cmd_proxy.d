obj-dev/loadgen/cmd/cmd_proxy.o: loadgen/cmd/cmd_proxy.c \
 loadgen/cmd/cli.h include/proc.h include/proxy.h include/util.h
loadgen/cmd/cli.h:
include/proc.h:
include/proxy.h:
include/util.h:
