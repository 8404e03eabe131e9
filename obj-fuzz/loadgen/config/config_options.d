obj-fuzz/loadgen/config/config_options.o: loadgen/config/config_options.c \
 include/config.h include/schedule.h include/topo.h include/route.h \
 include/route.h include/topo.h include/units.h include/util.h
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/route.h:
include/topo.h:
include/units.h:
include/util.h:
