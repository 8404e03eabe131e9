obj-dev/loadgen/broker/cluster_delay.o: loadgen/broker/cluster_delay.c \
 loadgen/broker/cluster_int.h include/cluster.h include/util.h
loadgen/broker/cluster_int.h:
include/cluster.h:
include/util.h:
