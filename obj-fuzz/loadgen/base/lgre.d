obj-fuzz/loadgen/base/lgre.o: loadgen/base/lgre.c include/lgre.h \
 include/util.h
include/lgre.h:
include/util.h:
