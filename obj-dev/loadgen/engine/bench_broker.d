obj-dev/loadgen/engine/bench_broker.o: loadgen/engine/bench_broker.c \
 include/amqpc.h include/bench.h include/config.h include/schedule.h \
 include/topo.h include/route.h loadgen/engine/bench_int.h \
 include/broker.h include/cluster.h include/ledger.h include/setupconn.h \
 include/amqpc.h include/collector.h include/stats.h include/hist.h \
 include/resources.h include/worker.h include/ledger.h include/msg.h \
 include/wire.h include/effects.h include/effect_ledger.h include/proc.h \
 include/util.h
include/amqpc.h:
include/bench.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
loadgen/engine/bench_int.h:
include/broker.h:
include/cluster.h:
include/ledger.h:
include/setupconn.h:
include/amqpc.h:
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
include/util.h:
