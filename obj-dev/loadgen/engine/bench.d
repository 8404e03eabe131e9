obj-dev/loadgen/engine/bench.o: loadgen/engine/bench.c \
 include/setupconn.h include/amqpc.h include/config.h include/schedule.h \
 include/topo.h include/route.h include/amqpc.h include/bench.h \
 loadgen/engine/bench_int.h include/broker.h include/cluster.h \
 include/ledger.h include/collector.h include/stats.h include/hist.h \
 include/resources.h include/worker.h include/ledger.h include/msg.h \
 include/wire.h include/effects.h include/effect_ledger.h include/proc.h \
 include/config.h include/hdrfmt.h include/metrics.h include/preflight.h \
 include/proxy.h include/report.h include/run_schema.h include/topo.h \
 include/declare.h include/final_read.h include/util.h
include/setupconn.h:
include/amqpc.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/amqpc.h:
include/bench.h:
loadgen/engine/bench_int.h:
include/broker.h:
include/cluster.h:
include/ledger.h:
include/collector.h:
include/stats.h:
include/hist.h:
include/resources.h:
include/worker.h:
include/ledger.h:
include/msg.h:
include/wire.h:
include/effects.h:
include/effect_ledger.h:
include/proc.h:
include/config.h:
include/hdrfmt.h:
include/metrics.h:
include/preflight.h:
include/proxy.h:
include/report.h:
include/run_schema.h:
include/topo.h:
include/declare.h:
include/final_read.h:
include/util.h:
