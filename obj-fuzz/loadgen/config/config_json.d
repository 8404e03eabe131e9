obj-fuzz/loadgen/config/config_json.o: loadgen/config/config_json.c \
 include/config.h include/schedule.h include/topo.h include/route.h \
 include/topo.h
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/topo.h:
