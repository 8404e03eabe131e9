obj-dev/loadgen/engine/producer.o: loadgen/engine/producer.c \
 include/declare.h include/amqpc.h include/config.h include/schedule.h \
 include/topo.h include/route.h include/util.h include/worker.h \
 include/ledger.h include/msg.h include/stats.h include/hist.h \
 include/wire.h
include/declare.h:
include/amqpc.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/util.h:
include/worker.h:
include/ledger.h:
include/msg.h:
include/stats.h:
include/hist.h:
include/wire.h:
