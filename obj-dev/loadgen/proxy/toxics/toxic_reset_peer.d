obj-dev/loadgen/proxy/toxics/toxic_reset_peer.o: \
 loadgen/proxy/toxics/toxic_reset_peer.c include/toxic.h include/util.h
include/toxic.h:
include/util.h:
