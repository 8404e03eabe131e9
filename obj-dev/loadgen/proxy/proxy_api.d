obj-dev/loadgen/proxy/proxy_api.o: loadgen/proxy/proxy_api.c \
 include/proc.h loadgen/proxy/proxy_int.h include/proxy.h include/toxic.h \
 include/util.h
include/proc.h:
loadgen/proxy/proxy_int.h:
include/proxy.h:
include/toxic.h:
include/util.h:
