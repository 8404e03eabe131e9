obj-fuzz/loadgen/engine/stats.o: loadgen/engine/stats.c include/stats.h \
 include/hist.h
include/stats.h:
include/hist.h:
