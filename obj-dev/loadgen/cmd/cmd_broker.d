obj-dev/loadgen/cmd/cmd_broker.o: loadgen/cmd/cmd_broker.c \
 include/broker.h loadgen/cmd/cli.h include/proc.h include/units.h \
 include/util.h
include/broker.h:
loadgen/cmd/cli.h:
include/proc.h:
include/units.h:
include/util.h:
