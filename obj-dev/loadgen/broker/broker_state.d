obj-dev/loadgen/broker/broker_state.o: loadgen/broker/broker_state.c \
 include/broker.h include/util.h
include/broker.h:
include/util.h:
