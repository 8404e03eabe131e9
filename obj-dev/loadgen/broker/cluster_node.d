obj-dev/loadgen/broker/cluster_node.o: loadgen/broker/cluster_node.c \
 include/broker.h loadgen/broker/cluster_int.h include/cluster.h \
 include/util.h
include/broker.h:
loadgen/broker/cluster_int.h:
include/cluster.h:
include/util.h:
