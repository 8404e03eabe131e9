obj-fuzz/loadgen/config/schedule.o: loadgen/config/schedule.c \
 include/schedule.h include/units.h include/util.h
include/schedule.h:
include/units.h:
include/util.h:
