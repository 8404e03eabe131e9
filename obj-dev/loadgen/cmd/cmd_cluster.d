obj-dev/loadgen/cmd/cmd_cluster.o: loadgen/cmd/cmd_cluster.c \
 loadgen/cmd/cli.h include/proc.h include/cluster.h include/units.h \
 include/util.h
loadgen/cmd/cli.h:
include/proc.h:
include/cluster.h:
include/units.h:
include/util.h:
