obj-dev/loadgen/proxy/toxic.o: loadgen/proxy/toxic.c include/toxic.h \
 include/util.h
include/toxic.h:
include/util.h:
