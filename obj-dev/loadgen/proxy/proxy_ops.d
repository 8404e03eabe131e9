obj-dev/loadgen/proxy/proxy_ops.o: loadgen/proxy/proxy_ops.c \
 loadgen/proxy/proxy_int.h include/proxy.h include/toxic.h include/util.h
loadgen/proxy/proxy_int.h:
include/proxy.h:
include/toxic.h:
include/util.h:
