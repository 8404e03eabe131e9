obj-fuzz/loadgen/config/topo.o: loadgen/config/topo.c include/lgre.h \
 include/topo.h include/route.h include/util.h
include/lgre.h:
include/topo.h:
include/route.h:
include/util.h:
