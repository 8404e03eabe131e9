obj-fuzz/loadgen/contract/run_schema.o: loadgen/contract/run_schema.c \
 include/run_schema.h
include/run_schema.h:
