obj-dev/loadgen/proxy/toxics/toxic_bandwidth.o: \
 loadgen/proxy/toxics/toxic_bandwidth.c include/toxic.h
include/toxic.h:
