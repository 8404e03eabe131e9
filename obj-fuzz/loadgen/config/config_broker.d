obj-fuzz/loadgen/config/config_broker.o: loadgen/config/config_broker.c \
 include/config.h include/schedule.h include/topo.h include/route.h \
 include/util.h
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/util.h:
