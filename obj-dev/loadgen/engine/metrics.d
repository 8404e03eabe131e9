obj-dev/loadgen/engine/metrics.o: loadgen/engine/metrics.c \
 include/metrics.h include/hist.h include/resources.h include/amqpc.h \
 include/stats.h include/hist.h include/util.h
include/metrics.h:
include/hist.h:
include/resources.h:
include/amqpc.h:
include/stats.h:
include/hist.h:
include/util.h:
