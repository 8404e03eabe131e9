obj-dev/loadgen/proxy/toxics/toxic_latency.o: \
 loadgen/proxy/toxics/toxic_latency.c include/toxic.h include/util.h
include/toxic.h:
include/util.h:
