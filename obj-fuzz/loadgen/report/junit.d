obj-fuzz/loadgen/report/junit.o: loadgen/report/junit.c include/junit.h \
 include/run_schema.h include/svg.h include/util.h
include/junit.h:
include/run_schema.h:
include/svg.h:
include/util.h:
