obj-dev/loadgen/report/report_data.o: loadgen/report/report_data.c \
 include/report.h include/config.h include/schedule.h include/topo.h \
 include/route.h include/run_schema.h include/util.h
include/report.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/run_schema.h:
include/util.h:
