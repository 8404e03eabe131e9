obj-dev/loadgen/proxy/proxy_populate.o: loadgen/proxy/proxy_populate.c \
 loadgen/proxy/proxy_int.h include/proxy.h include/toxic.h include/util.h
loadgen/proxy/proxy_int.h:
include/proxy.h:
include/toxic.h:
include/util.h:
