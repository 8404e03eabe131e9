obj-dev/loadgen/scenario/faults/fault_node.o: \
 loadgen/scenario/faults/fault_node.c loadgen/scenario/faults/faults.h \
 include/cluster.h include/timeline.h include/bench.h include/config.h \
 include/schedule.h include/topo.h include/route.h include/scenario.h \
 include/effects.h include/amqpc.h include/effect_ledger.h \
 include/ledger.h include/hist.h include/gates.h include/run_schema.h \
 include/services.h include/template.h include/util.h
loadgen/scenario/faults/faults.h:
include/cluster.h:
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
include/util.h:
