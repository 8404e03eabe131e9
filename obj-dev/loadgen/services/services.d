obj-dev/loadgen/services/services.o: loadgen/services/services.c \
 include/proc.h include/proxy.h loadgen/services/services_int.h \
 include/services.h include/amqpc.h include/util.h
include/proc.h:
include/proxy.h:
loadgen/services/services_int.h:
include/services.h:
include/amqpc.h:
include/util.h:
