obj-dev/loadgen/config/preflight.o: loadgen/config/preflight.c \
 include/preflight.h include/config.h include/schedule.h include/topo.h \
 include/route.h include/proxy.h include/toxic.h include/util.h
include/preflight.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/proxy.h:
include/toxic.h:
include/util.h:
