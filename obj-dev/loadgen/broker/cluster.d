obj-dev/loadgen/broker/cluster.o: loadgen/broker/cluster.c \
 include/cluster.h include/broker.h loadgen/broker/cluster_int.h \
 include/util.h
include/cluster.h:
include/broker.h:
loadgen/broker/cluster_int.h:
include/util.h:
