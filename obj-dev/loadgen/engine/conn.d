obj-dev/loadgen/engine/conn.o: loadgen/engine/conn.c include/util.h \
 include/worker.h include/amqpc.h include/config.h include/schedule.h \
 include/topo.h include/route.h include/ledger.h include/msg.h \
 include/stats.h include/hist.h include/wire.h
include/util.h:
include/worker.h:
include/amqpc.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/ledger.h:
include/msg.h:
include/stats.h:
include/hist.h:
include/wire.h:
