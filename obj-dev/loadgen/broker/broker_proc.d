obj-dev/loadgen/broker/broker_proc.o: loadgen/broker/broker_proc.c \
 include/broker.h loadgen/broker/broker_int.h
include/broker.h:
loadgen/broker/broker_int.h:
