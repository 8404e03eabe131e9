obj-dev/loadgen/engine/amqpc.o: loadgen/engine/amqpc.c include/amqpc.h \
 include/config.h include/schedule.h include/topo.h include/route.h \
 include/util.h
include/amqpc.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/util.h:
