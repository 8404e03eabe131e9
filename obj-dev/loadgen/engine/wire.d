obj-dev/loadgen/engine/wire.o: loadgen/engine/wire.c include/wire.h \
 include/util.h
include/wire.h:
include/util.h:
