obj-dev/loadgen/report/report_html.o: loadgen/report/report_html.c \
 include/report.h include/config.h include/schedule.h include/topo.h \
 include/route.h include/run_schema.h include/svg.h include/util.h
include/report.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/run_schema.h:
include/svg.h:
include/util.h:
