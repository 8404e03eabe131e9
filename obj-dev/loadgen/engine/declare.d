obj-dev/loadgen/engine/declare.o: loadgen/engine/declare.c \
 include/declare.h include/amqpc.h include/config.h include/schedule.h \
 include/topo.h include/route.h include/topo.h include/util.h
include/declare.h:
include/amqpc.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/topo.h:
include/util.h:
