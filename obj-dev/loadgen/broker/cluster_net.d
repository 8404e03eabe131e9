obj-dev/loadgen/broker/cluster_net.o: loadgen/broker/cluster_net.c \
 loadgen/broker/cluster_int.h include/cluster.h include/util.h
loadgen/broker/cluster_int.h:
include/cluster.h:
include/util.h:
