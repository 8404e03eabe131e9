obj-fuzz/loadgen/base/units.o: loadgen/base/units.c include/units.h
include/units.h:
