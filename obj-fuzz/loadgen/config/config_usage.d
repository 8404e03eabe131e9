obj-fuzz/loadgen/config/config_usage.o: loadgen/config/config_usage.c \
 include/config.h include/schedule.h include/topo.h include/route.h
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
