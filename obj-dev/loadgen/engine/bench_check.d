obj-dev/loadgen/engine/bench_check.o: loadgen/engine/bench_check.c \
 loadgen/engine/bench_int.h include/broker.h include/cluster.h \
 include/ledger.h include/setupconn.h include/amqpc.h include/config.h \
 include/schedule.h include/topo.h include/route.h include/collector.h \
 include/stats.h include/hist.h include/resources.h include/worker.h \
 include/ledger.h include/msg.h include/wire.h include/effects.h \
 include/effect_ledger.h include/ledger_file.h include/gates.h \
 include/run_schema.h include/route.h include/topo.h include/declare.h \
 include/final_read.h include/util.h
loadgen/engine/bench_int.h:
include/broker.h:
include/cluster.h:
include/ledger.h:
include/setupconn.h:
include/amqpc.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
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
include/ledger_file.h:
include/gates.h:
include/run_schema.h:
include/route.h:
include/topo.h:
include/declare.h:
include/final_read.h:
include/util.h:
