obj-dev/loadgen/proxy/toxics/toxic_slow_close.o: \
 loadgen/proxy/toxics/toxic_slow_close.c include/toxic.h include/util.h
include/toxic.h:
include/util.h:
