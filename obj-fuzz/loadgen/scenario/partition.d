obj-fuzz/loadgen/scenario/partition.o: loadgen/scenario/partition.c \
 include/scenario.h include/config.h include/schedule.h include/topo.h \
 include/route.h include/effects.h include/amqpc.h \
 include/effect_ledger.h include/ledger.h include/hist.h include/gates.h \
 include/run_schema.h include/httpload.h include/httpspec.h \
 include/template.h include/services.h
include/scenario.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/effects.h:
include/amqpc.h:
include/effect_ledger.h:
include/ledger.h:
include/hist.h:
include/gates.h:
include/run_schema.h:
include/httpload.h:
include/httpspec.h:
include/template.h:
include/services.h:
