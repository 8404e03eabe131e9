obj-dev/loadgen/proxy/toxics/toxic_timeout.o: \
 loadgen/proxy/toxics/toxic_timeout.c include/toxic.h include/util.h
include/toxic.h:
include/util.h:
