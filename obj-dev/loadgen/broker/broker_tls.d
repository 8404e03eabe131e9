obj-dev/loadgen/broker/broker_tls.o: loadgen/broker/broker_tls.c \
 loadgen/broker/broker_int.h include/broker.h include/util.h
loadgen/broker/broker_int.h:
include/broker.h:
include/util.h:
