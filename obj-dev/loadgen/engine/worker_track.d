obj-dev/loadgen/engine/worker_track.o: loadgen/engine/worker_track.c \
 include/ledger.h include/util.h include/worker.h include/amqpc.h \
 include/config.h include/schedule.h include/topo.h include/route.h \
 include/ledger.h include/msg.h include/stats.h include/hist.h \
 include/wire.h
include/ledger.h:
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
