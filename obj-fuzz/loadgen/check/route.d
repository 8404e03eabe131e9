obj-fuzz/loadgen/check/route.o: loadgen/check/route.c include/route.h \
 include/util.h
include/route.h:
include/util.h:
