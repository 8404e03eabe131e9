obj-dev/loadgen/services/services_ready.o: \
 loadgen/services/services_ready.c include/proc.h include/proxy.h \
 loadgen/services/services_int.h include/services.h include/amqpc.h \
 include/util.h
include/proc.h:
include/proxy.h:
loadgen/services/services_int.h:
include/services.h:
include/amqpc.h:
include/util.h:
