obj-dev/loadgen/cmd/cmd_capacity.o: loadgen/cmd/cmd_capacity.c \
 include/bench.h include/config.h include/schedule.h include/topo.h \
 include/route.h include/capacity.h include/run_schema.h \
 loadgen/cmd/cli.h include/proc.h include/config.h include/gates.h \
 include/metrics.h include/preflight.h include/report.h \
 include/run_schema.h include/scenario.h include/effects.h \
 include/amqpc.h include/effect_ledger.h include/ledger.h include/hist.h \
 include/gates.h include/services.h include/template.h include/units.h \
 include/util.h
include/bench.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/capacity.h:
include/run_schema.h:
loadgen/cmd/cli.h:
include/proc.h:
include/config.h:
include/gates.h:
include/metrics.h:
include/preflight.h:
include/report.h:
include/run_schema.h:
include/scenario.h:
include/effects.h:
include/amqpc.h:
include/effect_ledger.h:
include/ledger.h:
include/hist.h:
include/gates.h:
include/services.h:
include/template.h:
include/units.h:
include/util.h:
