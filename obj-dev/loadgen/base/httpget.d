obj-dev/loadgen/base/httpget.o: loadgen/base/httpget.c include/httpget.h \
 include/util.h
include/httpget.h:
include/util.h:
