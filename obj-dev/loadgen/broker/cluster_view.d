obj-dev/loadgen/broker/cluster_view.o: loadgen/broker/cluster_view.c \
 include/cluster.h include/util.h
include/cluster.h:
include/util.h:
