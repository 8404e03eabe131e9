obj-dev/loadgen/proxy/toxics/toxic_limit_data.o: \
 loadgen/proxy/toxics/toxic_limit_data.c include/toxic.h
include/toxic.h:
