obj-dev/loadgen/engine/resources.o: loadgen/engine/resources.c \
 include/resources.h include/amqpc.h include/broker.h include/cluster.h \
 include/httpget.h include/util.h
include/resources.h:
include/amqpc.h:
include/broker.h:
include/cluster.h:
include/httpget.h:
include/util.h:
