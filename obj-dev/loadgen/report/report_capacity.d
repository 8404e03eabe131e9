obj-dev/loadgen/report/report_capacity.o: \
 loadgen/report/report_capacity.c include/report.h include/config.h \
 include/schedule.h include/topo.h include/route.h include/run_schema.h \
 include/svg.h include/util.h
include/report.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/run_schema.h:
include/svg.h:
include/util.h:
