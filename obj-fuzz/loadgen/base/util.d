obj-fuzz/loadgen/base/util.o: loadgen/base/util.c include/util.h
include/util.h:
