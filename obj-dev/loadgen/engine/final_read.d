obj-dev/loadgen/engine/final_read.o: loadgen/engine/final_read.c \
 include/final_read.h include/amqpc.h include/config.h include/schedule.h \
 include/topo.h include/route.h include/ledger.h include/declare.h \
 include/msg.h include/topo.h include/util.h include/worker.h \
 include/msg.h include/stats.h include/hist.h include/wire.h
include/final_read.h:
include/amqpc.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/ledger.h:
include/declare.h:
include/msg.h:
include/topo.h:
include/util.h:
include/worker.h:
include/msg.h:
include/stats.h:
include/hist.h:
include/wire.h:
