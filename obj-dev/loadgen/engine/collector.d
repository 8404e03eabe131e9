obj-dev/loadgen/engine/collector.o: loadgen/engine/collector.c \
 include/collector.h include/config.h include/schedule.h include/topo.h \
 include/route.h include/stats.h include/hist.h include/hdrfmt.h \
 include/metrics.h include/run_schema.h include/util.h include/worker.h \
 include/amqpc.h include/ledger.h include/msg.h include/wire.h
include/collector.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/stats.h:
include/hist.h:
include/hdrfmt.h:
include/metrics.h:
include/run_schema.h:
include/util.h:
include/worker.h:
include/amqpc.h:
include/ledger.h:
include/msg.h:
include/wire.h:
