obj-dev/loadgen/scenario/faults/fault_proxy.o: \
 loadgen/scenario/faults/fault_proxy.c loadgen/scenario/faults/faults.h \
 include/proxy.h include/services.h include/amqpc.h \
 loadgen/scenario/faults/../scenario_int.h include/scenario.h \
 include/config.h include/schedule.h include/topo.h include/route.h \
 include/effects.h include/effect_ledger.h include/ledger.h \
 include/hist.h include/gates.h include/run_schema.h include/services.h \
 include/template.h include/timeline.h include/bench.h include/scenario.h \
 include/toxic.h include/util.h
loadgen/scenario/faults/faults.h:
include/proxy.h:
include/services.h:
include/amqpc.h:
loadgen/scenario/faults/../scenario_int.h:
include/scenario.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/effects.h:
include/effect_ledger.h:
include/ledger.h:
include/hist.h:
include/gates.h:
include/run_schema.h:
include/services.h:
include/template.h:
include/timeline.h:
include/bench.h:
include/scenario.h:
include/toxic.h:
include/util.h:
