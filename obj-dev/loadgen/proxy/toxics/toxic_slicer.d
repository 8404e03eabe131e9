obj-dev/loadgen/proxy/toxics/toxic_slicer.o: \
 loadgen/proxy/toxics/toxic_slicer.c include/toxic.h include/util.h
include/toxic.h:
include/util.h:
