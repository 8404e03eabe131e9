obj-fuzz/loadgen/check/gates.o: loadgen/check/gates.c include/gates.h \
 include/run_schema.h include/run_schema.h
include/gates.h:
include/run_schema.h:
include/run_schema.h:
