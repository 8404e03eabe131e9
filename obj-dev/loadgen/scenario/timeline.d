obj-dev/loadgen/scenario/timeline.o: loadgen/scenario/timeline.c \
 include/timeline.h include/bench.h include/config.h include/schedule.h \
 include/topo.h include/route.h include/scenario.h include/effects.h \
 include/amqpc.h include/effect_ledger.h include/ledger.h include/hist.h \
 include/gates.h include/run_schema.h include/services.h \
 include/template.h include/metrics.h loadgen/scenario/faults/faults.h \
 include/proc.h include/gates.h include/run_schema.h include/util.h
include/timeline.h:
include/bench.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/scenario.h:
include/effects.h:
include/amqpc.h:
include/effect_ledger.h:
include/ledger.h:
include/hist.h:
include/gates.h:
include/run_schema.h:
include/services.h:
include/template.h:
include/metrics.h:
loadgen/scenario/faults/faults.h:
include/proc.h:
include/gates.h:
include/run_schema.h:
include/util.h:
