obj-fuzz/loadgen/capacity/capacity.o: loadgen/capacity/capacity.c \
 include/capacity.h include/run_schema.h include/units.h include/util.h
include/capacity.h:
include/run_schema.h:
include/units.h:
include/util.h:
