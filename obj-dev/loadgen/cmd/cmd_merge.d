obj-dev/loadgen/cmd/cmd_merge.o: loadgen/cmd/cmd_merge.c \
 loadgen/cmd/cli.h include/proc.h include/gates.h include/run_schema.h \
 include/ledger.h include/ledger_file.h include/report.h include/config.h \
 include/schedule.h include/topo.h include/route.h include/run_schema.h \
 include/runmerge.h include/util.h
loadgen/cmd/cli.h:
include/proc.h:
include/gates.h:
include/run_schema.h:
include/ledger.h:
include/ledger_file.h:
include/report.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/run_schema.h:
include/runmerge.h:
include/util.h:
