obj-dev/loadgen/config/topo.o: loadgen/config/topo.c include/topo.h \
 include/route.h include/util.h
include/topo.h:
include/route.h:
include/util.h:
