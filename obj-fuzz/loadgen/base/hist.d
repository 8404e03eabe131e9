obj-fuzz/loadgen/base/hist.o: loadgen/base/hist.c include/hist.h \
 include/util.h
include/hist.h:
include/util.h:
