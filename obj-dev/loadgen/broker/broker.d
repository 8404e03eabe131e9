obj-dev/loadgen/broker/broker.o: loadgen/broker/broker.c include/broker.h \
 loadgen/broker/broker_int.h include/util.h
include/broker.h:
loadgen/broker/broker_int.h:
include/util.h:
