obj-fuzz/loadgen/config/config_instance.o: \
 loadgen/config/config_instance.c include/config.h include/schedule.h \
 include/topo.h include/route.h include/units.h include/util.h
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/units.h:
include/util.h:
