obj-fuzz/loadgen/base/proc.o: loadgen/base/proc.c include/proc.h
include/proc.h:
