obj-fuzz/loadgen/report/svg.o: loadgen/report/svg.c include/svg.h
include/svg.h:
