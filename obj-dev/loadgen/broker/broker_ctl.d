obj-dev/loadgen/broker/broker_ctl.o: loadgen/broker/broker_ctl.c \
 include/broker.h loadgen/broker/broker_int.h include/util.h
include/broker.h:
loadgen/broker/broker_int.h:
include/util.h:
