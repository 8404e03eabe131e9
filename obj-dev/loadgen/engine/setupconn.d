obj-dev/loadgen/engine/setupconn.o: loadgen/engine/setupconn.c \
 include/setupconn.h include/amqpc.h include/config.h include/schedule.h \
 include/topo.h include/route.h include/declare.h include/topo.h \
 include/util.h
include/setupconn.h:
include/amqpc.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/declare.h:
include/topo.h:
include/util.h:
