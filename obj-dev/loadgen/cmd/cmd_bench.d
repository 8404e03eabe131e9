obj-dev/loadgen/cmd/cmd_bench.o: loadgen/cmd/cmd_bench.c include/bench.h \
 include/config.h include/schedule.h include/topo.h include/route.h \
 loadgen/cmd/cli.h include/proc.h include/config.h include/gates.h \
 include/run_schema.h include/metrics.h include/report.h \
 include/scenario.h include/effects.h include/amqpc.h \
 include/effect_ledger.h include/ledger.h include/hist.h include/gates.h \
 include/services.h include/template.h include/util.h
include/bench.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
loadgen/cmd/cli.h:
include/proc.h:
include/config.h:
include/gates.h:
include/run_schema.h:
include/metrics.h:
include/report.h:
include/scenario.h:
include/effects.h:
include/amqpc.h:
include/effect_ledger.h:
include/ledger.h:
include/hist.h:
include/gates.h:
include/services.h:
include/template.h:
include/util.h:
