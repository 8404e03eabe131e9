obj-dev/loadgen/cmd/main.o: loadgen/cmd/main.c include/broker.h \
 loadgen/cmd/cli.h include/proc.h include/util.h
include/broker.h:
loadgen/cmd/cli.h:
include/proc.h:
include/util.h:
