obj-dev/loadgen/proxy/proxy.o: loadgen/proxy/proxy.c include/proxy.h \
 loadgen/proxy/proxy_int.h include/toxic.h include/util.h
include/proxy.h:
loadgen/proxy/proxy_int.h:
include/toxic.h:
include/util.h:
